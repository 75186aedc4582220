"""The headless command: listing, training with a progress bar, resume, sample, and
clear one-line errors with documented exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from studio import cli
from studio.core.rundir import RunDir


def run_cli(*args: str) -> int:
    return cli.main(list(args))


def test_models_and_datasets_are_listed(capsys):
    assert run_cli("models") == 0
    out = capsys.readouterr().out
    assert "gan-shape" in out and "gan-numbers" in out
    assert run_cli("datasets") == 0
    out = capsys.readouterr().out
    assert "exponential-curve" in out and "multiples-of-5" in out
    assert run_cli("plugins") == 0
    assert "shapes_gan" in capsys.readouterr().out


def test_train_resume_and_sample(tmp_path, capsys):
    run = tmp_path / "run"
    code = run_cli(
        "train",
        "--model",
        "gan-numbers",
        "--dataset",
        "multiples-of-5",
        "--steps",
        "60",
        "--run-dir",
        str(run),
        "--seed",
        "3",
        "--device",
        "cpu",
        "--lr",
        "0.002",
        "--checkpoint-every",
        "30",
    )
    assert code == 0
    err = capsys.readouterr().err
    assert "60/60" in err and "it/s" in err and "finished" in err
    rec = RunDir(run).record()
    assert rec.config["lr"] == 0.002 and rec.seed == 3 and rec.steps == 60

    assert run_cli("train", "--resume", "--run-dir", str(run), "--steps", "90") == 0
    assert RunDir(run).status()["step"] == 90 and RunDir(run).record().steps == 90

    out = tmp_path / "numbers.json"
    assert run_cli("sample", "--run-dir", str(run), "--out", str(out), "--n", "25") == 0
    data = json.loads(out.read_text())
    assert data["kind"] == "numbers" and len(data["values"]) == 25
    assert "from the checkpoint at step 90" in capsys.readouterr().out


def test_epochs_set_the_number_of_steps(tmp_path):
    # multiples-of-5 has 2,000 items; batch 100 gives 20 steps an epoch.
    assert (
        run_cli(
            "train",
            "--model",
            "gan-numbers",
            "--epochs",
            "2",
            "--batch-size",
            "100",
            "--run-dir",
            str(tmp_path / "r"),
        )
        == 0
    )
    assert RunDir(tmp_path / "r").status()["step"] == 40
    assert RunDir(tmp_path / "r").record().steps == 40


def test_presets_and_config_files(tmp_path):
    cfg_file = tmp_path / "c.json"
    cfg_file.write_text(json.dumps({"batch_size": 16}))
    assert (
        run_cli(
            "train",
            "--model",
            "gan-numbers",
            "--preset",
            "quick CPU",
            "--steps",
            "5",
            "--config",
            str(cfg_file),
            "--run-dir",
            str(tmp_path / "r"),
        )
        == 0
    )
    rec = RunDir(tmp_path / "r").record()
    assert rec.config == {
        "batch_size": 16,
        "lr": 1e-3,
        "preview_numbers": 64,
        "d_update": "joint",
        "fresh_batches": False,
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "gan-shape", "--lr", "abc"], "--lr: 'abc' is not a valid float"),
        (["--model", "gan-shape", "--batch-size", "0"], "--batch-size: 0 is below"),
        (["--model", "gan-shape", "--foo", "1"], "unknown option(s) --foo 1"),
        (["--model", "nope"], "unknown model 'nope'; installed models"),
        (["--model", "gan-shape", "--dataset", "nope"], "'nope' is neither an embedded dataset"),
        (["--model", "gan-shape", "--dataset", "multiples-of-5"], "trains on points2d, table data"),
        (["--model", "gan-shape", "--device", "tpu"], "unknown device 'tpu'"),
        (["--model", "gan-shape", "--preset", "fast"], "--preset 'fast'"),
        (["--resume"], "holds no run"),
    ],
)
def test_bad_arguments_give_one_clear_line_and_exit_2(tmp_path, capsys, args, message):
    assert run_cli("train", "--run-dir", str(tmp_path / "r"), "--steps", "3", *args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_an_existing_run_is_not_overwritten(tmp_path, capsys):
    args = ["train", "--model", "gan-numbers", "--steps", "3", "--run-dir", str(tmp_path)]
    assert run_cli(*args) == 0
    assert run_cli(*args) == 2
    assert "use --resume" in capsys.readouterr().err


def test_python_dash_m_is_the_same_command(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "studio.cli", "models"], capture_output=True, text=True, check=True
    )
    assert "gan-shape" in out.stdout


@pytest.mark.parametrize("signame", ["SIGINT", "SIGTERM"])
def test_ctrl_c_or_sigterm_checkpoints_then_exits_130(tmp_path, signame):
    """A real SIGINT (Ctrl-C) or SIGTERM (a job scheduler, torchrun ending a job) to a
    real process: it writes a checkpoint and exits 130; the run then resumes from that
    checkpoint."""
    import signal
    import time

    run = tmp_path / "run"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "studio.cli",
            "train",
            "--model",
            "gan-shape",
            "--steps",
            "100000",
            "--run-dir",
            str(run),
            "--checkpoint-every",
            "0",
            "--sample-every",
            "0",
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 60
    while time.time() < deadline and RunDir(run).status().get("state") != "running":
        time.sleep(0.2)
    time.sleep(1.0)
    proc.send_signal(getattr(signal, signame))
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    if signame == "SIGINT":
        assert "writing a checkpoint" in err
    steps = RunDir(run).checkpoint_steps()
    assert len(steps) == 1 and steps[0] > 0
    assert RunDir(run).status()["state"] == "stopped"
    assert run_cli("train", "--resume", "--run-dir", str(run), "--steps", str(steps[0] + 5)) == 0


def test_runs_lists_the_workspace(workspace, capsys):
    run = workspace / "runs" / "a"
    assert run_cli("train", "--model", "gan-numbers", "--steps", "3", "--run-dir", str(run)) == 0
    capsys.readouterr()
    assert run_cli("runs") == 0
    out = capsys.readouterr().out
    assert "gan-numbers" in out and "finished" in out and str(run) in out


def _image_classes(root):
    from PIL import Image

    for cls in ("cats", "dogs", "owls"):
        (root / cls).mkdir(parents=True)
        for i in range(3):
            Image.new("RGB", (16, 16), (40 * i, 80, 0)).save(root / cls / f"{i}.png")
    (root / "dogs" / "broken.png").write_bytes(b"not a png at all")
    (root / "dogs" / "empty.jpg").write_bytes(b"")


def test_datasets_inspect_reports_reader_kind_items_and_skipped_files(tmp_path, capsys):
    _image_classes(tmp_path / "pets")
    assert run_cli("datasets", "inspect", str(tmp_path / "pets"), "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["reader"] == "image-classes" and report["kind"] == "labelled-images"
    assert report["items"] == 9 and report["files"] == 11
    assert report["classes"] == ["cats", "dogs", "owls"]
    assert report["counts"] == {"cats": 3, "dogs": 3, "owls": 3}
    assert report["shapes"] == [[3, 64, 64], []]
    reasons = {item["file"].rsplit("/", 1)[-1]: item["reason"] for item in report["skipped"]}
    assert reasons == {
        "broken.png": "not a readable image (not a PNG file)",
        "empty.jpg": "empty file (0 bytes)",
    }
    assert run_cli("datasets", "inspect", str(tmp_path / "pets")) == 0
    out = capsys.readouterr().out
    assert "reader:  image-classes" in out and "broken.png" in out
    # Two class folders are also two CycleGAN domains: a tie the user settles.
    import shutil

    shutil.rmtree(tmp_path / "pets" / "owls")
    assert run_cli("datasets", "inspect", str(tmp_path / "pets")) == 2
    assert "several readers fit (image-classes, image-two-domains)" in capsys.readouterr().err
    args = ["datasets", "inspect", str(tmp_path / "pets"), "--reader", "image-two-domains"]
    assert run_cli(*args, "--json") == 0
    assert json.loads(capsys.readouterr().out)["kind"] == "two-domain-images"


def test_datasets_inspect_refuses_with_one_line(tmp_path, capsys):
    assert run_cli("datasets", "inspect", str(tmp_path / "missing")) == 2
    assert "nor an existing path" in capsys.readouterr().err
    (tmp_path / "notes.xyz").write_bytes(b"\x00\x01")
    assert run_cli("datasets", "inspect", str(tmp_path / "notes.xyz")) == 2
    err = capsys.readouterr().err
    assert "no installed reader understands it" in err and "*.png" in err
    assert err.count("\n") == 1


def test_train_on_a_dropped_csv_and_resume_reads_the_same_file(tmp_path, capsys):
    import math

    rows = [f"{10 * math.cos(i / 50):.4f},{10 * math.sin(i / 50):.4f}" for i in range(400)]
    table = tmp_path / "ring.csv"
    table.write_text("x,y\n" + "\n".join(rows) + "\n")
    run = tmp_path / "run"
    args = ["--model", "gan-shape", "--dataset", str(table), "--run-dir", str(run)]
    assert run_cli("train", *args, "--steps", "20", "--checkpoint-every", "10") == 0
    record = RunDir(run).record()
    assert record.dataset.pop("seal")  # made here: resume and sample read the path
    assert record.dataset == {
        "id": str(table),
        "source": "path",
        "kind": "table",
        "path": str(table),
        "reader": "csv",
    }
    assert run_cli("train", "--resume", "--run-dir", str(run), "--steps", "30") == 0
    assert RunDir(run).checkpoint_steps()[-1] == 30
    assert run_cli("sample", "--run-dir", str(run), "--out", str(tmp_path / "s.json")) == 0
    sample = json.loads((tmp_path / "s.json").read_text())
    assert sample["x_label"] == "x" and sample["reference_style"] == "points"
    capsys.readouterr()
    three = tmp_path / "wide.csv"
    three.write_text("a,b,c\n1,2,3\n4,5,6\n")
    code = run_cli(
        "train",
        "--model",
        "gan-shape",
        "--dataset",
        str(three),
        "--steps",
        "2",
        "--run-dir",
        str(tmp_path / "r2"),
    )
    assert code == 2 and "exactly two numeric columns" in capsys.readouterr().err


def test_sample_options_are_passed_and_bad_ones_named(tmp_path, capsys):
    run = tmp_path / "run"
    assert run_cli("train", "--model", "gan-numbers", "--steps", "5", "--run-dir", str(run)) == 0
    capsys.readouterr()
    out = str(tmp_path / "s.json")
    assert run_cli("sample", "--run-dir", str(run), "--out", out, "-o", "colour=red") == 2
    assert "error: -o colour: no such sampling option" in capsys.readouterr().err
    assert run_cli("sample", "--run-dir", str(run), "--out", out, "-o", "noise_scale=0") == 0
    assert len(set(json.loads(Path(out).read_text())["values"])) == 1  # no noise: one number
    assert run_cli("sample", "--run-dir", str(run), "--out", out, "-o", "oops") == 2
    assert "expected NAME=VALUE" in capsys.readouterr().err


def test_export_lists_formats_and_writes_the_chosen_one(tmp_path, capsys):
    from safetensors.torch import load_file

    run = tmp_path / "run"
    args = ["--model", "gan-mlp", "--steps", "2", "--sample-every", "0", "--run-dir", str(run)]
    assert run_cli("train", *args) == 0
    capsys.readouterr()
    # Without --format: the formats, exit 0, and no --out needed to ask.
    assert run_cli("export", "--run-dir", str(run)) == 0
    listing = capsys.readouterr().out
    assert "image-gan-onnx" in listing and "image-gan-safetensors" in listing
    assert run_cli("export", "--run-dir", str(run), "--format", "nope") == 2
    err = capsys.readouterr().err
    assert "--format 'nope'" in err and "image-gan-onnx" in err
    assert run_cli("export", "--run-dir", str(run), "--format", "image-gan-onnx") == 2
    assert "--out is required" in capsys.readouterr().err
    out = tmp_path / "g"
    assert (
        run_cli(
            "export", "--run-dir", str(run), "--format", "image-gan-safetensors", "--out", str(out)
        )
        == 0
    )
    assert "checkpoint at step 2" in capsys.readouterr().out
    weights = load_file(out.with_suffix(".safetensors"))
    assert weights and all(t.is_floating_point() for t in weights.values())
    numbers = tmp_path / "numbers"
    assert (
        run_cli("train", "--model", "gan-numbers", "--steps", "2", "--run-dir", str(numbers)) == 0
    )
    capsys.readouterr()
    assert run_cli("export", "--run-dir", str(numbers), "--format", "x", "--out", str(out)) == 2
    assert "for model gan-numbers choose from none" in capsys.readouterr().err
