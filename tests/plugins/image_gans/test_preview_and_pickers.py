"""What the conditional GAN's images say on screen: its preview grid has a class label
at the start of each row and fills its panel; a batch of one class or of a mix is
captioned once with it; the explorer's class pickers are off before a run, with a note
saying when they fill; "every class" gives each class whole rows; the explorer's strip
fits its row; a GIF export leaves the step label as it was."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QImage

from studio import api
from studio.core import config as cfg
from studio.core.rundir import RunDir
from studio.core.session import TrainSettings, create_engine

TINY = {"ngf": 8, "ndf": 8, "batch_size": 16, "critic_steps": 1, "loss": "bce"}
DIGITS = [str(i) for i in range(10)]


@pytest.fixture(scope="module")
def cgan_run(plugins, tmp_path_factory):
    """A two-step conditional GAN run with a preview at each step (what is drawn here
    does not need a trained model: the layout and the captions are the point)."""
    source = plugins.model_source("cgan")
    config = cfg.build(source.spec.config_class, TINY)
    settings = TrainSettings(steps=2, device="cpu", sample_every=1, checkpoint_every=2)
    path = tmp_path_factory.mktemp("cgan") / "run"
    create_engine(source, plugins.dataset("digits"), config, settings, path).run()
    return path


def _widget(qtbot, plugins):
    from studio.api_qt import SamplingContext

    spec = plugins.models["cgan"]
    widget = spec.widget_factory(SamplingContext(spec, plugins.resolve_run))
    qtbot.addWidget(widget)
    widget.resize(1000, 800)
    widget.show()
    return widget


def test_the_preview_has_a_class_label_a_row_and_fills_its_panel(qtbot, cgan_run):
    from studio.ui.sample_views import ImagesView

    preview = api.Images.load(RunDir(cgan_run).sample_files()[-1][1])
    assert preview.columns == 10 and len(preview.images) == 100  # a class a row
    view = ImagesView()
    qtbot.addWidget(view)
    view.resize(1000, 800)
    view.show()
    view.show_sample(preview)
    assert view.shown_row_labels == DIGITS
    # 32-pixel digits drawn at least twice their size in a panel that fits 2x.
    qtbot.waitUntil(lambda: view.shown_scale >= 2, timeout=60_000)
    picture = view.label.pixmap().toImage().convertToFormat(QImage.Format.Format_Grayscale8)
    assert picture.height() <= view.scroll.viewport().height()
    rows = np.frombuffer(picture.constBits(), np.uint8).reshape(picture.height(), -1)
    grey = rows[:, : picture.width()]
    # Each row's label is written left of its first image, on white: dark pixels in
    # that column, within each row's band.
    pad, side = view.PAD, round(32 * view.shown_scale)
    label_w = picture.width() - pad - 10 * (side + pad)
    assert label_w > pad
    for row in range(10):
        top = pad + row * (side + pad)
        assert (grey[top : top + side, : label_w - pad] < 128).any(), f"no label on row {row}"


def test_a_grid_between_one_and_two_times_its_size_fills_the_panel(qtbot):
    """Whole pixels from 2x; below, the fraction that fills the panel (not 1x)."""
    from studio.ui.sample_views import ImagesView

    view = ImagesView()
    qtbot.addWidget(view)
    view.resize(700, 560)
    view.show()
    labels = [d for d in DIGITS for _ in range(10)]
    view.show_sample(api.Images(images=np.full((100, 32, 32, 1), 99, np.uint8), labels=labels))
    qtbot.waitUntil(lambda: 1.2 < view.shown_scale < 2, timeout=60_000)
    room = view.scroll.viewport().height()
    assert 0.9 * room <= view.label.pixmap().height() <= room


def test_a_batch_shared_by_every_image_is_captioned_once(qtbot):
    from studio.ui.sample_views import ImagesView

    view = ImagesView()
    qtbot.addWidget(view)
    view.show_sample(api.Images(images=np.zeros((8, 8, 8, 1), np.uint8), labels=["7"] * 8))
    assert view.shown_row_labels == [] and view.caption.text().startswith("8 images: 7")


def test_pickers_wait_for_a_run_and_a_mix_is_captioned(qtbot, plugins, cgan_run):
    from studio_plugins.image_gans.widget import NO_RUN_CLASSES

    widget = _widget(qtbot, plugins)
    # No run: the pickers are off and say when they fill.
    assert widget.class_note.isVisible() and widget.class_note.text() == NO_RUN_CLASSES
    assert not widget.class_box.isEnabled()
    assert not any(c.isEnabled() for c in widget.class_boxes.values())
    widget.set_run(cgan_run)
    assert widget.classes == DIGITS and not widget.class_note.isVisible()
    assert widget.class_box.isEnabled() and widget.class_boxes["a"].isEnabled()

    assert widget.count.value() == 70  # as many of each class

    # Every class: a row (or rows) each, labelled at the row's start.
    widget.count.setValue(20)
    with qtbot.waitSignal(widget.sampled, timeout=60_000):
        widget.generate_button.click()
    assert widget.view.shown_row_labels == DIGITS and widget.view.shown_columns == 2

    widget.count.setValue(6)
    widget.class_box.setCurrentText("3")
    widget.mix_box.setCurrentText("8")
    widget.mix_slider.setValue(30)
    with qtbot.waitSignal(widget.sampled, timeout=60_000) as blocker:
        widget.generate_button.click()
    assert blocker.args[0].labels == ["0.3x3 + 0.7x8"] * 6
    assert widget.view.caption.text() == "mix: 30% class 3 + 70% class 8 (6 images)"
    assert widget.view.shown_row_labels == []
    widget.mix_box.setCurrentIndex(0)  # no mix
    widget.class_box.setCurrentText("7")
    with qtbot.waitSignal(widget.sampled, timeout=60_000):
        widget.generate_button.click()
    assert widget.view.caption.text() == "class 7 (6 images)"

    # The explorer's strip is drawn as wide as its row's room: no sideways scrolling.
    widget.resize(640, 800)
    with qtbot.waitSignal(widget.sampled, timeout=60_000):
        widget.interpolate_button.click()
    bar = widget.strip.scroll.horizontalScrollBar()
    qtbot.waitUntil(lambda: widget.strip.side < 96 and bar.maximum() == 0, timeout=60_000)

    widget.set_run(None)
    assert widget.class_note.isVisible() and widget.class_note.text() == NO_RUN_CLASSES
    assert not widget.class_box.isEnabled()


def test_a_gif_export_keeps_the_step_label(qtbot, plugins, cgan_run, tmp_path):
    from studio.ui.sample_gallery import SampleGallery

    gallery = SampleGallery(registry=plugins)
    qtbot.addWidget(gallery)
    gallery.load_run(RunDir(cgan_run).sample_files())
    shown = gallery.step_label.text()
    assert shown.startswith("Step 2") and gallery.gif_button.isEnabled()
    with qtbot.waitSignal(gallery.message, timeout=60_000) as blocker:
        gallery.export_gif(tmp_path / "progress.gif")
    assert blocker.args[:2] == ["info", f"saved {tmp_path / 'progress.gif'}"]
    assert gallery.step_label.text() == shown
    assert (tmp_path / "progress.gif").stat().st_size > 0
