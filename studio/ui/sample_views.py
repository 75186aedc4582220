"""Views that render one sample of each kind: points, numbers, images, text.

The gallery picks a view by ``Sample.kind``; plugins reuse the same views in their
sampling widgets (re-exported by ``studio.api_qt``).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QImage, QPixmap
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QScrollArea, QVBoxLayout, QWidget

from studio.core.samples import Images, Numbers, Points, Sample, Text

pg.setConfigOptions(antialias=True, background="w", foreground="k")


class SampleView(QWidget):
    """Base: ``show_sample(sample)`` renders; ``caption`` shows the sample's metrics."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self.caption = QLabel()
        self.caption.setWordWrap(True)

    def show_sample(self, sample: Sample) -> None:
        raise NotImplementedError

    def _caption(self, sample: Sample, extra: str = "") -> None:
        parts = [f"{k.replace('_', ' ')}: {v:.3g}" for k, v in sample.metrics.items()]
        self.caption.setText("   ".join(p for p in [extra, *parts] if p))


class PointsView(SampleView):
    """Generated points (scatter) over the reference curve (line)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = pg.PlotWidget()
        self.plot.showGrid(x=True, y=True, alpha=0.3)
        self.plot.addLegend(offset=(10, 10))
        self.reference = self.plot.plot([], [], pen=pg.mkPen("#1f77b4", width=2), name="data")
        self.scatter = pg.ScatterPlotItem(
            size=5, pen=None, brush=pg.mkBrush(214, 39, 40, 150), name="generated"
        )
        self.plot.addItem(self.scatter)
        self._layout.addWidget(self.plot, 1)
        self._layout.addWidget(self.caption)

    def show_sample(self, sample: Sample) -> None:
        assert isinstance(sample, Points)
        if sample.reference is not None:
            ref = np.asarray(sample.reference)
            if sample.reference_style == "points":
                self.reference.setData(
                    ref[:, 0],
                    ref[:, 1],
                    pen=None,
                    symbol="o",
                    symbolSize=4,
                    symbolPen=None,
                    symbolBrush=pg.mkBrush(31, 119, 180, 110),
                )
            else:
                self.reference.setData(
                    ref[:, 0], ref[:, 1], pen=pg.mkPen("#1f77b4", width=2), symbol=None
                )
        pts = np.asarray(sample.points)
        self.scatter.setData(pts[:, 0], pts[:, 1])
        self.plot.setLabel("bottom", sample.x_label)
        self.plot.setLabel("left", sample.y_label)
        self._caption(sample, f"{len(pts)} points")


class NumbersView(SampleView):
    """Generated integers as text, valid ones in bold, and a histogram."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setFont(QFont("monospace"))
        self.plot = pg.PlotWidget()
        self.plot.setLabel("bottom", "generated integer")
        self.plot.setLabel("left", "count")
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.8, brush="#1f77b4")
        self.plot.addItem(self.bars)
        self._layout.addWidget(self.text)
        self._layout.addWidget(self.plot, 1)
        self._layout.addWidget(self.caption)

    def show_sample(self, sample: Sample) -> None:
        assert isinstance(sample, Numbers)
        vals = [int(v) for v in sample.values]
        shown = vals[:200]
        ok = [v % 5 == 0 for v in shown] if "5" in sample.rule else [True] * len(shown)
        html = " ".join(
            f"<b>{v}</b>" if good else f"<span style='color:#c0392b'>{v}</span>"
            for v, good in zip(shown, ok, strict=True)
        )
        self.text.setText(html + (" ..." if len(vals) > len(shown) else ""))
        counts = np.bincount(vals, minlength=max(vals, default=0) + 1) if vals else np.array([])
        self.bars.setOpts(x=np.arange(len(counts)), height=counts, width=0.8)
        self._caption(sample, f"{len(vals)} numbers ({sample.rule})" if sample.rule else "")


def image_to_qimage(img: np.ndarray) -> QImage:
    """(H, W, C) uint8 with C in {1, 3} -> an owned QImage."""
    img = np.ascontiguousarray(img, dtype=np.uint8)
    h, w, c = img.shape
    fmt = QImage.Format.Format_Grayscale8 if c == 1 else QImage.Format.Format_RGB888
    return QImage(img.data, w, h, w * c, fmt).copy()


class ImagesView(SampleView):
    """A batch of images as one grid, scaled with nearest-neighbour to stay crisp."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.label)
        self._layout.addWidget(scroll, 1)
        self._layout.addWidget(self.caption)

    def show_sample(self, sample: Sample) -> None:
        assert isinstance(sample, Images)
        grid = sample.grid()
        pix = QPixmap.fromImage(image_to_qimage(grid))
        scale = max(1, min(8, 512 // max(1, pix.width())))
        self.label.setPixmap(pix.scaled(pix.width() * scale, pix.height() * scale))
        self._caption(sample, f"{len(sample.images)} images")


class TextView(SampleView):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.text = QPlainTextEdit(readOnly=True)
        self._layout.addWidget(self.text, 1)
        self._layout.addWidget(self.caption)

    def show_sample(self, sample: Sample) -> None:
        assert isinstance(sample, Text)
        sep = "\n" + "-" * 40 + "\n"
        self.text.setPlainText(sep.join(sample.texts))
        self._caption(sample)


class GenericView(SampleView):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout.addWidget(self.caption)

    def show_sample(self, sample: Sample) -> None:
        self._caption(sample, sample.summary())


VIEWS: dict[str, type[SampleView]] = {
    "points": PointsView,
    "numbers": NumbersView,
    "images": ImagesView,
    "text": TextView,
}


def view_for(kind: str) -> SampleView:
    return VIEWS.get(kind, GenericView)()
