"""What the window shows reads as it is: the Data tab's header escapes names and
writes summaries as a person would (no Python reprs), messages carry Qt's standard
icons (no emoji that render as empty boxes), Compare names the runs that lack a
metric, and a re-enabled plugin brings its model back."""

from __future__ import annotations

from studio.testing import drop_paths, write_tiny_files
from studio.ui.dataset_preview import readable

WAIT = 120_000


def test_summaries_read_as_written_text():
    assert readable(["0", "1", "2"]) == "0, 1, 2"
    assert readable({"train": 2290, "test": 57}) == "train 2,290, test 57"
    assert readable((28, 28)) == "28 x 28"
    assert readable([str(i) for i in range(25)]).endswith("19 and 5 more")


def test_data_header_escapes_reader_names_and_shows_no_reprs(qtbot, make_window, tmp_path):
    files = write_tiny_files(tmp_path / "data")
    w = make_window()
    drop_paths(w, files["text-pairs"], files["labelled-images"])
    dropped = w.datasets.dropped
    qtbot.waitUntil(
        lambda: (
            dropped.childCount() == 2
            and all(dropped.child(i).text(1) not in ("reading...", "counting...") for i in range(2))
        ),
        timeout=WAIT,
    )
    for i in range(2):
        w.datasets.tree.setCurrentItem(dropped.child(i))
        header = w.data_preview.header
        qtbot.waitUntil(lambda h=header: "items" in h.text(), timeout=WAIT)
        shown = header.text()
        if "pairs" in dropped.child(i).text(0):
            assert "source&lt;TAB&gt;target" in shown  # rendered as "source<TAB>target"
        else:
            assert "Classes: circle, square, star" in shown
            assert "['" not in shown and "{'" not in shown
            assert w.data_preview.class_title.isVisibleTo(w.data_preview)


def test_a_truncated_image_shows_a_marked_tile(qtbot, tmp_path):
    import numpy as np
    from PIL import Image
    from PySide6.QtCore import Qt

    from studio.ui.dataset_preview import ThumbnailModel

    good, bad = tmp_path / "good.png", tmp_path / "bad.png"
    Image.fromarray(np.full((16, 16, 3), 90, np.uint8)).save(good)
    bad.write_bytes(good.read_bytes()[:40])  # the signature and header, no pixels
    model = ThumbnailModel()
    model.set_items([str(good), str(bad)], [])
    decoration = Qt.ItemDataRole.DecorationRole
    for row in range(2):
        model.data(model.index(row), decoration)  # asks for the decode
    qtbot.waitUntil(lambda: len(model.cache) == 2, timeout=WAIT)
    assert model.failed == {1}
    assert model.data(model.index(1), decoration) is model.broken
    assert "cannot be decoded" in model.data(model.index(1), Qt.ItemDataRole.ToolTipRole)
    assert "cannot be decoded" not in model.data(model.index(0), Qt.ItemDataRole.ToolTipRole)


def test_re_enabled_plugin_brings_its_model_back_and_messages_have_icons(make_window):
    from PySide6.QtCore import Qt

    w = make_window()
    w.workbench.set_model("gan-numbers")
    dialog = w.show_plugins()

    def check(state):
        names = [dialog.table.item(r, 1).text() for r in range(dialog.table.rowCount())]
        dialog.table.item(names.index("shapes_gan"), 0).setCheckState(state)

    check(Qt.CheckState.Unchecked)
    assert w.model_id != "gan-numbers" and "gan-numbers" not in w.plugins.models
    check(Qt.CheckState.Checked)
    assert w.model_id == "gan-numbers"  # the model the user had, not the first one
    assert w.model_combo.currentData() == "gan-numbers"

    # Messages carry Qt's standard icons, not emoji (empty boxes without an emoji font).
    for level in ("error", "warning", "info"):
        w.notify(level, f"a {level}")
    items = [w.notifications.list.item(i) for i in range(w.notifications.list.count())]
    mine = [it for it in items if it.text().endswith(("a error", "a warning", "a info"))]
    assert len(mine) == 3
    assert all(not it.icon().isNull() for it in mine)
    assert all(ord(ch) < 0x2000 for it in mine for ch in it.text())


def test_compare_names_runs_without_the_metric_and_uses_plain_numbers(make_window, tmp_path):
    from studio import cli

    runs = []
    for model in ("gan-shape", "gan-numbers"):
        run = tmp_path / model
        args = ["train", "--model", model, "--steps", "20", "--sample-every", "10"]
        assert cli.main([*args, "--run-dir", str(run)]) == 0
        runs.append(str(run))
    w = make_window()
    w.compare_runs(runs)
    assert not w.compare.plot.getAxis("left").autoSIPrefix
    w.compare.metric.setCurrentText("sample/mean_distance")  # the shape GAN's only
    assert w.compare.missing.isVisibleTo(w.compare)
    assert w.compare.missing.text() == "No sample/mean_distance in: gan-numbers"
    w.compare.metric.setCurrentText("d_loss")  # both have it
    assert w.compare.missing.isHidden()


def test_a_disabled_plugin_says_why_it_contributes_nothing():
    from studio.plugins import load_plugins
    from studio.ui.plugin_dialog import describe

    text = describe(load_plugins(["shapes_gan"]).records["shapes_gan"])
    assert "Contributes: nothing while disabled" in text
