"""The classifier's widget: the report of a run (confusion matrix, per-class table, a
clicked cell's examples), an image dropped to classify, and the alarm markers of the
loss plot. Also renders docs/images/classifier.png."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from studio.api_qt import SamplingContext

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def widget(plugins, book_run, qtbot):
    spec = plugins.models["classifier"]
    w = spec.widget_factory(SamplingContext(spec, plugins.resolve_run))
    qtbot.addWidget(w)
    w.resize(900, 760)
    w.set_run(book_run)
    return w


def test_the_report_matrix_table_and_a_clicked_cell(widget, qtbot):
    with qtbot.waitSignal(widget.sampled, timeout=60_000):
        widget.generate()
    view = widget.view
    report = view.report
    assert view.matrix.rowCount() == 10 and view.matrix.columnCount() == 10
    total = sum(int(view.matrix.item(t, p).text()) for t in range(10) for p in range(10))
    assert total == 180
    assert view.classes.item(0, 0).text().endswith("%")
    # the most frequent mistake is shown first; clicking another mistake shows its images
    t, p = report.true[-1], report.predicted[-1]
    view.matrix.cellClicked.emit(t, p)
    assert view.shown_cell == (t, p)
    assert len(view.examples.shown_captions) == len(report.examples_in(t, p))
    assert f"{report.class_names[t]} predicted as {report.class_names[p]}" in view.cell_label.text()
    view.matrix.cellClicked.emit(0, 0)  # a correct cell: no examples are kept
    assert "none shown" in view.cell_label.text()
    if os.environ.get("GENAI_STUDIO_SCREENSHOTS"):
        view.matrix.cellClicked.emit(t, p)
        widget.grab().save(str(ROOT / "docs" / "images" / "classifier.png"))


def test_a_dropped_image_is_classified_with_probabilities(widget, qtbot, tmp_path):
    from PIL import Image

    from studio.core.digits import load_digits

    images, labels = load_digits(32).train
    i = int((labels == 3).nonzero()[0])
    Image.fromarray(images[i, 0].numpy()).save(tmp_path / "three.png")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path / "three.png"))])
    event = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    with qtbot.waitSignal(widget.sampled, timeout=60_000):
        widget.dropEvent(event)
    view = widget.view
    assert not view.matrix.isVisibleTo(widget) and view.probabilities.isVisibleTo(widget)
    assert len(view.prob_bars) == 10
    assert view.prob_bars[0].format().startswith("3: ")  # the most probable first
    assert "classified as 3" in view.cell_label.text()


def test_alarm_markers_on_the_loss_plot(qtbot):
    from studio.ui.loss_plot import LossPlot

    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.set_total(100)
    plot.add_rows([{"step": s, "loss": 1.0 / s} for s in range(1, 101)])
    plot.add_marker(40, "divergence", "alarm at step 40 (divergence): ...")
    assert [(s, t) for s, t, _ in plot.markers] == [(40, "divergence")]
    assert plot.markers[0][2] in plot.plot.getPlotItem().items
    plot.clear()
    assert plot.markers == []
