"""The ``histogram`` kind's view (imported only when the app builds it)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from studio.api_qt import SampleView


class HistogramView(SampleView):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.plot = pg.PlotWidget()
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.8)
        self.plot.addItem(self.bars)
        self.body.addWidget(self.plot, 1)
        self.body.addWidget(self.caption)
        self.heights: list[int] = []

    def show_sample(self, sample) -> None:
        centres = (sample.edges[:-1] + sample.edges[1:]) / 2
        width = float(np.diff(sample.edges).mean())
        self.bars.setOpts(x=centres, height=sample.counts, width=width * 0.9)
        self.heights = [int(c) for c in sample.counts]
        self.show_caption(sample, f"{int(np.sum(sample.counts))} numbers")
