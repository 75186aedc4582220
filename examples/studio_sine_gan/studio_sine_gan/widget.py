"""The sampling widget (the Explore tab). Only this module imports Qt."""

from __future__ import annotations

from studio.api_qt import PointsView, SamplingWidget


class SineWidget(SamplingWidget):
    def __init__(self, context):
        super().__init__(context)  # gives a seed box, a Generate button and a status line
        self.view = PointsView()
        self.body.addWidget(self.view)

    def show_sample(self, sample):
        self.view.show_sample(sample)
