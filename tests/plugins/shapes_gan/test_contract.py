"""Contract test of the chapter 3 plugin: it loads, its form builds, it trains a few
steps with finite losses, samples, checkpoints and resumes, and its widget samples."""

from __future__ import annotations

import math

import pytest

from studio.core import config as cfg
from studio.core.rundir import RunDir
from studio.core.session import RunSampler, TrainSettings, create_engine, resume_engine

MODELS = ["gan-shape", "gan-numbers"]


def test_plugin_loads_with_its_models_and_datasets(plugins):
    assert plugins.records["shapes_gan"].ok
    for model in MODELS:
        spec = plugins.models[model]
        assert spec.default_dataset in plugins.datasets
        assert set(spec.presets) == {"book", "quick CPU"}
        assert plugins.datasets[spec.default_dataset].kind in spec.dataset_kinds


@pytest.mark.parametrize("model", MODELS)
def test_trains_samples_checkpoints_and_resumes(plugins, tmp_path, model):
    source = plugins.model_source(model)
    dataset = plugins.dataset(source.spec.default_dataset)
    config = cfg.build(source.spec.config_class, {})
    settings = TrainSettings(steps=30, device="cpu", sample_every=10, checkpoint_every=10)
    result = create_engine(source, dataset, config, settings, tmp_path / "r").run()
    assert result.state == "finished"
    run = RunDir(tmp_path / "r")
    losses = [r for r in run.read_metrics() if "d_loss" in r]
    assert len(losses) == 30
    assert all(math.isfinite(r["d_loss"]) and math.isfinite(r["g_loss"]) for r in losses)
    assert run.checkpoint_steps() == [10, 20, 30]

    sample = RunSampler(tmp_path / "r", plugins.resolve_run).sample(seed=1, n=40)
    assert sample.kind == source.spec.sample_kind and sample.metrics
    again = RunSampler(tmp_path / "r", plugins.resolve_run).sample(seed=1, n=40)
    assert sample.to_json() == again.to_json()  # same seed, same checkpoint, same sample

    engine = resume_engine(tmp_path / "r", plugins.resolve_run, total_steps=45)
    assert engine.step == 30 and engine.run().state == "finished"
    assert run.checkpoint_steps()[-1] == 45


@pytest.mark.parametrize("model", MODELS)
def test_sampling_widget_samples_from_a_run(qtbot, plugins, tmp_path, model):
    from studio.api_qt import SamplingContext

    source = plugins.model_source(model)
    config = cfg.build(source.spec.config_class, {})
    settings = TrainSettings(steps=20, device="cpu", sample_every=0, checkpoint_every=0)
    create_engine(
        source, plugins.dataset(source.spec.default_dataset), config, settings, tmp_path / "r"
    ).run()
    widget = source.spec.widget_factory(SamplingContext(source.spec, plugins.resolve_run))
    qtbot.addWidget(widget)
    assert not widget.generate_button.isEnabled()  # no run yet
    widget.set_run(tmp_path / "r")
    with qtbot.waitSignal(widget.sampled, timeout=30_000) as blocker:
        widget.generate_button.click()
    sample = blocker.args[0]
    assert sample.kind == source.spec.sample_kind
    assert "checkpoint at step 20" in widget.status.text()
