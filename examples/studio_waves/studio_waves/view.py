"""The ``waveforms`` view: each wave a curve, the prompt drawn grey."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from studio.api_qt import SampleView

COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"]


class WaveformsView(SampleView):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.plot = pg.PlotWidget()
        self.plot.setLabel("bottom", "point")
        self.body.addWidget(self.plot, 1)
        self.body.addWidget(self.caption)
        self.curves = 0  # curves drawn by the last show_sample (for tests)

    def show_sample(self, sample) -> None:
        self.plot.clear()
        values = np.asarray(sample.values)
        p = sample.prompt
        for i, wave in enumerate(values):
            self.plot.plot(np.arange(p), wave[:p], pen=pg.mkPen("#999999", width=2))
            color = COLORS[i % len(COLORS)]
            self.plot.plot(np.arange(p - 1, len(wave)), wave[p - 1 :], pen=pg.mkPen(color))
        self.curves = len(values)
        self.show_caption(sample, sample.summary())
