"""A generator run on Qt's thread pool, its parts delivered on the GUI thread.

Modelled on superqt's ``GeneratorWorker``: the work is a generator; each value it
yields is announced by ``yielded``, its end by ``finished`` (with the last value),
an exception by ``errored`` and a cancel by ``aborted``. Cancel goes through a
``CancelToken``: the worker checks it at each yield (and hands it to the generator,
which checks it between its own parts), then closes the generator in the worker
thread, so its ``finally`` blocks and locks are released where they were taken.

Two differences from superqt. Parts are *coalesced*: when the GUI thread is busy,
a newer part replaces one not yet delivered (streamed text or denoising steps only
need the newest state; the last part is never dropped). And signals are re-emitted
from slots of a QObject living in the GUI thread, so anything connected to them,
plain functions included, runs on the GUI thread.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable, Iterator
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal, Slot

from studio.core.sampling import CancelToken, SamplingCancelled

_alive: set[GeneratorWorker] = set()
_NOTHING = object()


class _Job(QRunnable):
    def __init__(self, worker: GeneratorWorker) -> None:
        super().__init__()
        self.worker = worker

    def run(self) -> None:  # worker thread
        w = self.worker
        parts: Iterator[Any] | None = None
        last: Any = None
        try:
            try:
                w.token.raise_if_cancelled()
                parts = w.factory(w.token)
                for part in parts:
                    last = part
                    w.post(part)
                    w.token.raise_if_cancelled()  # abort at each yield
            except SamplingCancelled:
                w.relay_aborted.emit()
            except Exception as exc:
                w.relay_errored.emit(f"{type(exc).__name__}: {exc}", traceback.format_exc())
            else:
                w.relay_finished.emit(last)
            finally:
                close = getattr(parts, "close", None)
                if close is not None:
                    close()
        except RuntimeError:
            # The application deleted the worker's QObject while shutting down: no one
            # is left to deliver to.
            w.token.cancel()


class GeneratorWorker(QObject):
    """Runs ``factory(token)`` (which returns an iterator) on the thread pool.

    Signals (all on the GUI thread): ``yielded(part)`` with the newest part,
    ``finished(last)`` after the last part (``None`` if there was none),
    ``errored(message, details)`` and ``aborted()`` after ``quit()``; exactly one of
    the last three ends each run.
    """

    yielded = Signal(object)
    finished = Signal(object)
    errored = Signal(str, str)
    aborted = Signal()

    # Emitted from the worker thread; queued to this object's slots on the GUI thread.
    relay_part = Signal()
    relay_finished = Signal(object)
    relay_errored = Signal(str, str)
    relay_aborted = Signal()

    def __init__(
        self,
        factory: Callable[[CancelToken], Iterator[Any]],
        token: CancelToken | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.factory = factory
        self.token = token or CancelToken()
        self._lock = threading.Lock()
        self._latest: Any = _NOTHING
        self._running = False
        self.relay_part.connect(self._deliver_part)
        self.relay_finished.connect(self._deliver_finished)
        self.relay_errored.connect(self._deliver_errored)
        self.relay_aborted.connect(self._deliver_aborted)

    # --- control (GUI thread) ------------------------------------------------------
    def start(self) -> None:
        """Start on the global thread pool (once)."""
        if self._running:
            raise RuntimeError("this worker is already running")
        self._running = True
        _alive.add(self)  # held until its end is delivered
        QThreadPool.globalInstance().start(_Job(self))

    def quit(self) -> None:
        """Ask the generator to stop at its next part; ``aborted`` follows."""
        self.token.cancel()

    @property
    def abort_requested(self) -> bool:
        return self.token.cancelled

    @property
    def is_running(self) -> bool:
        return self._running

    # --- worker thread -----------------------------------------------------------------
    def post(self, part: Any) -> None:
        """Hand ``part`` to the GUI thread, replacing one still waiting there."""
        with self._lock:
            waiting = self._latest is not _NOTHING
            self._latest = part
        if not waiting:
            self.relay_part.emit()

    # --- GUI thread ----------------------------------------------------------------------
    def _take(self) -> Any:
        with self._lock:
            part, self._latest = self._latest, _NOTHING
        return part

    @Slot()
    def _deliver_part(self) -> None:
        part = self._take()
        if part is not _NOTHING and not self.token.cancelled:
            self.yielded.emit(part)

    def _flush(self) -> None:
        # A part posted just before the end and not yet delivered goes out first.
        part = self._take()
        if part is not _NOTHING and not self.token.cancelled:
            self.yielded.emit(part)

    @Slot(object)
    def _deliver_finished(self, last: Any) -> None:
        try:
            self._flush()
            self.finished.emit(last)
        finally:
            self._release()

    @Slot(str, str)
    def _deliver_errored(self, message: str, details: str) -> None:
        try:
            self._take()
            self.errored.emit(message, details)
        finally:
            self._release()

    @Slot()
    def _deliver_aborted(self) -> None:
        try:
            self._take()
            self.aborted.emit()
        finally:
            self._release()

    def _release(self) -> None:
        self._running = False

        # Not from inside this object's own slot: let go of it from the event loop.
        def release() -> None:
            _alive.discard(self)

        QTimer.singleShot(0, release)


def run_stream(
    factory: Callable[[CancelToken], Iterator[Any]],
    on_part: Callable[[Any], None] | None = None,
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[str, str], None] | None = None,
    on_cancelled: Callable[[], None] | None = None,
    token: CancelToken | None = None,
) -> GeneratorWorker:
    """Start ``factory(token)`` on the thread pool with the callbacks connected; returns
    the worker (``worker.quit()`` or ``token.cancel()`` stops it)."""
    worker = GeneratorWorker(factory, token)
    if on_part is not None:
        worker.yielded.connect(on_part)
    if on_done is not None:
        worker.finished.connect(on_done)
    if on_error is not None:
        worker.errored.connect(on_error)
    if on_cancelled is not None:
        worker.aborted.connect(on_cancelled)
    worker.start()
    return worker


__all__ = ["GeneratorWorker", "run_stream"]
