"""Engine settings declared once: their checks, their record in config.json, and the
config.json of runs written before that record."""

from __future__ import annotations

import dataclasses
import json

import pytest

from studio.core.config import ConfigError
from studio.core.contributions import ENGINE_PRESET_KEYS
from studio.core.rundir import RunDir, RunRecord
from studio.core.settings import (
    SETTING_NAMES,
    EngineSettings,
    TrainSettings,
    build_settings,
    describe_settings,
    settings_from_record,
)

# config.json as the 1.0 release writes it (a real file from a gan-numbers run).
OLD_CONFIG = """{
  "model": "gan-numbers",
  "plugin": "numbers_gan",
  "plugin_version": "1.0.0",
  "config": {"lr": 0.002, "batch_size": 64, "preview_numbers": 64},
  "dataset": {"id": "multiples-of-5", "source": "embedded", "kind": "onehot-numbers"},
  "seed": 3,
  "device": "cpu",
  "precision": "bf16",
  "steps": 60,
  "sample_every": 20,
  "checkpoint_every": 30,
  "studio_version": "1.0.0",
  "api_version": "1.0",
  "created": "2026-11-01T10:00:00+00:00",
  "extra": {
    "validate_every": 10,
    "keep_checkpoints": 2,
    "world_size": 1,
    "tensorboard": true,
    "epochs": 3
  }
}
"""


def test_every_setting_is_declared_once_with_what_forms_and_flags_need():
    infos = {i.name: i for i in describe_settings()}
    assert tuple(infos) == SETTING_NAMES
    assert set(SETTING_NAMES) == {
        "steps",
        "epochs",
        "seed",
        "device",
        "precision",
        "sample_every",
        "checkpoint_every",
        "checkpoint_minutes",
        "validate_every",
        "keep_checkpoints",
        "tensorboard",
        "stop_metric",
        "stop_mode",
        "stop_patience",
        "stop_min_delta",
        "restore_best",
        "judge",
        "alarms",
    }
    assert all(i.help for i in infos.values())
    assert infos["precision"].choices == ("fp32", "bf16", "fp16")
    assert infos["checkpoint_minutes"].type is float and infos["checkpoint_minutes"].default == 10
    assert infos["keep_checkpoints"].default == 3 and infos["keep_checkpoints"].min == 1
    assert frozenset(SETTING_NAMES) == ENGINE_PRESET_KEYS
    assert TrainSettings is EngineSettings


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"steps": -5}, "steps: -5 is below the minimum 1"),
        ({"steps": 0}, "steps: 0 is below the minimum 1"),
        ({"epochs": -1}, "epochs: -1 is below the minimum 0"),
        ({"checkpoint_every": -3}, "checkpoint_every: -3 is below the minimum 0"),
        ({"sample_every": -1}, "sample_every: -1 is below the minimum 0"),
        ({"validate_every": -1}, "validate_every: -1 is below the minimum 0"),
        ({"keep_checkpoints": 0}, "keep_checkpoints: 0 is below the minimum 1"),
        ({"checkpoint_minutes": -0.5}, "checkpoint_minutes: -0.5 is below the minimum 0"),
        ({"precision": "fp8"}, "precision: 'fp8' is not one of fp32, bf16, fp16"),
        ({"tensorboard": "maybe"}, "tensorboard: 'maybe' is not a valid bool"),
        ({"warp": 9}, "unknown setting 'warp'"),
    ],
)
def test_wrong_values_are_refused_naming_the_setting(values, message):
    with pytest.raises(ConfigError) as err:
        build_settings(values)
    assert str(err.value).startswith(message)


def test_layers_overlay_a_base():
    base = build_settings({"steps": 50, "device": "cpu"})
    got = build_settings({"steps": "70"}, {"tensorboard": "yes"}, base=base)
    assert got == EngineSettings(steps=70, device="cpu", tensorboard=True)


def test_the_run_stores_one_settings_record_that_reads_back(tmp_path):
    settings = EngineSettings(steps=40, seed=2, keep_checkpoints=7, checkpoint_minutes=1.5)
    record = RunRecord(
        model="m",
        plugin="p",
        plugin_version="1",
        config={"lr": 0.1},
        dataset={"id": "d", "source": "embedded"},
        settings=settings,
        extra={"world_size": 1},
    )
    run = RunDir.create(tmp_path / "r", record)
    saved = json.loads(run.config_path.read_text())
    assert saved["settings"] == dataclasses.asdict(settings)
    assert not set(SETTING_NAMES) & set(saved)  # nothing at the top level any more
    back = run.record()
    assert back.engine_settings() == settings
    assert (back.steps, back.seed, back.keep_checkpoints) == (40, 2, 7)
    back.steps = 90  # what resume does with a new target
    run.write_record(back)
    assert run.record().engine_settings() == dataclasses.replace(settings, steps=90)


def test_an_old_config_json_reads_as_one_record(tmp_path):
    run_path = tmp_path / "old"
    run_path.mkdir()
    (run_path / "config.json").write_text(OLD_CONFIG)
    record = RunDir(run_path).record()
    assert record.engine_settings() == EngineSettings(
        steps=60,
        epochs=3,
        seed=3,
        device="cpu",
        precision="bf16",
        sample_every=20,
        checkpoint_every=30,
        validate_every=10,
        keep_checkpoints=2,
        tensorboard=True,
    )
    # the old attributes still answer, for code written against them
    assert (record.steps, record.seed, record.device, record.precision) == (60, 3, "cpu", "bf16")
    assert (record.sample_every, record.checkpoint_every) == (20, 30)
    assert record.extra["world_size"] == 1 and record.extra["validate_every"] == 10
    assert record.config["lr"] == 0.002 and record.created.startswith("2026-11-01")
    # written back (a resume with a new target), it becomes the one record
    record.steps = 120
    RunDir(run_path).write_record(record)
    again = json.loads((run_path / "config.json").read_text())
    assert again["settings"]["steps"] == 120 and again["settings"]["keep_checkpoints"] == 2
    assert RunDir(run_path).record().engine_settings().keep_checkpoints == 2


def test_a_record_from_a_newer_release_or_with_odd_values_still_reads():
    got = settings_from_record({"steps": "12", "future_knob": 1, "seed": None, "epochs": "x"})
    assert got == EngineSettings(steps=12)
    # an old run written with a value today's checks refuse still opens as written
    assert settings_from_record({"checkpoint_every": -3}).checkpoint_every == -3


def test_the_old_keyword_construction_still_works():
    record = RunRecord(
        model="m",
        plugin="p",
        plugin_version="1",
        config={},
        dataset={},
        seed=4,
        device="cpu",
        precision="fp32",
        steps=10,
        sample_every=5,
        checkpoint_every=5,
    )
    assert record.settings == {
        "seed": 4,
        "device": "cpu",
        "precision": "fp32",
        "steps": 10,
        "sample_every": 5,
        "checkpoint_every": 5,
    }
    assert record.keep_checkpoints == 3  # the default for what it does not say
    with pytest.raises(TypeError, match="unexpected"):
        RunRecord(model="m", plugin="p", plugin_version="1", config={}, dataset={}, colour=1)
