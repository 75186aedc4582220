"""The diffusion Explore widget: partial images stream in, a trajectory shows as a
filmstrip and saves as a GIF, a dropped image becomes the image-to-image input; the
trajectory kind has its view registered for the gallery."""

from __future__ import annotations

import pytest

from studio.testing import train_run

TINY = {
    "image_size": 8,
    "unet_channels": "8,16",
    "attention_levels": "1",
    "layers": 1,
    "batch_size": 8,
    "preview_images": 4,
    "preview_steps": 3,
}


@pytest.fixture(autouse=True)
def _one_thread(studio_one_thread):
    return studio_one_thread


def test_widget_streams_shows_a_trajectory_saves_a_gif_and_takes_an_image(qtbot, plugins, tmp_path):
    from PIL import Image
    from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
    from PySide6.QtGui import QDropEvent

    from studio.api_qt import SamplingContext
    from studio_plugins.diffusion.diffusion_export import gif_frames
    from studio_plugins.diffusion.diffusion_kinds import TRAJECTORY, Trajectory
    from studio_plugins.diffusion.diffusion_widget import TrajectoryView

    assert plugins.sample_kinds[TRAJECTORY].sample_class is Trajectory
    assert isinstance(plugins.sample_views[TRAJECTORY].factory(), TrajectoryView)

    from studio import api

    api.judge.load_judge("digits")  # trained once per process (seconds), before the clock
    run = train_run("diffusion", 2, path=tmp_path / "run", config=TINY, manager=plugins)
    spec = plugins.models["diffusion"]
    widget = spec.widget_factory(SamplingContext(spec, plugins.resolve_run))
    qtbot.addWidget(widget)
    widget.resize(900, 700)
    widget.show()
    widget.set_run(run)
    widget.options_form.set_values(
        {"steps": 9, "stream_every": 3, "images": 3, "output": "trajectory", "frames": 4}
    )
    with qtbot.waitSignal(widget.sampled, timeout=180_000) as blocker:
        widget.generate_button.click()
    sample = blocker.args[0]
    assert isinstance(sample, Trajectory) and (sample.rows, sample.frames) == (3, 4)
    assert widget.parts_shown >= 2  # partial images after steps 3 and 6 (then the final)
    assert widget.view.shown_columns == 4
    assert widget.gif_button.isEnabled()
    widget.save_gif(tmp_path / "t.gif")
    assert len(gif_frames(tmp_path / "t.gif")) == 4

    Image.new("L", (8, 8), 255).save(tmp_path / "white.png")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path / "white.png"))])
    drop = QDropEvent(
        QPoint(5, 5),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    widget.dropEvent(drop)
    assert widget.current_options().init_image == str(tmp_path / "white.png")
    widget.options_form.set_values({"output": "images", "strength": 0.05})
    with qtbot.waitSignal(widget.sampled, timeout=180_000) as blocker:
        widget.generate_button.click()
    assert blocker.args[0].images.mean() > 200  # barely noised white stays white
    assert not widget.gif_button.isEnabled()
