"""The sample gallery: step slider over previews, and the progress as an animated GIF."""

from __future__ import annotations

import numpy as np
from PIL import Image

from studio.core.samples import Images, Points
from studio.ui.sample_gallery import SampleGallery


def _images(value: int) -> Images:
    return Images(images=np.full((4, 8, 8, 1), value, dtype=np.uint8))


def test_progress_is_exported_as_an_animated_gif(qtbot, tmp_path):
    gallery = SampleGallery()
    qtbot.addWidget(gallery)
    assert not gallery.gif_button.isEnabled()
    for step, value in ((0, 0), (100, 120), (200, 250)):
        gallery.add_sample(step, _images(value))
    # One saved to disk, as a run reopened later would have them.
    _images(60).save(tmp_path / "step_300")
    gallery.add_sample(300, _images(60), tmp_path / "step_300.png")
    gallery._cache.pop(300)  # read back from the file
    assert gallery.gif_button.isEnabled()
    written = []
    gallery.export_gif(tmp_path / "progress.gif", on_done=written.append)
    qtbot.waitUntil(lambda: len(written) == 1, timeout=60_000)
    with Image.open(tmp_path / "progress.gif") as gif:
        assert gif.n_frames == 4
        means = []
        for i in range(4):
            gif.seek(i)
            frame = np.asarray(gif.convert("L"))
            means.append(frame[:10, :10].mean())  # inside the first image of the grid
    assert means[0] < means[3] < means[1] < means[2]  # frames in step order


def test_points_samples_offer_no_gif(qtbot):
    gallery = SampleGallery()
    qtbot.addWidget(gallery)
    for step in (0, 1):
        gallery.add_sample(step, Points(points=np.zeros((3, 2))))
    assert gallery.export_button.isEnabled() and not gallery.gif_button.isEnabled()


def test_an_interpolation_strip_shows_as_one_captioned_row(qtbot):
    from studio.ui.sample_views import ImagesView

    view = ImagesView()
    qtbot.addWidget(view)
    labels = [f"t={i / 11:.2f}" for i in range(12)]
    strip = Images(images=np.full((12, 8, 8, 1), 200, np.uint8), labels=labels, columns=12)
    view.show_sample(strip)
    assert view.shown_columns == 12 and view.shown_captions == labels
    pix = view.label.pixmap()
    assert pix.width() > 6 * pix.height()  # one row, not a 4x3 grid
    # Without columns, a batch is about square, and captions are optional.
    view.show_sample(Images(images=np.zeros((12, 8, 8, 1), np.uint8)))
    assert view.shown_columns == 4 and view.shown_captions == []


def test_the_gallery_reads_samples_through_the_plugin_registry(qtbot, tmp_path):
    from studio.plugins import load_plugins
    from studio.ui.sample_views import GenericView, PointsView

    manager = load_plugins()
    path = Points(points=np.zeros((3, 2)), metrics={"spread": 0.5}).save(tmp_path / "step_0000001")
    gallery = SampleGallery(registry=manager)
    qtbot.addWidget(gallery)
    gallery.load_run([(1, path)])
    assert isinstance(gallery.view, PointsView)
    manager.set_enabled("samples", False)
    gallery.plugins_changed()
    assert isinstance(gallery.view, GenericView)
    assert "plugin samples, which is disabled" in gallery.view.message.text()
    assert "spread: 0.5" in gallery.view.caption.text()


def test_a_grid_fills_the_panel_it_is_given(qtbot):
    from studio.ui.sample_views import ImagesView

    view = ImagesView()
    qtbot.addWidget(view)
    view.resize(300, 300)
    view.show()
    grid = Images(images=np.full((100, 28, 28, 1), 200, np.uint8), columns=10)  # cGAN's 10x10
    view.show_sample(grid)
    small = view.label.pixmap().width()
    view.resize(1000, 1000)
    qtbot.waitUntil(lambda: view.label.pixmap().width() > 2 * small, timeout=60_000)
    assert view.shown_scale >= 3  # about 90 px a digit, not 33
    assert view.label.pixmap().height() <= view.scroll.viewport().height()


def test_points_keep_their_axes_from_step_to_step(qtbot):
    from studio.ui.sample_views import PointsView

    view = PointsView()
    qtbot.addWidget(view)
    ref = np.stack([np.linspace(0, 50, 100), 1.08 ** np.linspace(0, 50, 100)], axis=1)
    wide = Points(points=np.array([[0.0, 0.0], [80.0, 90.0]]), reference=ref)
    narrow = Points(points=np.array([[10.0, 2.0], [20.0, 5.0]]), reference=ref)
    view.show_sample(wide)
    first = view.plot.viewRange()
    view.show_sample(narrow)  # an earlier step, points bunched up: the axes stay
    assert view.plot.viewRange() == first
    assert first[0][1] >= 80 and first[1][1] >= 90
