"""Every installed model's settings form: built from its config dataclass, every
preset applied to the form's values, and the equivalent command line named."""

from __future__ import annotations

import pytest

from studio.core import config as cfg
from studio.core.contributions import ENGINE_PRESET_KEYS
from studio.plugins import load_plugins

MODELS = sorted(load_plugins().models)


@pytest.mark.parametrize("model", MODELS)
def test_the_form_builds_and_every_preset_applies(qtbot, plugins, model):
    from studio.ui.config_form import ConfigForm

    form = ConfigForm()
    qtbot.addWidget(form)
    spec = plugins.models[model]
    form.set_model(spec)
    assert set(form.editors) == {i.name for i in cfg.describe(spec.config_class)}
    assert f"--model {model}" in form.command.toPlainText()
    for name, preset in spec.presets.items():
        form.preset.setCurrentText(name)
        config, settings = form.values()
        for key, value in preset.items():
            got = getattr(settings if key in ENGINE_PRESET_KEYS else config, key)
            assert got == pytest.approx(value) if isinstance(value, float) else got == value, (
                name,
                key,
            )


def test_engine_settings_are_generated_and_their_command_line_repeats_them(qtbot, plugins):
    """Every EngineSettings field has an editor (``form.<name>``); the shell command the
    form shows, parsed by the CLI, gives back the same settings and config."""
    import argparse
    import shlex

    from studio.cli import build_parser
    from studio.cli.train import _add_config_flags, _given_settings
    from studio.core.settings import SETTING_NAMES, build_settings
    from studio.ui.config_form import ConfigForm

    form = ConfigForm()
    qtbot.addWidget(form)
    assert list(form.engine_editors) == list(SETTING_NAMES)
    form.set_devices(["cpu", "cuda:0"])
    form.set_model(plugins.models["gan-shape"])
    form.steps.setValue(1234)
    form.keep_checkpoints.setValue(5)
    form.checkpoint_minutes.setText("2.5")
    form.checkpoint_minutes.textEdited.emit("2.5")
    form.device.setCurrentText("cuda:0")
    form.tensorboard.setChecked(True)
    form.precision.setCurrentText("bf16")
    lr = form.editors["lr"][1]
    lr.setText("0.002")
    lr.textEdited.emit("0.002")  # as typed
    assert form.preset.currentText() == "custom"
    config, settings = form.values()
    assert (settings.steps, settings.keep_checkpoints, settings.checkpoint_minutes) == (
        1234,
        5,
        2.5,
    )
    command = form.command.toPlainText()
    assert "--keep-checkpoints 5" in command and "--checkpoint-minutes 2.5" in command
    args, extra = build_parser().parse_known_args(shlex.split(command)[1:])
    assert build_settings(_given_settings(args)) == settings
    sub = argparse.ArgumentParser()
    _add_config_flags(sub, form.spec.config_class)
    flags = {k[4:]: v for k, v in vars(sub.parse_args(extra)).items() if v is not None}
    assert cfg.build(form.spec.config_class, flags) == config


def test_a_wrong_engine_value_is_shown_and_refused(qtbot, plugins):
    from studio.ui.config_form import ConfigForm

    form = ConfigForm()
    qtbot.addWidget(form)
    form.set_model(plugins.models["gan-shape"])
    form.checkpoint_minutes.setText("soon")
    with pytest.raises(cfg.ConfigError, match="checkpoint_minutes: 'soon' is not a valid float"):
        form.values()
    assert "checkpoint_minutes" in form.error.text()


def test_show_run_reads_an_old_config_json(qtbot, plugins, tmp_path):
    """A run written before the one ``settings`` record: top-level fields and extra."""
    import json

    from studio.core.rundir import RunDir
    from studio.ui.config_form import ConfigForm

    run = tmp_path / "r"
    run.mkdir()
    old = {
        "model": "gan-shape",
        "plugin": "shapes_gan",
        "plugin_version": "1.0",
        "config": {"lr": 0.002},
        "dataset": {"id": "exponential-curve", "source": "embedded", "kind": "points2d"},
        "seed": 11,
        "device": "cpu",
        "precision": "fp32",
        "steps": 4321,
        "sample_every": 50,
        "checkpoint_every": 250,
        "studio_version": "1.0.0",
        "api_version": "1.0",
        "created": "2026-01-01T00:00:00+00:00",
        "extra": {"validate_every": 7, "keep_checkpoints": 2, "world_size": 1},
    }
    (run / "config.json").write_text(json.dumps(old))
    form = ConfigForm()
    qtbot.addWidget(form)
    form.set_model(plugins.models["gan-shape"])
    form.show_run(RunDir(run).record())
    config, settings = form.values()
    assert config.lr == 0.002
    assert (settings.steps, settings.seed, settings.sample_every) == (4321, 11, 50)
    assert (settings.validate_every, settings.keep_checkpoints) == (7, 2)
    assert form.preset.currentText() == "custom"


def test_a_model_without_presets_shows_its_own_command(qtbot, plugins):
    from dataclasses import replace

    from studio.ui.config_form import ConfigForm

    form = ConfigForm()
    qtbot.addWidget(form)
    form.set_model(plugins.models["gan-shape"])
    bare = replace(plugins.models["gan-numbers"], presets={}, default_steps=321)
    form.set_model(bare)
    command = form.command.toPlainText()
    assert "--model gan-numbers" in command and "--steps 321" in command
    assert form.preset.currentText() == "custom"
