"""The diffusion Explore widget: partial images stream in, a trajectory shows as a
filmstrip and saves as a GIF, a dropped image becomes the image-to-image input; the
trajectory kind has its view registered for the gallery; Measure times the chosen
sampler off the GUI thread (its line says "not measured yet" before), and Stop or
closing the widget cancels it."""

from __future__ import annotations

import re

import pytest
import torch

from studio.testing import sample_run, train_run

TINY = {
    "image_size": 8,
    "unet_channels": "8,16",
    "attention_levels": "1",
    "layers": 1,
    "batch_size": 8,
    "preview_images": 4,
    "preview_steps": 3,
}


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """One torch thread for the module, its run (trained once) and judge included: on a
    busy machine, tiny networks spin-wait on several threads' synchronisation."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def run(plugins, tmp_path_factory):
    from studio import api

    api.judge.load_judge("digits", size=8)  # trained once per process (seconds)
    path = tmp_path_factory.mktemp("diffusion-widget") / "run"
    return train_run("diffusion", 2, path=path, config=TINY, manager=plugins)


def make_widget(qtbot, plugins, run, register=True):
    from studio.api_qt import SamplingContext

    spec = plugins.models["diffusion"]
    widget = spec.widget_factory(SamplingContext(spec, plugins.resolve_run))
    if register:  # qtbot closes it at the end
        qtbot.addWidget(widget)
    widget.resize(900, 700)
    widget.show()
    widget.set_run(run)
    return widget


def test_widget_streams_shows_a_trajectory_saves_a_gif_and_takes_an_image(
    qtbot, plugins, run, tmp_path
):
    from PIL import Image
    from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
    from PySide6.QtGui import QDropEvent

    from studio_plugins.diffusion.diffusion_export import gif_frames
    from studio_plugins.diffusion.diffusion_kinds import TRAJECTORY, Trajectory
    from studio_plugins.diffusion.diffusion_widget import TrajectoryView

    assert plugins.sample_kinds[TRAJECTORY].sample_class is Trajectory
    assert isinstance(plugins.sample_views[TRAJECTORY].factory(), TrajectoryView)

    widget = make_widget(qtbot, plugins, run)
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
    assert widget.progress.text().startswith("judge recognised ")
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


MEASURED = re.compile(
    r"DDIM 12 steps: [0-9.e+-]+ s/image, judge recognised \d+%, Frechet \d+"
    r" — 10 steps: [0-9.e+-]+ s/image, \d+%, \d+ \(8 images, seed 3, checkpoint at step 2\)"
)


def test_measure_times_the_chosen_sampler_off_the_gui_thread_and_stops(qtbot, plugins, run):
    widget = make_widget(qtbot, plugins, run)
    bar = widget.measure
    widget.seed.setValue(3)
    widget.options_form.set_values({"sampler": "ddim", "steps": 12})
    assert bar.line.text() == "DDIM 12 steps: not measured yet."
    bar.count.setValue(8)
    bar.button.click()
    # Off the GUI thread: the click returned while it measures, and Generate waits.
    assert bar.busy and not widget.generate_button.isEnabled()
    qtbot.waitUntil(lambda: not bar.busy, timeout=120_000)
    line = bar.line.text()
    assert MEASURED.fullmatch(line), line
    # The figures are those of the samples: the same seed and options, sampled here.
    same = sample_run(run, seed=3, n=8, options={"steps": 12}, manager=plugins).metrics
    assert f"judge recognised {same['recognised']:.0%}" in line
    assert float(line.split("Frechet ")[1].split(" ")[0]) == pytest.approx(same["frechet"], abs=1)
    assert widget.generate_button.isEnabled()
    widget.options_form.set_values({"sampler": "dpm++2m"})
    assert bar.line.text() == "DPM-Solver++ 2M 12 steps: not measured yet."
    widget.options_form.set_values({"sampler": "ddim"})
    assert bar.line.text() == line  # measured once, shown again

    # Stop cancels it (1,000 steps of 1,024 images would take minutes).
    widget.options_form.set_values({"sampler": "ddpm", "steps": 1000})
    bar.count.setValue(1024)
    bar.button.click()
    qtbot.waitUntil(lambda: widget.stop_button.isEnabled(), timeout=10_000)
    widget.stop_button.click()
    qtbot.waitUntil(lambda: not bar.busy, timeout=60_000)
    assert bar.line.text() == "DDPM 1000 steps: measuring stopped, not measured."
    assert widget.generate_button.isEnabled() and not widget.stop_button.isEnabled()

    # Closing the widget cancels it, and so does deleting it (nothing is delivered to
    # the deleted widget).
    for end in ("close", "deleteLater"):
        if end == "deleteLater":
            widget = make_widget(qtbot, plugins, run, register=False)
            widget.options_form.set_values({"sampler": "ddpm", "steps": 1000})
            widget.measure.count.setValue(1024)
        widget.measure.button.click()
        worker = widget.measure.worker
        assert worker is not None and worker.is_running
        getattr(widget, end)()
        qtbot.waitUntil(lambda w=worker: w.abort_requested, timeout=60_000)
        qtbot.waitUntil(lambda w=worker: not w.is_running, timeout=60_000)
