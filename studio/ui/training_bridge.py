"""The bridge between the Qt-free engine and the GUI.

The engine runs in a ``QThread`` through a worker object (``moveToThread``). It
reports through plain callbacks; the worker gathers them and emits one ``updates``
signal (a frozen ``TrainingUpdate``) at most every ``EMIT_INTERVAL_S`` (plus at once
on state changes and at the end), so the GUI gets ~15 updates a second whatever the
step rate. Signals are received by ``TrainingSession``, a QObject living in the GUI
thread, so every slot that touches a widget runs on the GUI thread.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from studio.core.listener import (
    EngineEvent,
    EngineListener,
    EngineResult,
    SampleAt,
    StateChange,
    TrainingUpdate,
)

EMIT_INTERVAL_S = 1 / 15


class _Collector(EngineListener):
    """Runs in the training thread: buffers callbacks, asks the worker to emit."""

    def __init__(self, emit: Callable[[TrainingUpdate], None]) -> None:
        self._emit = emit
        self._lock = threading.Lock()
        self._last_emit = 0.0
        self._reset()
        self.total = 0
        self._rate_mark: tuple[float, int] | None = None
        self.rate = 0.0

    def _reset(self) -> None:
        self.metrics: list[dict[str, Any]] = []
        self.samples: list[SampleAt] = []
        self.events: list[EngineEvent] = []
        self.states: list[StateChange] = []
        self.step: int | None = None

    def flush(self, force: bool = False) -> None:
        now = time.perf_counter()
        if not force and now - self._last_emit < EMIT_INTERVAL_S:
            return
        with self._lock:
            update = TrainingUpdate(
                metrics=tuple(self.metrics),
                samples=tuple(self.samples),
                events=tuple(self.events),
                states=tuple(self.states),
                step=self.step,
                total=self.total,
                rate=self.rate,
            )
            self._reset()
        self._last_emit = now
        self._emit(update)

    def on_start(self, step: int, total: int, device: str) -> None:
        self.total = total
        self._rate_mark = (time.perf_counter(), step)
        with self._lock:
            self.step = step
            self.events.append(EngineEvent(f"training on {device}", "INFO"))
        self.flush(force=True)

    def on_metrics(self, row: dict[str, Any]) -> None:
        now = time.perf_counter()
        step = row["step"]
        if self._rate_mark is not None:
            t0, s0 = self._rate_mark
            if now - t0 >= 0.5 and step > s0:
                inst = (step - s0) / (now - t0)
                self.rate = inst if self.rate == 0 else 0.7 * self.rate + 0.3 * inst
                self._rate_mark = (now, step)
        with self._lock:
            self.metrics.append(row)
            self.step = step
        self.flush()

    def on_sample(self, step: int, sample: Any) -> None:
        with self._lock:
            self.samples.append(SampleAt(step, sample))

    def on_event(self, message: str, level: str) -> None:
        with self._lock:
            self.events.append(EngineEvent(message, level))

    def on_state(self, state: str, step: int, message: str) -> None:
        with self._lock:
            self.states.append(StateChange(state, step, message))
            self.step = step
        self.flush(force=True)


class TrainingWorker(QObject):
    """Lives in the training thread. ``make_engine(listener)`` builds the engine there
    (so torch is imported and the model built off the GUI thread)."""

    updates = Signal(object)  # TrainingUpdate
    finished = Signal(object)  # EngineResult
    engine_ready = Signal(str)  # the run directory

    def __init__(self, make_engine: Callable[[EngineListener], Any]) -> None:
        super().__init__()
        self._make_engine = make_engine
        self.engine = None
        self.start_error: BaseException | None = None  # why the engine was not built
        self._stop_requested = False
        self._pause_requested = False

    def request_stop(self) -> None:
        self._stop_requested = True
        if self.engine is not None:
            self.engine.stop()

    def request_pause(self, paused: bool) -> None:
        self._pause_requested = paused
        if self.engine is not None:
            (self.engine.pause if paused else self.engine.unpause)()

    @Slot()
    def run(self) -> None:
        collector = _Collector(self.updates.emit)
        try:
            self.engine = self._make_engine(collector)
            self.engine_ready.emit(str(self.engine.run_dir.path))
            if self._stop_requested:
                self.engine.stop()
            if self._pause_requested:
                self.engine.pause()
            result = self.engine.run()
        except Exception as exc:
            self.start_error = exc
            result = EngineResult(
                "failed", 0, f"could not start training: {type(exc).__name__}: {exc}"
            )
            collector.on_event(result.message + "\n" + traceback.format_exc(), "ERROR")
        collector.flush(force=True)
        self.finished.emit(result)


class TrainingSession(QObject):
    """GUI-thread owner of one training thread. Connect to its signals."""

    updates = Signal(object)  # TrainingUpdate
    finished = Signal(object)
    started = Signal(str)  # run directory

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.thread: QThread | None = None
        self.worker: TrainingWorker | None = None
        self.result: EngineResult | None = None
        self.run_path: str | None = None
        self.start_error: BaseException | None = None

    def is_running(self) -> bool:
        """True from ``start`` until the engine has reported its result."""
        return self.thread is not None and self.thread.isRunning() and self.result is None

    def start(self, make_engine: Callable[[EngineListener], Any]) -> None:
        if self.is_running():
            raise RuntimeError("a training run is already in progress")
        if self.thread is not None:
            self.thread.wait()  # the previous thread has reported; let it end
        self.result = None
        self.run_path = None
        self.start_error = None
        self.thread = QThread()
        self.thread.setObjectName("training")
        self.worker = TrainingWorker(make_engine)
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.run)
        self.worker.updates.connect(self.updates)
        self.worker.engine_ready.connect(self._on_ready)
        self.worker.finished.connect(self._on_finished)
        # Direct: quit from the training thread itself, so that a GUI thread blocked in
        # wait() (closing the window) is not waiting for its own event loop.
        self.worker.finished.connect(self.thread.quit, Qt.ConnectionType.DirectConnection)
        self.thread.start()

    @Slot(str)
    def _on_ready(self, path: str) -> None:
        self.run_path = path
        self.started.emit(path)

    @Slot(object)
    def _on_finished(self, result: EngineResult) -> None:
        self.result = result
        self.start_error = self.worker.start_error if self.worker is not None else None
        self.finished.emit(result)

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.request_stop()

    def set_paused(self, paused: bool) -> None:
        if self.worker is not None:
            self.worker.request_pause(paused)

    def wait(self, timeout_ms: int = 60_000) -> bool:
        """Block until the thread ends (used when closing: stop() first)."""
        if self.thread is None:
            return True
        return self.thread.wait(timeout_ms)
