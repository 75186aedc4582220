"""The window's side of run management: the Runs list's actions applied to the run on
screen (renamed, moved to the trash, its settings into the form), the open run
highlighted and reopened at the next start, the live run's step in the list, and a
desktop notice when a run ends while the window is not in front."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QApplication, QStyle, QSystemTrayIcon

from studio.core.listener import EngineResult, TrainingUpdate
from studio.core.rundir import RunDir, RunDirError

if TYPE_CHECKING:
    from studio.ui.main_window import MainWindow

LAST_OPEN = "runs/last_open"


class RunManager(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = w = window
        self.notices: list[tuple[str, str]] = []  # desktop notices shown (title, text)
        self._tray: QSystemTrayIcon | None = None
        self._last_step = 0.0
        actions = w.runs.actions
        actions.busy = lambda path: w.training.is_running() and str(w.current_run) == path
        actions.message = lambda level, text: w.notify(level, text)
        w.runs.settings_requested.connect(self.use_settings)
        w.runs.renamed.connect(self._renamed)
        w.runs.removed.connect(self._removed)
        w.session.started.connect(self.shown)
        w.session.updates.connect(self._update)
        w.session.finished.connect(self._finished)

    def shown(self, path: str | Path | None) -> None:
        """The run on screen changed: highlight it and remember it for the next start."""
        self.window.runs.set_open(path)
        if path is not None:
            self.window.settings.setValue(LAST_OPEN, str(path))

    def reopen_last(self) -> None:
        """Show the run that was open when the window last closed (if it still is one)."""
        last = str(self.window.settings.value(LAST_OPEN, "") or "")
        if last and RunDir(last).is_run():
            self.window.open_run(last)

    @Slot(str)
    def use_settings(self, path: str) -> None:
        """Put a run's model, data and settings into the form, for a new run."""
        w = self.window
        if w.training.is_running():
            w.notify("warning", "stop the current training before changing the settings")
            return
        try:
            record = RunDir(path).record()
        except RunDirError as exc:
            w.notify("error", str(exc))
            return
        if record.model not in w.plugins.models:
            w.notify("error", f"{Path(path).name}: model {record.model} is not installed")
            return
        w.bench_view.show_run(record)
        w.form.show_run(record)
        w.notify("info", f"the settings of {Path(path).name} are in the form: press Train")

    @Slot(str, str)
    def _renamed(self, old: str, new: str) -> None:
        w = self.window
        if w.current_run is not None and str(w.current_run) == old:
            w.open_run(new)

    @Slot(str)
    def _removed(self, path: str) -> None:
        w = self.window
        if w.current_run is not None and str(w.current_run) == path:
            w.run_view.close("No run (the run shown was moved to the trash)")
            w.runs.set_open(None)
            w.settings.remove(LAST_OPEN)
            w.update_actions()

    @Slot(object)
    def _update(self, update: TrainingUpdate) -> None:
        now = time.perf_counter()
        if update.step is not None and now - self._last_step > 0.5:
            self._last_step = now
            self.window.runs.show_live(self.window.current_run, update.step)

    @Slot(object)
    def _finished(self, result: EngineResult) -> None:
        w = self.window
        w.runs.show_live(None, 0)
        if w.isActiveWindow() or w._closing:
            return
        name = w.current_run.name if w.current_run is not None else "the run"
        ok = result.state in ("finished", "stopped")
        title = f"{name} {result.state}" if ok else f"{name} failed ({result.state})"
        self.notices.append((title, result.message))
        QApplication.alert(w)  # the taskbar entry asks for attention
        if QSystemTrayIcon.isSystemTrayAvailable():
            if self._tray is None:
                icon = w.windowIcon()
                if icon.isNull():
                    icon = w.style().standardIcon(QStyle.StandardPixmap.SP_ComputerIcon)
                self._tray = QSystemTrayIcon(icon, self)
                self._tray.activated.connect(lambda *_: (w.showNormal(), w.activateWindow()))
            self._tray.show()
            icons = QSystemTrayIcon.MessageIcon
            kind = icons.Information if ok else icons.Critical
            self._tray.showMessage(title, result.message, kind, 10_000)
