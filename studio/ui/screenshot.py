"""A scripted session for documentation: train, then save each tab as a PNG."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication


class ScreenshotScript(QObject):
    """Train ``steps`` steps, then grab the Training, Samples and Explore tabs."""

    def __init__(self, window, path: Path, steps: int | None) -> None:
        super().__init__(window)
        self.window = window
        self.path = Path(path)
        self.steps = steps

    def start(self) -> None:
        self.window.resize(1366, 768)  # a common laptop screen
        QTimer.singleShot(300, self._train)

    def _train(self) -> None:
        form = self.window.form
        if form.preset.findText("quick CPU") >= 0:
            form.preset.setCurrentText("quick CPU")
        if self.steps:
            form.steps.setValue(self.steps)
        self.window.session.finished.connect(lambda _r: QTimer.singleShot(500, self._grab))
        if not self.window.start_training():
            QApplication.instance().exit(1)

    def _save(self, suffix: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        target = (
            self.path
            if not suffix
            else self.path.with_name(f"{self.path.stem}-{suffix}{self.path.suffix}")
        )
        self.window.grab().save(str(target))
        print(f"saved {target}")

    def _grab(self) -> None:
        w = self.window
        w.tabs.setCurrentWidget(w.loss_plot)
        QApplication.processEvents()
        self._save("")
        w.tabs.setCurrentWidget(w.gallery)
        QApplication.processEvents()
        self._save("samples")
        w.tabs.setCurrentWidget(w.explore)
        widget = w.explore.currentWidget()
        if hasattr(widget, "sampled"):
            widget.sampled.connect(lambda _s: QTimer.singleShot(300, self._explore_done))
            widget.generate()
        else:
            self._explore_done()

    def _explore_done(self) -> None:
        QApplication.processEvents()
        self._save("explore")
        self.window.close()
        QApplication.instance().quit()
