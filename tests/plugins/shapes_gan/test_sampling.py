"""Sampling the chapter 3 GANs with their typed options (noise scale, reference): through
the run sampler, streamed, cancelled, in the widget (generated controls, run handle)
and from the CLI; a run written by the 1.0 plugin still samples."""

from __future__ import annotations

import json

import numpy as np
import pytest

from studio import api, cli
from studio.core import config as cfg
from studio.core.run_sampler import RunSampler
from studio.core.session import TrainSettings, create_engine


@pytest.fixture(scope="module")
def shape_run(plugins, tmp_path_factory):
    path = tmp_path_factory.mktemp("shapes") / "r"
    source = plugins.model_source("gan-shape")
    settings = TrainSettings(steps=20, device="cpu", sample_every=10, checkpoint_every=10)
    config = cfg.build(source.spec.config_class, {})
    dataset = plugins.dataset("exponential-curve")
    assert create_engine(source, dataset, config, settings, path).run().state == "finished"
    return path


def test_options_change_the_sample(plugins, shape_run):
    sampler = RunSampler(shape_run, plugins.resolve_run)
    plain = sampler.sample(seed=2, n=200)
    assert plain.reference is not None and len(np.unique(plain.points, axis=0)) > 100
    still = sampler.sample(seed=2, n=200, options={"noise_scale": 0, "reference": "false"})
    assert still.reference is None
    assert np.allclose(still.points, still.points[0], atol=1e-6)  # no noise: one point
    narrow = sampler.sample(seed=2, n=200, options={"noise_scale": 0.5})
    # The truncation trick: points from the middle of the noise spread less.
    assert np.std(narrow.points, axis=0).sum() < np.std(plain.points, axis=0).sum()
    for bad, named in (({"noise_scale": 9}, "noise_scale"), ({"colour": 1}, "colour")):
        with pytest.raises(api.ConfigError, match=f"^{named}: "):
            sampler.sample(options=bad)


def test_numbers_take_the_same_options(plugins, tmp_path):
    source = plugins.model_source("gan-numbers")
    settings = TrainSettings(steps=5, device="cpu", sample_every=0, checkpoint_every=0)
    config = cfg.build(source.spec.config_class, {})
    dataset = plugins.dataset("multiples-of-5")
    create_engine(source, dataset, config, settings, tmp_path / "n").run()
    sampler = RunSampler(tmp_path / "n", plugins.resolve_run)
    sample = sampler.sample(seed=0, n=30, options={"noise_scale": 0.0, "reference": False})
    assert len(set(sample.values)) == 1 and sample.rule == ""
    assert sampler.sample(seed=0, n=30).rule == "multiples of 5"


def test_stream_is_one_final_part_and_cancel_stops_it(plugins, shape_run):
    sampler = RunSampler(shape_run, plugins.resolve_run)
    parts = list(sampler.stream(seed=4, n=50, options={"noise_scale": 2}))
    whole = sampler.sample(seed=4, n=50, options={"noise_scale": 2})
    assert len(parts) == 1 and np.array_equal(parts[0].points, whole.points)
    token = api.CancelToken()
    token.cancel()
    with pytest.raises(api.SamplingCancelled):
        list(sampler.stream(seed=4, cancel=token))


def test_the_widget_builds_its_controls_from_the_options(qtbot, plugins, shape_run):
    from studio.api_qt import SamplingContext

    spec = plugins.models["gan-shape"]
    widget = spec.widget_factory(SamplingContext(spec, plugins.resolve_run))
    qtbot.addWidget(widget)
    assert [i.name for i in widget.options_form.infos] == ["noise_scale", "reference"]
    widget.set_run(shape_run)
    assert widget.run.model_id == "gan-shape" and widget.run.checkpoint_steps() == [10, 20]
    assert widget.run.config.preview_points == 512
    widget.count.setValue(64)
    widget.options_form.editor("noise_scale").setValue(0.0)
    widget.options_form.editor("reference").setChecked(False)
    with qtbot.waitSignal(widget.sampled, timeout=60_000) as blocker:
        widget.generate_button.click()
    sample = blocker.args[0]
    assert len(sample.points) == 64 and sample.reference is None
    assert np.allclose(sample.points, sample.points[0], atol=1e-6)
    assert "checkpoint at step 20" in widget.status.text() and not widget.busy


def test_the_cli_checks_and_passes_the_options(shape_run, tmp_path, capsys):
    out = tmp_path / "s.json"
    base = ["sample", "--run-dir", str(shape_run), "--out", str(out), "--n", "30"]
    assert cli.main([*base, "-o", "noise_scale=abc"]) == 2
    err = capsys.readouterr().err
    assert "error: -o noise_scale: 'abc' is not a valid float" in err
    assert not out.exists()
    assert cli.main([*base, "-o", "reference=no", "-o", "noise-scale=0"]) == 0
    written = json.loads(out.read_text())
    assert written["reference"] is None and len(written["points"]) == 30
    assert len({tuple(p) for p in written["points"]}) <= 2  # float noise at most


def test_a_run_written_by_the_1_0_plugin_still_samples(plugins, shape_run, tmp_path):
    import shutil

    old = tmp_path / "old"
    shutil.copytree(shape_run, old)
    data = json.loads((old / "config.json").read_text())
    data["api_version"] = "1.0"
    data["plugin_version"] = "0.1.0"
    (old / "config.json").write_text(json.dumps(data))
    sample = RunSampler(old, plugins.resolve_run).sample(seed=1, n=40)
    again = RunSampler(shape_run, plugins.resolve_run).sample(seed=1, n=40)
    assert np.array_equal(sample.points, again.points)
