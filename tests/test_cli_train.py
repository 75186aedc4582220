"""``train``'s engine flags, generated from EngineSettings: wrong values are one line
naming the flag (exit 2, nothing written), keep_checkpoints reaches the run, and
``--resume --steps`` below the run's step is refused without touching config.json."""

from __future__ import annotations

import json

import pytest

from studio import cli
from studio.core.rundir import RunDir


def run_cli(*args: str) -> int:
    return cli.main(list(args))


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--steps", "-5", "--steps: -5 is below the minimum 1"),
        ("--epochs", "-1", "--epochs: -1 is below the minimum 0"),
        ("--checkpoint-every", "-3", "--checkpoint-every: -3 is below the minimum 0"),
        ("--sample-every", "-1", "--sample-every: -1 is below the minimum 0"),
        ("--keep-checkpoints", "0", "--keep-checkpoints: 0 is below the minimum 1"),
        ("--checkpoint-minutes", "-2", "--checkpoint-minutes: -2.0 is below the minimum 0"),
        ("--steps", "many", "--steps: 'many' is not a valid int"),
        ("--precision", "fp8", "--precision: 'fp8' is not one of fp32, bf16, fp16"),
    ],
)
def test_a_wrong_engine_setting_is_one_line_naming_the_flag(tmp_path, capsys, flag, value, message):
    run = tmp_path / "r"
    assert run_cli("train", "--model", "gan-numbers", "--run-dir", str(run), flag, value) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"genai-studio-cli: error: {message}"
    assert not run.exists()  # refused before anything was written


def test_keep_checkpoints_reaches_the_engine_and_the_runs_settings(tmp_path):
    run = tmp_path / "r"
    code = run_cli(
        "train",
        "--model",
        "gan-numbers",
        "--steps",
        "8",
        "--checkpoint-every",
        "2",
        "--sample-every",
        "0",
        "--keep-checkpoints",
        "2",
        "--checkpoint-minutes",
        "0",
        "--run-dir",
        str(run),
    )
    assert code == 0
    assert RunDir(run).checkpoint_steps() == [6, 8]
    saved = json.loads((run / "config.json").read_text())
    assert saved["settings"]["keep_checkpoints"] == 2
    assert saved["settings"]["checkpoint_minutes"] == 0.0
    assert saved["settings"]["steps"] == 8 and "steps" not in saved  # one record
    # resuming keeps the run's own setting
    assert run_cli("train", "--resume", "--run-dir", str(run), "--steps", "12") == 0
    assert RunDir(run).checkpoint_steps() == [10, 12]


def test_a_config_file_may_set_engine_settings_as_a_preset_does(tmp_path):
    file = tmp_path / "c.json"
    file.write_text(json.dumps({"lr": 0.004, "keep_checkpoints": 4, "seed": 9}))
    run = tmp_path / "r"
    args = ["--model", "gan-numbers", "--steps", "2", "--sample-every", "0"]
    assert run_cli("train", *args, "--config", str(file), "--seed", "5", "--run-dir", str(run)) == 0
    record = RunDir(run).record()
    assert record.config["lr"] == 0.004
    assert record.keep_checkpoints == 4 and record.seed == 5  # the flag wins over the file
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"keep_checkpoints": 0}))
    assert run_cli("train", *args, "--config", str(bad), "--run-dir", str(tmp_path / "b")) == 2


def test_resume_below_the_runs_step_is_refused_and_config_json_is_untouched(tmp_path, capsys):
    run = tmp_path / "r"
    args = ["--model", "gan-numbers", "--steps", "5", "--checkpoint-every", "5"]
    assert run_cli("train", *args, "--sample-every", "0", "--run-dir", str(run)) == 0
    before = (run / "config.json").read_bytes()
    capsys.readouterr()
    assert run_cli("train", "--resume", "--run-dir", str(run), "--steps", "2") == 2
    err = capsys.readouterr().err
    assert err.strip() == (
        "genai-studio-cli: error: --steps: target step 2 is below the run's step 5 "
        "(its latest checkpoint)"
    )
    assert (run / "config.json").read_bytes() == before
    assert run_cli("train", "--resume", "--run-dir", str(run), "--steps", "-1") == 2
    assert "--steps: -1 is below the minimum 1" in capsys.readouterr().err
    assert run_cli("train", "--resume", "--run-dir", str(run), "--seed", "4") == 2
    assert "unexpected: --seed" in capsys.readouterr().err
    assert (run / "config.json").read_bytes() == before


def test_help_model_shows_a_fields_choices(capsys):
    assert run_cli("train", "--model", "dcgan", "--help-model") == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "--image-size INT Images are resized to this size; choices: 32, 64; default 64" in out
    assert run_cli("train", "--model", "dcgan", "--image-size", "48", "--run-dir", "x") == 2
    assert "--image-size: 48 is not one of 32, 64" in capsys.readouterr().err


def test_a_run_in_the_old_config_format_resumes(tmp_path):
    """config.json as the current release writes it: engine settings at the top level
    and in ``extra``. It reads, resumes with its own settings, and keeps them."""
    run = tmp_path / "r"
    args = ["--model", "gan-numbers", "--steps", "4", "--checkpoint-every", "2"]
    assert run_cli("train", *args, "--sample-every", "0", "--run-dir", str(run)) == 0
    new = json.loads((run / "config.json").read_text())
    old = {k: v for k, v in new.items() if k != "settings"}
    s = new["settings"]
    old.update({k: s[k] for k in ("seed", "device", "precision", "steps")})
    old.update(sample_every=0, checkpoint_every=2)
    old["extra"] = {
        "validate_every": 0,
        "keep_checkpoints": 1,
        "world_size": 1,
        "tensorboard": False,
    }
    (run / "config.json").write_text(json.dumps(old, indent=2))
    record = RunDir(run).record()
    assert (record.steps, record.keep_checkpoints, record.checkpoint_every) == (4, 1, 2)
    assert run_cli("train", "--resume", "--run-dir", str(run), "--steps", "8") == 0
    assert RunDir(run).checkpoint_steps() == [8]  # its keep_checkpoints=1 from extra
    assert RunDir(run).record().steps == 8
