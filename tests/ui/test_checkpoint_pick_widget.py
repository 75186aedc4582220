"""Explore's checkpoint picker, in the shared SamplingWidget: a plugin's widget (the
chapter 3 GAN's, unchanged) lists the run's checkpoints, loads the one picked off the
GUI thread, says which step is loaded, samples from it, lists a checkpoint saved
meanwhile as it opens, and goes back to the latest when the one picked was pruned."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from studio.testing import load_only, train_run


@pytest.fixture(scope="module")
def shape_run(tmp_path_factory):
    manager = load_only(["shapes_gan"])
    path = tmp_path_factory.mktemp("pick") / "shape-run"
    train_run("gan-shape", 20, path=path, manager=manager, checkpoint_every=10, keep_checkpoints=5)
    return manager, path


def _pick(qtbot, widget, index: int):
    """Pick the combo's item ``index`` as a user does; the step loaded (None: failed)."""
    combo = widget.checkpoint.combo
    with qtbot.waitSignal(widget.checkpoint_loaded, timeout=60_000) as loaded:
        combo.setCurrentIndex(index)
        combo.activated.emit(index)
    return loaded.args[0]


def _generate(qtbot, widget):
    with qtbot.waitSignal(widget.sampled, timeout=60_000) as done:
        widget.generate_button.click()
    return done.args[0]


def test_explore_samples_the_checkpoint_picked(qtbot, shape_run, studio_one_thread):
    from studio.api_qt import SamplingContext

    manager, path = shape_run
    spec = manager.models["gan-shape"]
    widget = spec.widget_factory(SamplingContext(spec, manager.resolve_run))
    qtbot.addWidget(widget)
    picker = widget.checkpoint
    assert not picker.isEnabled()  # no run yet
    widget.set_run(path)
    texts = [picker.combo.itemText(i) for i in range(picker.combo.count())]
    assert texts[0] == "latest (step 20)" and texts[2].startswith("step 10 (")
    assert picker.steps() == [20, 10] and picker.step is None and picker.isEnabled()

    assert _pick(qtbot, widget, 2) == 10
    assert widget.status.text().startswith("Loaded the checkpoint at step 10")
    assert picker.step == 10 and widget.generate_button.isEnabled()
    early = _generate(qtbot, widget)
    assert "checkpoint at step 10," in widget.status.text()

    assert _pick(qtbot, widget, 0) == 20  # back to the latest: reloaded
    latest = _generate(qtbot, widget)
    assert "checkpoint at step 20," in widget.status.text()
    assert not np.allclose(early.points, latest.points)  # the same seed, other weights

    # A checkpoint saved meanwhile (a live run) is listed as the list opens.
    folder = path / "checkpoints"
    shutil.copytree(folder / "step_0000020", folder / "step_0000030")
    picker.combo.showPopup()
    picker.combo.hidePopup()
    assert picker.combo.itemText(0) == "latest (step 30)" and picker.steps() == [30, 20, 10]

    # The checkpoint picked was pruned since the list was shown: said, and the pick
    # goes back to the latest (what the list now offers).
    shutil.rmtree(folder / "step_0000010")
    with qtbot.waitSignal(widget.checkpoint_loaded, timeout=60_000) as loaded:
        widget.choose_checkpoint(10)
    assert loaded.args[0] is None
    assert "no checkpoint at step 10 (its checkpoints: 20, 30)" in widget.status.text()
    assert picker.step is None and picker.steps() == [30, 20] and picker.isEnabled()
