"""The classifier's views: the report (confusion matrix, per-class accuracy, precision
and recall, the misclassified examples of a clicked cell) and Explore's widget, which
also classifies an image dropped on it and shows its class probabilities."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio import api
from studio.api_qt import ImagesView, SampleView, SamplingWidget

from .report import ClassifierReport


def _pct(v: float) -> str:
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.1%}"


class ReportView(SampleView):
    """A ``classification`` sample: the matrix (click a cell for its examples), a
    per-class table, and the examples; or one classified image and its probabilities."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.report: ClassifierReport | None = None
        top = QHBoxLayout()
        self.matrix = QTableWidget()
        self.matrix.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.matrix.setToolTip("rows: true class; columns: predicted. Click a cell for its images")
        self.matrix.cellClicked.connect(self.show_cell)
        self.classes = QTableWidget()
        self.classes.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        top.addWidget(self.matrix, 3)
        top.addWidget(self.classes, 2)
        self.body.addLayout(top, 3)
        self.cell_label = QLabel()
        self.body.addWidget(self.cell_label)
        self.examples = ImagesView()
        self.body.addWidget(self.examples, 2)
        self.probabilities = QWidget()
        self.prob_layout = QVBoxLayout(self.probabilities)
        self.body.addWidget(self.probabilities)
        self.body.addWidget(self.caption)
        self.shown_cell: tuple[int, int] | None = None
        self.prob_bars: list[QProgressBar] = []

    def show_sample(self, sample: api.Sample) -> None:
        assert isinstance(sample, ClassifierReport)
        self.report = sample
        single = bool(sample.true) and sample.true[0] < 0
        self.matrix.setVisible(not single)
        self.classes.setVisible(not single)
        self.probabilities.setVisible(single)
        if single:
            self._show_probabilities(sample)
        else:
            self._show_matrix(sample)
            self._show_classes(sample)
            cells = [(t, p) for t, p in zip(sample.true, sample.predicted, strict=True)]
            if cells:  # the most frequent mistake first
                self.show_cell(*max(set(cells), key=cells.count))
            else:
                self.cell_label.setText("no misclassified held-out images")
                self.examples.label.clear()
        self.show_caption(sample, sample.summary())

    def _show_matrix(self, r: ClassifierReport) -> None:
        m = r.matrix()
        k = len(r.class_names)
        self.matrix.setRowCount(k)
        self.matrix.setColumnCount(k)
        self.matrix.setHorizontalHeaderLabels(r.class_names)
        self.matrix.setVerticalHeaderLabels(r.class_names)
        top = max(1, int(m.max()))
        for t in range(k):
            for p in range(k):
                item = QTableWidgetItem(str(int(m[t, p])))
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                share = m[t, p] / top
                # The diagonal in green, mistakes in red, as deep as they are many.
                base = (46, 160, 67) if t == p else (214, 39, 40)
                alpha = int(30 + 200 * share) if m[t, p] else 0
                item.setBackground(QColor(*base, alpha))
                self.matrix.setItem(t, p, item)
        self.matrix.resizeColumnsToContents()

    def _show_classes(self, r: ClassifierReport) -> None:
        rows = r.per_class()
        self.classes.setRowCount(len(rows))
        self.classes.setColumnCount(3)
        self.classes.setHorizontalHeaderLabels(["accuracy", "precision", "images"])
        self.classes.setVerticalHeaderLabels(r.class_names)
        for i, row in enumerate(rows):
            cells = [_pct(row["recall"]), _pct(row["precision"]), str(row["support"])]
            for j, v in enumerate(cells):
                self.classes.setItem(i, j, QTableWidgetItem(v))
        self.classes.resizeColumnsToContents()

    def show_cell(self, true: int, predicted: int) -> None:
        """The examples of one cell of the matrix (the misclassified ones are kept)."""
        r = self.report
        if r is None:
            return
        self.shown_cell = (true, predicted)
        idx = r.examples_in(true, predicted)
        names = r.class_names
        count = int(r.matrix()[true, predicted])
        if not idx:
            what = "correct" if true == predicted else "kept as examples"
            self.cell_label.setText(
                f"{names[true]} predicted {names[predicted]}: {count} ({what}; none shown)"
            )
            self.examples.label.clear()
            return
        self.cell_label.setText(
            f"{names[true]} predicted as {names[predicted]}: {count} images ({len(idx)} shown)"
        )
        captions = [f"{r.probs[i][predicted]:.0%} {names[predicted]}" for i in idx]
        images = np.asarray(r.images)[idx]
        self.examples.show_sample(api.Images(images=images, labels=captions))

    def _show_probabilities(self, r: ClassifierReport) -> None:
        for bar in self.prob_bars:
            bar.deleteLater()
        self.prob_bars = []
        probs = r.probs[0]
        order = sorted(range(len(probs)), key=lambda k: -probs[k])
        for k in order:
            bar = QProgressBar(maximum=1000, value=int(probs[k] * 1000))
            bar.setFormat(f"{r.class_names[k]}: {probs[k]:.1%}")
            self.prob_layout.addWidget(bar)
            self.prob_bars.append(bar)
        self.cell_label.setText(f"classified as {r.class_names[r.predicted[0]]}")
        self.examples.show_sample(api.Images(images=np.asarray(r.images)))


class ClassifierWidget(SamplingWidget):
    """Generate: the held-out report of the run's latest checkpoint. Drop an image file
    on the widget to classify it."""

    def __init__(self, context) -> None:
        super().__init__(context)
        self.view = ReportView()
        hint = QLabel("Drop an image here to classify it.")
        hint.setStyleSheet("color: gray;")
        self.body.addWidget(hint)
        self.body.addWidget(self.view, 1)
        self.setAcceptDrops(True)

    def classify(self, path: str | Path) -> None:
        """Classify one image file (what a drop does)."""
        self.request_sample(seed=self.seed.value(), options={"image": str(path)})

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        urls = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            self.classify(urls[0])
            event.acceptProposedAction()

    def show_sample(self, sample) -> None:
        self.view.show_sample(sample)
