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
    qtbot.waitUntil(lambda: len(written) == 1, timeout=10_000)
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
