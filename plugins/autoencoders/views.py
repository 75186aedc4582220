"""Views of the plugin's sample kinds (Qt: imported only when a view is built).

- ``PairsView`` (``image-pairs``): each original above its reconstruction, the pair
  captioned with its label.
- ``LatentMapView`` (``latent-map``): the codes' 2-D map as a scatter plot coloured by
  class; a click anywhere on the plot emits ``point_clicked(x, y)`` in map coordinates
  (the widget decodes that point) and marks it.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRect, Qt, Signal
from PySide6.QtGui import QColor, QFontMetrics, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QLabel, QScrollArea, QWidget

from studio import api
from studio.api_qt import SampleView

from .kinds import ImagePairs, LatentMap


def to_qimage(image: np.ndarray) -> QImage:
    """(H, W, C) uint8, C in {1, 3} -> an owned QImage."""
    img = np.ascontiguousarray(image, dtype=np.uint8)
    h, w, c = img.shape
    fmt = QImage.Format.Format_Grayscale8 if c == 1 else QImage.Format.Format_RGB888
    return QImage(img.data, w, h, w * c, fmt).copy()


class PairsView(SampleView):
    """Originals (top of each pair) above their reconstructions."""

    TARGET = 560  # about how wide the pairs are drawn, in pixels
    PAD = 6

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.picture = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.picture)
        self.body.addWidget(scroll, 1)
        self.body.addWidget(self.caption)
        self.shown_pairs = 0

    def show_sample(self, sample: api.Sample) -> None:
        if not isinstance(sample, ImagePairs) or sample.originals is None:
            images = np.asarray(getattr(sample, "images", np.zeros((0, 1, 1, 1))))
            self.picture.setPixmap(self._draw(images, None, [], max(1, min(8, len(images)))))
            self.shown_pairs = 0
            self.show_caption(sample, f"{len(images)} images")
            return
        labels = [str(x) for x in sample.labels or []]
        self.picture.setPixmap(
            self._draw(sample.images, sample.originals, labels, sample.grid_columns())
        )
        self.shown_pairs = len(sample.images)
        self.show_caption(sample, f"{len(sample.images)} images (top) and reconstructions")

    def _draw(
        self, recon: np.ndarray, originals: np.ndarray | None, labels: list[str], cols: int
    ) -> QPixmap:
        n = len(recon)
        if n == 0:
            return QPixmap()
        _, h, w, _ = recon.shape
        scale = max(1, min(8, self.TARGET // max(1, cols * w)))
        metrics = QFontMetrics(self.font())
        text_h = metrics.height() if labels else 0
        per = 2 if originals is not None else 1
        cell_w, cell_h = max(w * scale, 30), per * h * scale + 2 * (per - 1) + text_h
        rows = -(-n // cols)
        pix = QPixmap(cols * (cell_w + self.PAD) + self.PAD, rows * (cell_h + self.PAD) + self.PAD)
        pix.fill(QColor("#e8e8e8"))  # white originals stay visible
        painter = QPainter(pix)
        painter.setPen(QColor("black"))
        for i in range(n):
            r, c = divmod(i, cols)
            x, y = self.PAD + c * (cell_w + self.PAD), self.PAD + r * (cell_h + self.PAD)
            left = x + (cell_w - w * scale) // 2
            stack = [recon[i]] if originals is None else [originals[i], recon[i]]
            for k, image in enumerate(stack):
                painter.drawImage(
                    left, y + k * (h * scale + 2), to_qimage(image).scaled(w * scale, h * scale)
                )
            if labels:
                text = metrics.elidedText(
                    labels[i] if i < len(labels) else "", Qt.TextElideMode.ElideRight, cell_w
                )
                rect = QRect(x, y + per * h * scale + 2 * (per - 1), cell_w, text_h)
                painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        painter.end()
        return pix


class LatentMapView(SampleView):
    """The codes' map: one colour per class; click a point to ask for its image."""

    point_clicked = Signal(float, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = pg.PlotWidget()
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.legend = self.plot.addLegend(offset=(5, 5), labelTextSize="8pt")
        self.marker = pg.ScatterPlotItem(
            size=16, symbol="+", pen=pg.mkPen("k", width=2), brush=None
        )
        self.plot.addItem(self.marker)
        self.scatters: list[pg.ScatterPlotItem] = []
        self.plot.scene().sigMouseClicked.connect(self._clicked)
        self.body.addWidget(self.plot, 1)
        self.body.addWidget(self.caption)
        self.points = np.zeros((0, 2))

    def show_sample(self, sample: api.Sample) -> None:
        assert isinstance(sample, LatentMap)
        for item in self.scatters:
            self.plot.removeItem(item)
        self.scatters.clear()
        self.legend.clear()
        self.points = np.asarray(sample.points, dtype=float).reshape(-1, 2)
        unlabelled = sample.classes is None
        classes = np.asarray([0] * len(self.points) if unlabelled else sample.classes)
        names = sample.class_names or []
        kinds = sorted(set(classes.tolist()))
        for k in kinds:
            chosen = self.points[classes == k]
            color = pg.intColor(k, hues=max(len(kinds), 1), alpha=190)
            name = names[k] if k < len(names) else ("codes" if unlabelled else str(k))
            item = pg.ScatterPlotItem(
                chosen[:, 0], chosen[:, 1], size=7, pen=None, brush=pg.mkBrush(color), name=name
            )
            self.plot.addItem(item)
            self.scatters.append(item)
        self.plot.setLabel("bottom", sample.axes[0])
        self.plot.setLabel("left", sample.axes[1])
        self.marker.setData([], [])
        share = "" if sample.axes[0] == "z1" else f" ({sample.explained:.0%} of the variance)"
        self.show_caption(sample, f"{len(self.points)} held-out codes{share}; click to decode")

    def click_at(self, x: float, y: float) -> None:
        """Mark (x, y) and emit ``point_clicked`` (what a click on the plot does)."""
        self.marker.setData([x], [y])
        self.point_clicked.emit(float(x), float(y))

    def _clicked(self, event) -> None:
        view = self.plot.getPlotItem().vb
        pos = event.scenePos()
        if not view.sceneBoundingRect().contains(pos):
            return
        point: QPointF = view.mapSceneToView(pos)
        self.click_at(point.x(), point.y())
