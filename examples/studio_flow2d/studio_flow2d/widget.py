"""The sampling widget (the Explore tab): samples at a chosen temperature. Only this
module imports Qt."""

from __future__ import annotations

from PySide6.QtWidgets import QDoubleSpinBox, QLabel

from studio.api_qt import PointsView, SamplingWidget


class FlowWidget(SamplingWidget):
    def __init__(self, context):
        super().__init__(context)  # a seed box, a Generate button, a status line
        self.temperature = QDoubleSpinBox(minimum=0.05, maximum=3.0, singleStep=0.1, value=1.0)
        self.temperature.setToolTip("Scales the Gaussian noise: below 1, samples hug the modes")
        self.controls.insertWidget(self.controls.count() - 1, QLabel("Temperature"))
        self.controls.insertWidget(self.controls.count() - 1, self.temperature)
        self.view = PointsView()
        self.body.addWidget(self.view)

    def sample_options(self):  # passed to FlowTrainer.sample
        return {"temperature": self.temperature.value()}

    def show_sample(self, sample):  # called on the GUI thread
        self.view.show_sample(sample)
