"""The status bar of the main window: the run's name, its progress, its rate and ETA
(or its state), and the device."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar

from studio.core.timefmt import format_eta
from studio.ui.layout_fit import ElidedLabel


class RunStatus:
    """The run's line in the status bar. ``label``, ``progress`` and ``rate`` are the
    widgets; the methods are what the window's collaborators say through them."""

    def __init__(self, bar: QStatusBar) -> None:
        # Widths that fit 1280 px beside the device: the run's name elides (tooltip:
        # the whole name); the progress bar shrinks before the window would widen.
        self.label = ElidedLabel("No run", minimum=90)
        self.progress = QProgressBar()
        self.progress.setMinimumWidth(140)
        self.progress.setMaximumWidth(320)
        self.progress.setFormat("step %v / %m")
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.rate = QLabel("")
        self.rate.setFixedWidth(240)
        self.device = QLabel("device: auto")
        bar.addWidget(self.label, 1)
        bar.addWidget(self.progress, 1)
        bar.addWidget(self.rate)
        bar.addPermanentWidget(self.device)

    def show_run(self, name: str, step: int, total: int, state: str = "") -> None:
        """A run's name, where it is, and its state (or nothing)."""
        self.label.setText(name)
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(step)
        self.rate.setText(state)

    def clear(self, text: str = "No run") -> None:
        self.show_run(text, 0, 1)

    def show_step(self, step: int, total: int) -> None:
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(step)

    def show_rate(self, rate: float, step: int, total: int) -> None:
        """Steps a second and the time left at that rate."""
        self.rate.setText(f"{rate:,.1f} steps/s   ETA {format_eta((total - step) / rate)}")
