"""Compare runs: their curves of one metric overlaid, and their samples at the same
step side by side. Runs still being written (by this window, the CLI or torchrun)
are re-read every two seconds."""

from __future__ import annotations

import bisect
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSlider,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from studio.core.rundir import RunDir, RunDirError
from studio.core.samples import SampleFormatError, UnknownSampleKind, load_sample
from studio.ui.layout_fit import ElidedLabel
from studio.ui.sample_gallery import kinds_of, run_plugin
from studio.ui.sample_views import GenericView, SampleView, ViewRegistry, view_for

COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2"]
SKIP = frozenset({"step", "time", "epoch"})


class _Run:
    """One compared run: its metrics so far (read incrementally) and sample files."""

    def __init__(self, path: Path) -> None:
        self.run = RunDir(path)
        self.rows: list[dict] = []
        self.offset = 0
        self.samples: list[tuple[int, Path]] = []

    def update(self) -> bool:
        rows, self.offset = self.run.read_metrics_from(self.offset)
        self.rows += rows
        samples = self.run.sample_files()
        changed = bool(rows) or samples != self.samples
        self.samples = samples
        return changed

    def series(self, metric: str) -> tuple[np.ndarray, np.ndarray]:
        pts = [(r["step"], r[metric]) for r in self.rows if metric in r]
        if not pts:
            return np.zeros(0), np.zeros(0)
        steps, values = zip(*pts, strict=True)
        return np.asarray(steps, dtype=float), np.asarray(values, dtype=float)

    def sample_at(self, step: int) -> tuple[int, Path] | None:
        """The newest sample at or before ``step``."""
        steps = [s for s, _ in self.samples]
        i = bisect.bisect_right(steps, step) - 1
        return self.samples[i] if i >= 0 else None


def _ema(values: np.ndarray, alpha: float = 0.9) -> np.ndarray:
    out = np.empty_like(values)
    acc = values[0] if len(values) else 0.0
    for i, v in enumerate(values):
        acc = alpha * acc + (1 - alpha) * v
        out[i] = acc
    return out


class CompareView(QWidget):
    """``registry``: the plugin manager, whose sample kinds and views read and render
    the runs' samples (``None``: the built-in kinds only)."""

    def __init__(self, parent: QWidget | None = None, registry: ViewRegistry | None = None) -> None:
        super().__init__(parent)
        self.registry = registry
        self.runs: list[_Run] = []
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.title = ElidedLabel("Select two or more runs in the Runs list and press Compare.")
        bar.addWidget(self.title, 1)
        bar.addWidget(QLabel("Metric"))
        self.metric = QComboBox()
        self.metric.currentTextChanged.connect(self._plot)
        bar.addWidget(self.metric)
        self.smooth = QCheckBox("Smooth", checked=True)
        self.smooth.toggled.connect(self._plot)
        bar.addWidget(self.smooth)
        layout.addLayout(bar)
        split = QSplitter(Qt.Orientation.Vertical)
        self.plot = pg.PlotWidget()
        self.plot.showGrid(x=True, y=True, alpha=0.3)
        self.plot.setLabel("bottom", "step")
        # "d_loss (x0.001)" with ticks 100-700 misreads the values: plain numbers.
        for side in ("left", "bottom"):
            self.plot.getAxis(side).enableAutoSIPrefix(False)
        self.legend = self.plot.addLegend(offset=(10, 10))
        top = QWidget()
        tv = QVBoxLayout(top)
        tv.setContentsMargins(0, 0, 0, 0)
        tv.addWidget(self.plot, 1)
        # Which compared runs have no curve of the metric (another model's run...).
        self.missing = QLabel()
        self.missing.setWordWrap(True)
        self.missing.setStyleSheet("color: #d35400;")
        self.missing.hide()
        tv.addWidget(self.missing)
        split.addWidget(top)
        bottom = QWidget()
        v = QVBoxLayout(bottom)
        steps = QHBoxLayout()
        self.step_label = QLabel("Samples at step -")
        steps.addWidget(self.step_label)
        self.step = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=0)
        self.step.valueChanged.connect(self._show_samples)
        steps.addWidget(self.step, 1)
        v.addLayout(steps)
        # The samples of many runs scroll rather than widen the window past the screen.
        cells = QWidget()
        self.grid = QGridLayout(cells)
        self.grid.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(cells)
        v.addWidget(scroll, 1)
        split.addWidget(bottom)
        split.setSizes([400, 400])
        layout.addWidget(split, 1)
        self.views: list[tuple[QLabel, SampleView | None]] = []
        self._steps: list[int] = []
        self.timer = QTimer(self, interval=2000)
        self.timer.timeout.connect(self.refresh)

    def set_runs(self, paths: list[str | Path]) -> None:
        """Compare these runs (replacing any compared before)."""
        self.runs = []
        for path in paths:
            try:
                RunDir(path).record()
            except RunDirError:
                continue
            self.runs.append(_Run(Path(path)))
        for label, view in self.views:
            label.deleteLater()
            if view is not None:
                view.deleteLater()
        self.views = []
        for i, run in enumerate(self.runs):
            label = ElidedLabel(run.run.name)
            label.setStyleSheet(f"color: {COLORS[i % len(COLORS)]}; font-weight: bold;")
            row, col = self._cell(i)
            self.grid.addWidget(label, row, col)
            self.views.append((label, None))
        names = ", ".join(r.run.name for r in self.runs)
        self.title.setText(f"Comparing {len(self.runs)} runs: {names}")
        self.refresh(force=True)
        self.timer.start()

    def refresh(self, force: bool = False) -> None:
        changed = [run.update() for run in self.runs]
        if not (force or any(changed)):
            return
        metrics = sorted(
            {k for run in self.runs for r in run.rows for k in r if k not in SKIP},
            key=lambda k: (k.startswith(("sample/", "val/")), k),
        )
        current = self.metric.currentText()
        if metrics != [self.metric.itemText(i) for i in range(self.metric.count())]:
            self.metric.blockSignals(True)
            self.metric.clear()
            self.metric.addItems(metrics)
            self.metric.setCurrentText(
                current if current in metrics else metrics[0] if metrics else ""
            )
            self.metric.blockSignals(False)
        self._plot()
        steps = sorted({s for run in self.runs for s, _ in run.samples})
        at_end = self.step.value() >= self.step.maximum()
        self._steps = steps
        self.step.blockSignals(True)
        self.step.setMaximum(max(0, len(steps) - 1))
        if at_end:
            self.step.setValue(self.step.maximum())
        self.step.blockSignals(False)
        self._show_samples()

    def _cell(self, i: int) -> tuple[int, int]:
        """Where run ``i``'s label goes (its sample below): up to three runs side by
        side; more on two rows, so that four runs fit a laptop screen."""
        n = len(self.runs)
        cols = n if n <= 3 else (n + 1) // 2
        return 2 * (i // cols), i % cols

    def _plot(self) -> None:
        self.plot.clear()
        self.legend.clear()
        metric = self.metric.currentText()
        self.missing.hide()
        if not metric:
            return
        self.plot.setLabel("left", metric)
        lacking = [run.run.name for run in self.runs if not len(run.series(metric)[0])]
        if lacking:
            self.missing.setText(f"No {metric} in: {', '.join(lacking)}")
            self.missing.show()
        for i, run in enumerate(self.runs):
            steps, values = run.series(metric)
            if self.smooth.isChecked() and len(values) > 2:
                values = _ema(values)
            self.plot.plot(
                steps, values, pen=pg.mkPen(COLORS[i % len(COLORS)], width=2), name=run.run.name
            )

    def _show_samples(self) -> None:
        if not self._steps:
            self.step_label.setText("No samples yet")
            return
        step = self._steps[min(self.step.value(), len(self._steps) - 1)]
        self.step_label.setText(f"Samples at step {step:,}")
        for i, run in enumerate(self.runs):
            label, view = self.views[i]
            found = run.sample_at(step)
            if found is None:
                continue
            missing = None
            try:
                sample = load_sample(found[1], kinds_of(self.registry))
                kind = sample.kind
            except UnknownSampleKind as exc:
                missing, kind = exc, f"?{exc.kind}"  # never reuse a real kind's view
            except SampleFormatError:
                continue
            if view is None or getattr(view, "_kind", None) != kind:
                if view is not None:
                    view.deleteLater()
                view = view_for(kind.lstrip("?"), self.registry, run_plugin(found[1]))
                view._kind = kind
                row, col = self._cell(i)
                self.grid.addWidget(view, row + 1, col)
                self.views[i] = (label, view)
            if missing is None:
                view.show_sample(sample)
            elif isinstance(view, GenericView) and self.registry is not None:
                view.set_message(
                    self.registry.missing_kind_message(missing.kind, run_plugin(found[1])),
                    missing.metrics,
                )
            # The step only when it differs from the slider's: the name keeps the room.
            late = f" (step {found[0]:,})" if found[0] != step else ""
            label.setText(f"{run.run.name}{late}")
