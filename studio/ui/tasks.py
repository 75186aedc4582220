"""Short background jobs (sampling, loading) on Qt's thread pool, with results
delivered on the GUI thread.

A plain function or lambda connected to a signal emitted from a worker thread runs
in that worker thread. So each job gets a relay QObject created in the GUI thread;
the worker emits to the relay's slots, which Qt queues onto the GUI thread, and only
then are the callbacks called.

A result is delivered only if its receivers still exist: a job may outlive the widget
(or tree item) it reports to, and calling into a deleted C++ object raises
``RuntimeError: Internal C++ object already deleted`` at a random later moment.

Jobs run inside :func:`studio.core.threads.torch_import_guard`: until torch is fully
imported they run one at a time, because two threads importing torch modules at once
break its import.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal, Slot

from studio.core.threads import torch_import_guard

_alive: set[_Relay] = set()


class _Relay(QObject):
    done = Signal(object)
    failed = Signal(str, str)

    def __init__(self, on_done, on_error, receivers: tuple[object, ...] = ()) -> None:
        super().__init__()
        self._on_done, self._on_error = on_done, on_error
        self._receivers = receivers
        self.job: QRunnable | None = None
        self.done.connect(self._deliver_done)
        self.failed.connect(self._deliver_error)

    def _receivers_alive(self) -> bool:
        return all(shiboken6.isValid(r) for r in self._receivers)

    @Slot(object)
    def _deliver_done(self, result: Any) -> None:
        try:
            if self._receivers_alive():
                self._on_done(result)
        finally:
            self._release()

    @Slot(str, str)
    def _deliver_error(self, message: str, details: str) -> None:
        try:
            if self._on_error is not None and self._receivers_alive():
                self._on_error(message, details)
        finally:
            self._release()

    def _release(self) -> None:
        # Dropping the last reference here would delete this object while Qt is still
        # inside its slot (a use-after-free that crashes at random): let go of it from
        # the event loop instead, once the slot has returned.
        def release() -> None:
            self.job = None
            _alive.discard(self)

        QTimer.singleShot(0, release)


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self.fn, self.relay = fn, relay

    def run(self) -> None:
        try:
            try:
                with torch_import_guard():
                    result = self.fn()
            except Exception as exc:
                self.relay.failed.emit(f"{type(exc).__name__}: {exc}", traceback.format_exc())
            else:
                self.relay.done.emit(result)
        except RuntimeError:
            # The application is shutting down and has deleted the relay: there is no
            # one left to deliver the result to.
            pass


def run_in_thread(
    fn: Callable[[], Any],
    on_done: Callable[[Any], None],
    on_error: Callable[[str, str], None] | None = None,
    receiver: object | tuple[object, ...] | None = None,
) -> None:
    """Run ``fn()`` on the thread pool; call ``on_done(result)`` or
    ``on_error(message, traceback)`` later on the GUI thread. Call from the GUI thread.

    ``receiver``: the Qt object(s) the callbacks use (a widget, a tree item...); when
    one of them has been deleted by the time the job ends, the result is dropped."""
    if receiver is None:
        receivers: tuple[object, ...] = ()
    elif isinstance(receiver, tuple):
        receivers = receiver
    else:
        receivers = (receiver,)
    relay = _Relay(on_done, on_error, receivers)
    job = _Job(fn, relay)
    # Python owns the job: Qt deleting a Python QRunnable on the pool thread when it
    # finishes is a known source of random crashes; it is released with the relay,
    # on the GUI thread, after its result has been delivered.
    job.setAutoDelete(False)
    relay.job = job
    _alive.add(relay)
    QThreadPool.globalInstance().start(job)
