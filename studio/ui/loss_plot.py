"""Live loss curves: one curve per named scalar, EMA smoothing, log scale, and
bounded memory (a long run is kept as the low and high point of equal-width buckets)."""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QSlider, QVBoxLayout, QWidget

# Curves redraw at most twice a second however fast data comes: on a 2-core machine
# every millisecond the GUI spends painting is taken from training.
REDRAW_INTERVAL_MS = 500
PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2"]
NOT_PLOTTED = {"step", "time", "epoch"}
TITLE_PT = 9  # the sample-metric plots' titles
# Metrics that are not losses get a plot (an axis) of their own: a perplexity of 300
# on the loss axis flattens the losses to a line at zero.
OWN_AXIS_WORDS = ("perplexity", "ppl", "accuracy", "bleu")


def own_axis(name: str) -> bool:
    """Whether ``name`` is drawn in its own small plot (sample metrics, perplexity...)."""
    return name.startswith("sample/") or any(w in name.lower() for w in OWN_AXIS_WORDS)


def color_for(name: str, used: set[str]) -> str:
    """A colour that depends on the name (so a resumed or reopened run keeps each
    curve's colour), the next free one if a curve in the same plot has it."""
    start = zlib.crc32(name.encode()) % len(PALETTE)
    for i in range(len(PALETTE)):
        color = PALETTE[(start + i) % len(PALETTE)]
        if color not in used:
            return color
    return PALETTE[start]


Point = tuple[float, float, float]  # step, raw value, smoothed value


def _low(p: Point) -> float:
    return p[1] if np.isfinite(p[1]) else np.inf


def _high(p: Point) -> float:
    return p[1] if np.isfinite(p[1]) else -np.inf


class Series:
    """The points of one named scalar, raw and EMA-smoothed (kept up to date as points
    arrive, so a redraw costs no recomputation), in at most ``max_points`` points.

    Past ``max_points`` the steps are grouped into buckets of equal width (doubled
    each time they overflow), each keeping its lowest and highest point, as
    pyqtgraph's peak downsampling does: a spike early in a long run stays drawn, and
    old and recent history are equally dense."""

    def __init__(self, max_points: int, alpha: float = 0.0) -> None:
        self.max_points = max(4, max_points)
        self.alpha = alpha
        self._acc = 0.0
        self._weight = 0.0
        self.width = 1.0  # steps per bucket
        # bucket index -> (lowest point, highest point); the same point when one.
        self._buckets: dict[int, tuple[Point, Point]] = {}
        self._points: list[Point] | None = []
        self._last: Point | None = None

    def _push(self, y: float) -> float:
        """Fold ``y`` into the bias-corrected EMA (as TensorBoard's smoothing)."""
        if np.isfinite(y):
            self._acc = self.alpha * self._acc + (1 - self.alpha) * y
            self._weight = self.alpha * self._weight + (1 - self.alpha)
        return self._acc / self._weight if self._weight else y

    def set_alpha(self, alpha: float) -> None:
        """Re-smooth with ``alpha`` (from the kept points: exact until thinning began)."""
        if alpha == self.alpha:
            return
        self.alpha, self._acc, self._weight = alpha, 0.0, 0.0
        self._last = None
        for key in sorted(self._buckets):
            lo, hi = self._buckets[key]
            first, second = (lo, hi) if lo[0] <= hi[0] else (hi, lo)
            a = (first[0], first[1], self._push(first[1]))
            b = a if second is first else (second[0], second[1], self._push(second[1]))
            self._buckets[key] = (a, b) if first is lo else (b, a)
        self._points = None

    def add(self, x: float, y: float) -> None:
        point = self._last = (x, y, self._push(y))
        self._merge(int(x // self.width), point, point)
        self._points = None
        while 2 * len(self._buckets) >= self.max_points:
            self.width *= 2
            old, self._buckets = self._buckets, {}
            for lo, hi in old.values():
                self._merge(int(lo[0] // self.width), lo, hi)

    def _merge(self, key: int, lo: Point, hi: Point) -> None:
        have = self._buckets.get(key)
        if have is not None:
            lo = have[0] if _low(have[0]) <= _low(lo) else lo
            hi = have[1] if _high(have[1]) >= _high(hi) else hi
        self._buckets[key] = (lo, hi)

    def points(self) -> list[Point]:
        """The kept points in step order (a bucket's low and high point by step)."""
        if self._points is None:
            out: list[Point] = []
            for key in sorted(self._buckets):
                lo, hi = self._buckets[key]
                if lo is hi or lo == hi:
                    out.append(lo)
                else:
                    out.extend((lo, hi) if lo[0] <= hi[0] else (hi, lo))
            if out and self._last is not None and out[-1][0] < self._last[0]:
                out.append(self._last)  # the curve reaches the current step
            self._points = out
        return self._points

    @property
    def x(self) -> list[float]:
        return [p[0] for p in self.points()]

    @property
    def y(self) -> list[float]:
        return [p[1] for p in self.points()]

    @property
    def smooth(self) -> list[float]:
        return [p[2] for p in self.points()]

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Steps and smoothed values, ready to draw."""
        pts = np.asarray(self.points(), dtype=float).reshape(-1, 3)
        return pts[:, 0], pts[:, 2]

    def __len__(self) -> int:
        return len(self.points())


REFERENCE_COLOURS = ("#7f7f7f", "#bcbd22")  # grey and olive: not a run's curve colour


class LossPlot(QWidget):
    """Training losses (solid), validation (dashed) and sample metrics (lower plot)."""

    def __init__(self, parent: QWidget | None = None, max_points: int = 5000) -> None:
        super().__init__(parent)
        self.max_points = max_points
        self.series: dict[str, Series] = {}
        self._dirty: set[str] = set()
        self.curves: dict[str, pg.PlotDataItem] = {}
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Smoothing"))
        self.smoothing = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=99, value=60)
        self.smoothing.setFixedWidth(160)
        self.smoothing.valueChanged.connect(lambda _v: self.redraw())
        bar.addWidget(self.smoothing)
        self.smoothing_label = QLabel()
        bar.addWidget(self.smoothing_label)
        self.log_y = QCheckBox("Log scale")
        self.log_y.toggled.connect(self._set_log)
        bar.addWidget(self.log_y)
        bar.addStretch(1)
        self.rate_label = QLabel()
        # A fixed width: a label that resizes with its text would re-layout (and so
        # repaint) the plots below it at every update.
        self.rate_label.setFixedWidth(140)
        self.rate_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        bar.addWidget(self.rate_label)
        layout.addLayout(bar)
        self.plot = pg.PlotWidget(title="Losses")
        self.plot.addLegend(offset=(-10, 10))
        self.plot.setLabel("bottom", "step")
        self.plot.showGrid(x=True, y=True, alpha=0.3)
        self.plot.setClipToView(True)
        self.plot.setDownsampling(auto=True, mode="peak")
        # Sample metrics have unrelated scales (a share in [0, 1], a count, a distance):
        # each gets its own small plot, side by side.
        self.quality = pg.GraphicsLayoutWidget()
        self.quality_plots: dict[str, pg.PlotItem] = {}
        self._titles: dict[str, str] = {}  # their whole titles
        self.quality.installEventFilter(self)
        self._total = 0
        self.markers: list[tuple[int, str, pg.InfiniteLine]] = []  # health alarms
        layout.addWidget(self.plot, 3)
        layout.addWidget(self.quality, 2)
        # Before any run: what to press and what will happen, instead of empty axes.
        self.empty = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setMargin(24)
        layout.addWidget(self.empty, 5)
        self._show_empty(True)
        self._update_label()
        self._redraw_timer = QTimer(self, singleShot=True, interval=REDRAW_INTERVAL_MS)
        self._redraw_timer.timeout.connect(lambda: self.redraw(everything=False))

    def set_empty_text(self, text: str) -> None:
        """What the tab says while no run is shown (rich text)."""
        self.empty.setText(text)

    def _show_empty(self, empty: bool) -> None:
        self.empty.setVisible(empty)
        self.plot.setVisible(not empty)
        self.quality.setVisible(not empty)

    def clear(self) -> None:
        self._show_empty(True)
        for name, curve in self.curves.items():
            if own_axis(name):  # in the quality plots, cleared below
                continue
            self.plot.removeItem(curve)
            legend = self.plot.plotItem.legend
            if legend is not None:
                legend.removeItem(curve)
        self.quality.clear()
        self.quality_plots.clear()
        self._titles.clear()
        self.series.clear()
        self.curves.clear()
        self.rate_label.setText("")
        for _, _, line in self.markers:
            self.plot.removeItem(line)
        self.markers.clear()

    def add_marker(self, step: int, text: str, tooltip: str = "") -> None:
        """A vertical line on the loss curves at ``step``, labelled ``text`` (a health
        alarm: studio.core.health); ``tooltip`` says more on hover."""
        pen = pg.mkPen("#d62728", width=1, style=Qt.PenStyle.DashLine)
        line = pg.InfiniteLine(
            pos=step,
            angle=90,
            pen=pen,
            label=text,
            labelOpts={"position": 0.92, "color": "#d62728", "rotateAxis": (1, 0)},
        )
        line.setToolTip(tooltip or text)
        self.plot.addItem(line)
        self.markers.append((int(step), text, line))

    def set_reference(self, curves: list[tuple[str, str, list[tuple[int, float]]]]) -> None:
        """Curves to draw dashed beside the run's (what the book printed, from a recipe):
        each (metric, label, [(step, value)...]). They stay, across runs, until the next
        call; an empty list removes them."""
        for item in getattr(self, "references", []):
            self.plot.removeItem(item)
            legend = self.plot.plotItem.legend
            if legend is not None:
                legend.removeItem(item)
        self.references: list[pg.PlotDataItem] = []
        for n, (_metric, label, points) in enumerate(curves):
            xs, ys = zip(*points, strict=True) if points else ((), ())
            pen = pg.mkPen(REFERENCE_COLOURS[n % len(REFERENCE_COLOURS)], width=1.5)
            pen.setStyle(Qt.PenStyle.DashLine)
            item = self.plot.plot(list(xs), list(ys), pen=pen, name=label, symbol="o", symbolSize=4)
            self.references.append(item)

    def set_total(self, steps: int) -> None:
        """Fix the x axis to the run's length: the curves fill it as training goes, and
        the axes need not be redrawn at every update."""
        self._total = max(1, steps)
        self._show_empty(False)
        for p in (self.plot, *self.quality_plots.values()):
            p.enableAutoRange(x=False)
            p.setXRange(0, self._total, padding=0.02)

    def _plot_for(self, name: str) -> pg.PlotWidget | pg.PlotItem:
        if not own_axis(name):
            return self.plot
        if name not in self.quality_plots:
            title = f"sample: {name[7:]}" if name.startswith("sample/") else name
            item = pg.PlotItem(title=title.replace("_", " "))
            item.showGrid(x=True, y=True, alpha=0.3)
            item.setLabel("bottom", "step")
            if self._total:
                item.enableAutoRange(x=False)
                item.setXRange(0, self._total, padding=0.02)
            self.quality_plots[name] = item
            self._titles[name] = title.replace("_", " ")
            # In name order, so their places do not depend on which came first (a
            # resumed run lists them in another order than the live one did).
            for other in self.quality_plots.values():
                if other is not item:
                    self.quality.removeItem(other)
            for col, key in enumerate(sorted(self.quality_plots)):
                self.quality.addItem(self.quality_plots[key], row=0, col=col)
            self._fit_titles()
        return self.quality_plots[name]

    def _fit_titles(self) -> None:
        """Titles shortened (in the middle) to their plot's share of the width: a
        title wider than that would push the last plot out of the window."""
        if not self.quality_plots:
            return
        font = QFont(self.font())
        font.setPointSize(TITLE_PT)
        metrics = QFontMetrics(font)
        share = max(40, self.quality.width() // len(self.quality_plots) - 40)
        for name, item in self.quality_plots.items():
            full = self._titles[name]
            text = metrics.elidedText(full, Qt.TextElideMode.ElideMiddle, share)
            item.setTitle(text, size=f"{TITLE_PT}pt")
            item.titleLabel.setToolTip(full)

    def eventFilter(self, watched, event) -> bool:
        if watched is self.quality and event.type() == QEvent.Type.Resize:
            self._fit_titles()
        return super().eventFilter(watched, event)

    def add_rows(self, rows: list[dict[str, Any]]) -> None:
        """Append metric rows (as in metrics.jsonl) and redraw."""
        if rows:
            self._show_empty(False)
        for row in rows:
            step = row.get("step", 0)
            for name, value in row.items():
                if name in NOT_PLOTTED or not isinstance(value, (int, float)):
                    continue
                if name not in self.series:
                    self.series[name] = Series(self.max_points, self._alpha(name))
                self.series[name].add(float(step), float(value))
                self._dirty.add(name)
        if rows and not self._redraw_timer.isActive():
            self._redraw_timer.start()

    def flush(self) -> None:
        """Redraw now (instead of at the next tick)."""
        self._redraw_timer.stop()
        self.redraw()

    def _curve(self, name: str) -> pg.PlotDataItem:
        if name not in self.curves:
            plot = self._plot_for(name)
            used = {str(c.opts["pen"].color().name()) for n, c in self.curves.items()
                    if self._plot_for(n) is plot}  # fmt: skip
            color = color_for(name, used)
            style = Qt.PenStyle.DashLine if name.startswith("val/") else Qt.PenStyle.SolidLine
            pen = pg.mkPen(color, width=2, style=style)
            # Sparse points (validation, sample metrics) are marked: a curve of one
            # point has no line to draw.
            sparse = name.startswith(("sample/", "val/")) or own_axis(name)
            symbol = "o" if sparse else None
            # Antialiased wide lines cost the GUI thread far more than they add here.
            self.curves[name] = plot.plot(
                [],
                [],
                pen=pen,
                name=name,
                symbol=symbol,
                symbolSize=5,
                symbolBrush=color,
                antialias=False,
                skipFiniteCheck=False,
            )
        return self.curves[name]

    def redraw(self, everything: bool = True) -> None:
        self._update_label()
        for name, s in self.series.items():
            if not everything and name not in self._dirty:
                continue
            s.set_alpha(self._alpha(name))
            x, y = s.arrays()
            if self.log_y.isChecked():
                y = np.where(y > 0, y, np.nan)
            self._curve(name).setData(x, y, connect="finite")
        self._dirty.clear()

    def _alpha(self, name: str) -> float:
        # Validation and preview metrics are sparse: smoothing them would only lag.
        if name.startswith(("sample/", "val/")):
            return 0.0
        return self.smoothing.value() / 100

    def _set_log(self, on: bool) -> None:
        self.plot.setLogMode(y=on)
        self.redraw()

    def _update_label(self) -> None:
        self.smoothing_label.setText(f"{self.smoothing.value() / 100:.2f}")
