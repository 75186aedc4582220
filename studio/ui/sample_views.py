"""Views that render one sample of each built-in kind: points, numbers, images, text.

Views are contributions (``SampleViewSpec``): the built-in plugin ``samples``
registers these four, and the gallery, the compare view and Explore pick a view with
``view_for(kind, registry)`` from the plugin manager's ``sample_views``. A kind whose
plugin is missing or disabled gets a ``GenericView`` saying which plugin to enable.
Plugins reuse these views in their sampling widgets (re-exported by ``studio.api_qt``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Protocol

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QScrollArea, QVBoxLayout, QWidget

from studio.core.samples import Images, Numbers, Points, Sample, Text

pg.setConfigOptions(antialias=True, background="w", foreground="k")


class SampleView(QWidget):
    """Base of a sample kind's view: ``show_sample(sample)`` renders; a subclass adds
    its widgets to ``body`` (a vertical layout) and the ``caption`` label, and calls
    ``show_caption`` with the sample for a line of its metrics."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(0, 0, 0, 0)
        self._layout = self.body  # the name the built-in views use
        self.caption = QLabel()
        self.caption.setWordWrap(True)

    def show_sample(self, sample: Sample) -> None:
        """Render ``sample`` (called on the GUI thread)."""
        raise NotImplementedError

    def show_caption(self, sample: Sample, extra: str = "") -> None:
        """Set ``caption`` to ``extra`` followed by the sample's metrics."""
        parts = [f"{k.replace('_', ' ')}: {v:.3g}" for k, v in sample.metrics.items()]
        self.caption.setText("   ".join(p for p in [extra, *parts] if p))

    _caption = show_caption  # the name the built-in views use


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
        self.held_range: tuple[np.ndarray, np.ndarray] | None = None
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
        self._hold_range(pts, None if sample.reference is None else np.asarray(sample.reference))
        self.plot.setLabel("bottom", sample.x_label)
        self.plot.setLabel("left", sample.y_label)
        self._caption(sample, f"{len(pts)} points")

    def _hold_range(self, pts: np.ndarray, ref: np.ndarray | None) -> None:
        """Axes that only grow while this view shows one run's samples: stepping
        through the samples compares them on the same axes."""
        parts = [a[:, :2] for a in (pts, ref) if a is not None and a.ndim == 2 and len(a)]
        if not parts:
            return
        both = np.concatenate(parts)
        both = both[np.isfinite(both).all(axis=1)]
        if not len(both):
            return
        lo, hi = both.min(axis=0), both.max(axis=0)
        if self.held_range is not None:
            lo, hi = np.minimum(lo, self.held_range[0]), np.maximum(hi, self.held_range[1])
        self.held_range = (lo, hi)
        self.plot.disableAutoRange()
        self.plot.setXRange(float(lo[0]), float(hi[0]), padding=0.05)
        self.plot.setYRange(float(lo[1]), float(hi[1]), padding=0.05)


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


def fit_scale(room: float) -> float:
    """How much to enlarge a grid that would fit ``room`` times into its panel: whole
    pixels per pixel from 2x (crisp), else the fraction between 1x and 2x that fills
    the panel (a 10x10 grid of 32-pixel digits is not left at 32 pixels a digit in a
    panel 1.5 times its size)."""
    if room >= 2:
        return float(min(8, math.floor(room)))
    return max(1.0, room)


def scaled_image(image: QImage, width: int, height: int) -> QImage:
    """``image`` at ``width`` x ``height``: nearest-neighbour at whole multiples (crisp
    pixels), smooth at a fraction (even pixels cannot be had there)."""
    whole = width % max(1, image.width()) == 0 and height % max(1, image.height()) == 0
    mode = Qt.TransformationMode.FastTransformation
    if not whole:
        mode = Qt.TransformationMode.SmoothTransformation
    return image.scaled(width, height, Qt.AspectRatioMode.IgnoreAspectRatio, mode)


def row_labels(labels: list[str], columns: int, n: int) -> list[str]:
    """One label per row when the images of each row share one and the rows differ
    (the conditional GAN's preview: a class a row), else ``[]``."""
    if len(labels) < n or columns < 2 or n <= columns:
        return []
    rows = [labels[i : min(i + columns, n)] for i in range(0, n, columns)]
    if any(len(set(row)) != 1 for row in rows) or len({row[0] for row in rows}) < 2:
        return []
    return [row[0] for row in rows]


class ImagesView(SampleView):
    """A batch of images in ``Images.columns`` columns (default: about sqrt(N)), each
    captioned with its ``Images.labels`` entry, scaled with nearest-neighbour to stay
    crisp. Labels shared by each row are written once at the row's start (a class a
    row); a label shared by every image goes in the caption line. After
    ``show_sample``, ``shown_columns``, ``shown_captions`` and ``shown_row_labels``
    say what is drawn."""

    TARGET = 512  # about how wide the grid is drawn, in pixels
    PAD = 4

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(self.label)
        self._layout.addWidget(self.scroll, 1)
        self._layout.addWidget(self.caption)
        self.shown_columns = 0
        self.shown_captions: list[str] = []
        self.shown_row_labels: list[str] = []
        self.shown_scale = 0
        self._sample: Images | None = None

    def show_sample(self, sample: Sample) -> None:
        assert isinstance(sample, Images)
        self._sample = sample
        imgs = np.asarray(sample.images, dtype=np.uint8)
        labels = [str(x) for x in sample.labels or []]
        cols = sample.grid_columns()
        self._render()
        self.shown_columns, self.shown_captions = cols, labels[: len(imgs)]
        self.shown_row_labels = row_labels(labels, cols, len(imgs))
        shared = f": {labels[0]}" if len(imgs) > 1 and len(set(labels)) == 1 else ""
        self._caption(sample, f"{len(imgs)} images{shared}")

    def _room(self) -> tuple[int, int]:
        """The pixels the grid may fill (TARGET wide before the view is laid out)."""
        size = self.scroll.viewport().size()
        if not self.isVisible() or size.width() < 50 or size.height() < 50:
            return self.TARGET, self.TARGET
        return size.width() - 2 * self.PAD, size.height() - 2 * self.PAD

    def _render(self) -> None:
        """Draw the sample as large as the panel allows (whole pixels per pixel)."""
        sample = self._sample
        if sample is None:
            return
        imgs = np.asarray(sample.images, dtype=np.uint8)
        labels = [str(x) for x in sample.labels or []]
        cols = sample.grid_columns()
        by_row = row_labels(labels, cols, len(imgs))
        if by_row:
            self.label.setPixmap(self._row_labelled(imgs, by_row, cols))
        elif not labels or (len(imgs) > 1 and len(set(labels)) == 1):  # shared: in caption
            grid = sample.grid(cols)
            pix = QPixmap.fromImage(image_to_qimage(grid))
            width, height = self._room()
            room = min(width / max(1, pix.width()), height / max(1, pix.height()))
            scale = self.shown_scale = fit_scale(room)
            image = scaled_image(
                pix.toImage(), round(pix.width() * scale), round(pix.height() * scale)
            )
            self.label.setPixmap(QPixmap.fromImage(image))
        else:
            self.label.setPixmap(self._captioned(imgs, labels, cols))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._render()

    def _row_labelled(self, imgs: np.ndarray, names: list[str], cols: int) -> QPixmap:
        """The images in ``cols`` columns, each row's label once at its left."""
        n, h, w, _ = imgs.shape
        metrics = QFontMetrics(self.font())
        label_w = min(max(metrics.horizontalAdvance(t) for t in names), 160) + 2 * self.PAD
        width, height = self._room()
        rows, pad = len(names), self.PAD
        room = min(
            (width - label_w - pad - cols * pad) / max(1, cols * w),
            (height - pad - rows * pad) / max(1, rows * h),
        )
        scale = self.shown_scale = fit_scale(room)
        cell_w, cell_h = round(w * scale), round(h * scale)
        pix = QPixmap(
            label_w + cols * (cell_w + self.PAD) + self.PAD,
            len(names) * (cell_h + self.PAD) + self.PAD,
        )
        pix.fill(QColor("white"))
        painter = QPainter(pix)
        painter.setPen(QColor("black"))
        for r, name in enumerate(names):
            y = self.PAD + r * (cell_h + self.PAD)
            text = metrics.elidedText(name, Qt.TextElideMode.ElideMiddle, label_w - self.PAD)
            align = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
            painter.drawText(QRect(0, y, label_w - self.PAD, cell_h), align, text)
        for i in range(n):
            r, c = divmod(i, cols)
            x = label_w + self.PAD + c * (cell_w + self.PAD)
            y = self.PAD + r * (cell_h + self.PAD)
            painter.drawImage(x, y, scaled_image(image_to_qimage(imgs[i]), cell_w, cell_h))
        painter.end()
        return pix

    def _captioned(self, imgs: np.ndarray, labels: list[str], cols: int) -> QPixmap:
        """The images in ``cols`` columns with each label written under its image."""
        n, h, w, _ = imgs.shape
        rows = math.ceil(n / cols)
        metrics = QFontMetrics(self.font())
        width, height = self._room()
        fit = min(
            width // max(1, cols * (w + self.PAD)),
            (height // max(1, rows) - metrics.height() - self.PAD) // max(1, h),
        )
        # Wide strips may go past the panel (the view scrolls) so captions stay legible.
        scale = self.shown_scale = max(1, min(8, max(fit, 48 // max(1, w))))
        cell_w, text_h = max(w * scale, 40), metrics.height()
        cell_h = h * scale + text_h
        pix = QPixmap(cols * (cell_w + self.PAD) + self.PAD, rows * (cell_h + self.PAD) + self.PAD)
        pix.fill(QColor("white"))
        painter = QPainter(pix)
        painter.setPen(QColor("black"))
        for i in range(n):
            r, c = divmod(i, cols)
            x, y = self.PAD + c * (cell_w + self.PAD), self.PAD + r * (cell_h + self.PAD)
            image = image_to_qimage(imgs[i]).scaled(w * scale, h * scale)
            painter.drawImage(x + (cell_w - w * scale) // 2, y, image)
            text = metrics.elidedText(labels[i] if i < len(labels) else "", Qt.ElideRight, cell_w)
            painter.drawText(
                QRect(x, y + h * scale, cell_w, text_h), Qt.AlignmentFlag.AlignCenter, text
            )
        painter.end()
        return pix


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
    """Any sample as its one-line summary and metrics; with a ``message``, the view of
    a kind that cannot be shown (its plugin is disabled or missing), naming the plugin."""

    def __init__(self, parent: QWidget | None = None, message: str = "") -> None:
        super().__init__(parent)
        self.message = QLabel(message)
        self.message.setWordWrap(True)
        self.message.setVisible(bool(message))
        self._layout.addWidget(self.message)
        self._layout.addWidget(self.caption)
        self._layout.addStretch(1)

    def set_message(self, message: str, metrics: Mapping[str, float] | None = None) -> None:
        """Say why the sample cannot be shown, with the metrics its file holds."""
        self.message.setText(message)
        self.message.setVisible(bool(message))
        parts = [f"{k.replace('_', ' ')}: {v:.3g}" for k, v in (metrics or {}).items()]
        self.caption.setText("   ".join(parts))

    def show_sample(self, sample: Sample) -> None:
        self._caption(sample, sample.summary())


class ViewRegistry(Protocol):
    """What ``view_for`` needs of the plugin manager."""

    sample_views: Mapping[str, Any]

    def missing_kind_message(self, kind: str, hint: str | None = None) -> str: ...


# The built-in views by kind, for callers with no plugin manager (1.0 widgets calling
# ``api_qt.view_for(kind)``); the app resolves views through its manager's registry.
VIEWS: dict[str, type[SampleView]] = {
    "points": PointsView,
    "numbers": NumbersView,
    "images": ImagesView,
    "text": TextView,
}


def view_for(
    kind: str, registry: ViewRegistry | None = None, hint: str | None = None
) -> SampleView:
    """A new view for samples of ``kind``: the registered view's factory, else a
    ``GenericView`` whose message names the plugin to enable (``hint``: the plugin of
    the run, when the kind's own plugin is unknown). With no ``registry``, the
    built-in views."""
    if registry is None:
        return VIEWS.get(kind, GenericView)()
    spec = registry.sample_views.get(kind)
    if spec is not None:
        try:
            return spec.factory()
        except Exception as exc:  # a plugin's bug must not take the gallery down
            view = GenericView()
            view.set_message(f"The view of sample kind {kind!r} failed: {exc}")
            return view
    view = GenericView()
    if kind not in getattr(registry, "sample_kinds", {kind: None}):
        view.set_message(registry.missing_kind_message(kind, hint))
    return view
