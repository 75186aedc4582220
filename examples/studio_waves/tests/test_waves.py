"""The 1.1 example's tests, as a plugin author writes them: trained and sampled
through the public helpers of ``studio.testing``; no import of ``studio.core``."""

from __future__ import annotations

import numpy as np
import pytest

from studio import api
from studio.testing import sample_run, stream_run, train_run


@pytest.fixture
def trained(waves_manager, tmp_path, studio_one_thread):
    run = train_run("waves", 300, path=tmp_path / "run", sample_every=150, manager=waves_manager)
    return waves_manager, run


def test_learns_to_continue_waves_smoothly(trained, tmp_path):
    manager, run = trained
    untrained = train_run("waves", 1, path=tmp_path / "untrained", manager=manager)
    before = sample_run(untrained, seed=0, manager=manager)
    after = sample_run(run, seed=0, manager=manager)
    assert before.kind == after.kind == "waveforms"
    assert after.values.shape == (4, 8 + 48)  # 8 prompt points, 48 generated
    # Untrained, the continuation is noise; trained, it is about as smooth as a sine.
    assert before.metrics["roughness"] > 1.0
    assert after.metrics["roughness"] < 0.25
    assert np.abs(after.values).max() < 2.5
    again = sample_run(run, seed=0, manager=manager)
    np.testing.assert_array_equal(again.values, after.values)  # the seed fixes it


def test_typed_options_are_checked_and_used(trained):
    manager, run = trained
    sample = sample_run(run, seed=1, options={"length": 10, "waves": 2}, manager=manager)
    assert sample.values.shape == (2, 18)
    calm = sample_run(run, seed=1, options={"temperature": 0.0}, manager=manager)
    assert calm.metrics["roughness"] < 0.2  # the mean prediction alone
    with pytest.raises(api.ConfigError, match=r"^temperature"):
        sample_run(run, options={"temperature": -1}, manager=manager)
    with pytest.raises(api.ConfigError, match=r"^nonsense"):
        sample_run(run, options={"nonsense": 1}, manager=manager)


def test_streams_growing_waves_and_stops_when_cancelled(trained):
    manager, run = trained
    options = {"length": 20, "every": 5}
    parts = list(stream_run(run, seed=0, options=options, manager=manager))
    assert [p.values.shape[1] for p in parts] == [13, 18, 23, 28]
    whole = sample_run(run, seed=0, options=options, manager=manager)
    np.testing.assert_array_equal(parts[-1].values, whole.values)  # the last is final

    cancel = api.CancelToken()
    stream = stream_run(run, seed=0, options=options, cancel=cancel, manager=manager)
    first = next(stream)
    cancel.cancel()
    with pytest.raises(api.SamplingCancelled):
        next(stream)
    assert first.values.shape[1] == 13


def test_previews_are_saved_in_its_own_kind_and_drawn_by_its_view(trained, qtbot):
    manager, run = trained
    assert [step for step, _ in run.sample_files()] == [0, 150, 300]
    preview = run.load_sample(300)
    assert preview.kind == "waveforms" and preview.prompt == 8
    view = manager.sample_views["waveforms"].factory()
    qtbot.addWidget(view)
    view.show_sample(preview)
    assert view.curves == 4 and "48 generated" in view.caption.text()


def test_the_widget_reads_the_run_handle_streams_and_stops(trained, qtbot):
    from studio.api_qt import SamplingContext

    manager, run = trained
    spec = manager.models["waves"]
    widget = spec.widget_factory(SamplingContext(spec, manager.resolve_run))
    qtbot.addWidget(widget)
    widget.set_run(run)
    assert widget.run is run
    assert "context 8 points" in widget.run_info.text()
    assert "latest step 300" in widget.run_info.text()

    widget.options_form.set_values({"length": 30, "every": 10, "waves": 3})
    with qtbot.waitSignal(widget.sampled, timeout=60_000) as done:
        widget.generate_button.click()
    assert done.args[0].values.shape == (3, 38)
    # Parts at 10, 20 and 30 points; while the GUI thread is busy the worker keeps only
    # the newest part, so on a loaded machine fewer may be drawn, never none.
    assert 1 <= widget.parts <= 3
    assert widget.view.curves == 3

    # Long enough (512 parts) that Stop, pressed right after, lands while it runs.
    widget.options_form.set_values({"length": 512, "every": 1})
    widget.generate_button.click()
    widget.stop_button.click()
    qtbot.waitUntil(lambda: not widget.busy, timeout=60_000)
    assert widget.status.text().startswith("Stopped")
