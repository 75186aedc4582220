"""``genai-studio-cli sample``: options checked against the model's sample_options (one
line naming the option, exit 2), ``--help-sample``, and Ctrl-C that cancels cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from studio import cli

ROOT = Path(__file__).resolve().parent.parent
TINY_LSTM = ["--embed", "16", "--hidden", "32", "--layers", "1", "--block-size", "32"]


def run_cli(*args: str) -> int:
    return cli.main(list(args))


def errors(err: str) -> list[str]:
    """What the command said on stderr, less warnings about other plugins."""
    return [line for line in err.splitlines() if not line.startswith("warning: plugin")]


@pytest.fixture(scope="module")
def lstm_run(tmp_path_factory) -> Path:
    run = tmp_path_factory.mktemp("cli") / "lstm"
    args = ["train", "--model", "lstm", *TINY_LSTM, "--batch-size", "4", "--steps", "3"]
    assert run_cli(*args, "--sample-every", "0", "--run-dir", str(run)) == 0
    return run


@pytest.mark.parametrize(
    ("option", "named"),
    [
        ("temperature=abc", "temperature: 'abc' is not a valid float"),
        ("nonsense=1", "nonsense: no such sampling option"),
        ("max_new_tokens=0", "max_new_tokens: 0 is below the minimum 1"),
        ("top-k=1.5", "top_k: '1.5' is not a valid int"),
    ],
)
def test_a_bad_option_is_one_line_naming_it(lstm_run, tmp_path, capsys, option, named):
    out = tmp_path / "s.json"
    capsys.readouterr()
    code = run_cli("sample", "--run-dir", str(lstm_run), "--out", str(out), "-o", option)
    lines = errors(capsys.readouterr().err)
    assert code == 2
    assert len(lines) == 1 and lines[0].startswith(f"genai-studio-cli: error: -o {named}")
    assert not out.exists()


def test_options_reach_the_model(lstm_run, tmp_path, capsys):
    out = tmp_path / "s.json"
    args = ["sample", "--run-dir", str(lstm_run), "--out", str(out), "--n", "2"]
    greedy = ["-o", "prompt=The ", "-o", "max_new_tokens=12", "-o", "temperature=0"]
    assert run_cli(*args, *greedy) == 0
    first = json.loads(out.read_text())
    assert first["prompt"] == "The " and len(first["texts"]) == 2
    assert all(len(t) == len("The ") + 12 for t in first["texts"])  # a character a token
    assert first["texts"][0] == first["texts"][1]  # temperature 0: the likeliest tokens
    assert "from the checkpoint at step 3" in capsys.readouterr().out
    # Unset options take the defaults --help-sample lists (200 new tokens).
    assert run_cli(*args, "--seed", "4") == 0
    assert len(json.loads(out.read_text())["texts"][0]) == 200


def test_help_sample_lists_the_options(lstm_run, capsys):
    assert run_cli("sample", "--model", "lstm", "--help-sample") == 0
    text = capsys.readouterr().out
    assert "temperature (float; default 0.8; range 0..5)" in text
    assert "max_new_tokens (int; default 200; range 1..4096)" in text
    assert "likeliest token" in text  # the help of each option
    assert run_cli("sample", "--run-dir", str(lstm_run), "--help-sample") == 0
    assert capsys.readouterr().out == text
    assert run_cli("sample", "--model", "gan-shape", "--help-sample") == 0
    assert "reference (bool; default True)" in capsys.readouterr().out
    assert run_cli("sample", "--help-sample") == 2
    assert "--help-sample needs --model ID or --run-dir DIR" in capsys.readouterr().err
    assert run_cli("sample", "--model", "nope", "--help-sample") == 2


def test_missing_arguments_are_one_line(lstm_run, capsys):
    assert run_cli("sample", "--out", "x.json") == 2
    assert "--run-dir is required" in capsys.readouterr().err
    # without --out the sample is printed, not written
    assert run_cli("sample", "--run-dir", str(lstm_run), "--n", "1") == 0
    captured = capsys.readouterr()
    assert "from the checkpoint at step" in captured.out
    assert "not written (give --out FILE to save it)" in captured.err
    assert run_cli("sample", "--run-dir", str(lstm_run), "--out", "x", "--n", "-5") == 2
    assert "--n: -5" in capsys.readouterr().err


def test_ctrl_c_cancels_sampling_cleanly(lstm_run, tmp_path):
    out = tmp_path / "s.json"
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
    many = ["--n", "64", "-o", "max_new_tokens=4096", "-o", "prompt=The "]
    command = [sys.executable, "-m", "studio.cli", "sample", "--run-dir", str(lstm_run)]
    proc = subprocess.Popen(
        [*command, "--out", str(out), *many],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
    )
    try:
        for line in proc.stderr:  # the model is loaded and sampling has started
            if "Ctrl-C cancels" in line:
                break
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 130, stderr
    assert "sampling cancelled (Ctrl-C); nothing written" in stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    assert not out.exists() and "written to" not in stdout


def test_a_1_0_model_still_takes_keyword_options(tmp_path, capsys):
    """flow2d (an example plugin at contract 1.0) declares no sample_options: -o pairs
    go to its sample() as keywords, a wrong one is still named."""
    from studio.plugins import load_plugins

    if "flow2d" not in load_plugins().models:
        pytest.skip("the flow2d example plugin is not installed")
    run = tmp_path / "flow"
    args = ["--steps", "2", "--sample-every", "0", "--run-dir", str(run)]
    assert run_cli("train", "--model", "flow2d", *args) == 0
    out = tmp_path / "s.json"
    base = ["sample", "--run-dir", str(run), "--out", str(out), "--n", "50"]
    assert run_cli(*base, "-o", "temperature=0.5") == 0
    assert len(json.loads(out.read_text())["points"]) == 50
    capsys.readouterr()
    assert run_cli(*base, "-o", "colour=red") == 2
    err = capsys.readouterr().err
    assert "colour" in errors(err)[-1] and "Traceback" not in err
    assert run_cli("sample", "--model", "flow2d", "--help-sample") == 0
    assert "1.0 model" in capsys.readouterr().out
