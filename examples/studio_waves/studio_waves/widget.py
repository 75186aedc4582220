"""The Explore widget. The base class gives the seed, Generate, Stop and the options
form generated from ``WaveOptions``; this one adds the view and shows what it knows
of the run from ``self.run`` (a ``RunHandle``): no run folder is read here."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

from studio.api_qt import SamplingWidget

from .view import WaveformsView


class WavesWidget(SamplingWidget):
    def __init__(self, context) -> None:
        super().__init__(context)
        self.run_info = QLabel()
        self.view = WaveformsView()
        self.body.addWidget(self.run_info)
        self.body.addWidget(self.view, 1)
        self.parts = 0  # partial samples shown during the last Generate

    def run_changed(self, run) -> None:
        if run is None:
            self.run_info.setText("")
            return
        steps = run.checkpoint_steps()
        latest = f"step {steps[-1]:,}" if steps else "none yet"
        self.run_info.setText(
            f"{run.name}: context {run.config.context} points, "
            f"{len(steps)} checkpoint(s), latest {latest}"
        )

    def generate(self) -> None:
        self.parts = 0
        super().generate()

    def show_partial(self, sample) -> None:
        self.parts += 1
        self.view.show_sample(sample)

    def show_sample(self, sample) -> None:
        self.view.show_sample(sample)
