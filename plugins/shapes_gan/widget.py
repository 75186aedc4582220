"""Sampling widgets of the chapter 3 GANs (Qt: imported only when the widget is shown)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QSpinBox

from studio.api_qt import NumbersView, PointsView, SamplingWidget


class ShapeSamplingWidget(SamplingWidget):
    """Generated points drawn over the true curve y = 1.08^x."""

    def __init__(self, context) -> None:
        super().__init__(context)
        self.count = QSpinBox(minimum=16, maximum=8192, value=1024, singleStep=128)
        self.controls.insertWidget(2, QLabel("Points"))
        self.controls.insertWidget(3, self.count)
        self.view = PointsView()
        self.body.addWidget(self.view)

    def generate(self) -> None:
        self.request_sample(seed=self.seed.value(), n=self.count.value())

    def show_sample(self, sample) -> None:
        self.view.show_sample(sample)


class NumberSamplingWidget(SamplingWidget):
    """Generated integers and the share that are multiples of 5."""

    def __init__(self, context) -> None:
        super().__init__(context)
        self.count = QSpinBox(minimum=1, maximum=4096, value=100)
        self.controls.insertWidget(2, QLabel("Numbers"))
        self.controls.insertWidget(3, self.count)
        self.share = QLabel()
        self.share.setStyleSheet("font-size: 16pt; font-weight: bold;")
        self.body.addWidget(self.share)
        self.view = NumbersView()
        self.body.addWidget(self.view, 1)

    def generate(self) -> None:
        self.request_sample(seed=self.seed.value(), n=self.count.value())

    def show_sample(self, sample) -> None:
        share = sample.metrics.get("share_multiples_of_5", 0.0)
        self.share.setText(f"{share:.0%} of {len(sample.values)} numbers are multiples of 5")
        self.view.show_sample(sample)
