"""CLI details a plugin author met: single-file plugins, one line per failure naming the
plugin and the model, the sizes of images on disk, and a double Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

from PIL import Image

from studio import cli
from studio.cli import common
from studio.core.rundir import RunDir

SINGLE_FILE = textwrap.dedent(
    '''
    """A whole plugin in one file, as the window's plugin folder holds them."""
    from dataclasses import dataclass

    from studio import api

    STUDIO_API = "1.0"


    @dataclass
    class Config:
        batch_size: int = api.param(16, min=1, max=512, help="batch")


    def _trainer(config, dataset, device):
        import torch

        class Line(api.Trainer):
            def __init__(self, config, dataset, device):
                super().__init__(config, dataset, device)
                self.net = torch.nn.Linear(1, 1)
                self.opt = torch.optim.SGD(self.net.parameters(), lr=0.05)

            def modules(self):
                return {"net": self.net}

            def optimizers(self):
                return {"opt": self.opt}

            def train_step(self, batch, step):
                x = batch[0] if isinstance(batch, (tuple, list)) else batch
                loss = (self.net(x[:, :1]).squeeze(1) - x[:, 1]).pow(2).mean()
                self.optimize(loss, self.opt)
                return {"loss": loss.detach()}

            def sample(self, generator, n=None):
                return api.Numbers(values=[round(float(self.net.weight[0, 0]) * 100)])

        return Line(config, dataset, device)


    def _data():
        import torch

        x = torch.linspace(-1, 1, 64)
        return api.LoadedDataset(kind="pairs-2d", train=(torch.stack([x, 3 * x], 1),))


    @api.hookimpl
    def studio_models():
        return [api.ModelSpec(id="one-file-line", name="Line", description="y = ax",
                              dataset_kinds=("pairs-2d",), config_class=Config,
                              trainer_factory=_trainer, default_dataset="line-64")]


    @api.hookimpl
    def studio_datasets():
        return [api.DatasetSpec("line-64", "Line", "", "pairs-2d", _data)]
    '''
)


def test_single_file_plugins_train_resume_and_sample_in_the_cli(tmp_path, monkeypatch, capsys):
    """A model from the user plugin folder was "unknown model" in the CLI."""
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "one_file_line.py").write_text(SINGLE_FILE)
    monkeypatch.setenv("GENAI_STUDIO_PLUGIN_DIR", str(folder))
    run = tmp_path / "run"
    common_args = ["--sample-every", "0", "--device", "cpu"]
    args = ["train", "--model", "one-file-line", "--steps", "4", *common_args]
    assert cli.main([*args, "--run-dir", str(run)]) == 0
    assert cli.main(["train", "--resume", "--run-dir", str(run), "--steps", "6"]) == 0
    assert RunDir(run).status()["step"] == 6
    out = tmp_path / "w.json"
    assert cli.main(["sample", "--run-dir", str(run), "--out", str(out)]) == 0
    assert json.loads(out.read_text())["kind"] == "numbers"
    assert cli.main(["models"]) == 0
    assert "one-file-line" in capsys.readouterr().out
    assert cli.main(["plugins"]) == 0
    assert "file:one_file_line" in capsys.readouterr().out


def test_a_trainer_that_raises_is_one_line_naming_plugin_and_model(
    tmp_path, monkeypatch, capsys, toy
):
    manager = toy.manager(toy.trainer_class(fail_at=3, message="the toy exploded"))
    monkeypatch.setattr(common, "load_manager", lambda args: manager)
    args = ["train", "--model", "toy", "--steps", "10", "--sample-every", "0"]
    assert cli.main([*args, "--run-dir", str(tmp_path / "r"), "--device", "cpu"]) == 1
    err = capsys.readouterr().err
    said = [line for line in err.splitlines() if "the toy exploded" in line]
    assert len(said) == 1, err  # not `error:` then `failed:`
    assert said[0].startswith(
        "genai-studio-cli: error: plugin toy_plugin failed while training toy"
    )


def test_datasets_inspect_reports_image_sizes_on_disk(tmp_path, capsys):
    """Folders of 20x20 and 24x24 images were reported as [3, 64, 64] (the size they
    are prepared to)."""
    for name, size in (("small", 20), ("tiny", 20), ("large", 24)):
        (tmp_path / "imgs" / name).mkdir(parents=True)
        for i in range(6):
            Image.new("RGB", (size, size), (i * 30, 0, 0)).save(
                tmp_path / "imgs" / name / f"{i}.png"
            )
    assert cli.main(["datasets", "inspect", str(tmp_path / "imgs")]) == 0
    out = capsys.readouterr().out
    assert "images:  20x20, 24x24 (resized to 64x64 for training)" in out or (
        "images:  24x24, 20x20 (resized to 64x64 for training)" in out
    ), out
    assert "[3, 64, 64]" not in out
    assert cli.main(["datasets", "inspect", str(tmp_path / "imgs"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert sorted(report["image_sizes"]["sizes"]) == ["20x20", "24x24"]
    assert report["image_sizes"]["sampled"] == 18


def test_a_second_ctrl_c_at_once_ends_like_the_first(tmp_path):
    """Two SIGINTs 50 ms apart printed a KeyboardInterrupt traceback and left the status
    "running"; now: a checkpoint, status "stopped", exit 130."""
    run = tmp_path / "run"
    args = ["train", "--model", "gan-shape", "--steps", "100000", "--run-dir", str(run)]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "studio.cli",
            *args,
            "--checkpoint-every",
            "0",
            "--sample-every",
            "0",
        ],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "GENAI_STUDIO_THREADS": "1"},
    )
    deadline = time.time() + 120
    while time.time() < deadline and RunDir(run).status().get("step", 0) < 1:
        time.sleep(0.2)  # status.json's step: training has begun
    proc.send_signal(signal.SIGINT)
    time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert err.count("writing a checkpoint") == 1
    assert RunDir(run).status()["state"] == "stopped"
    assert len(RunDir(run).checkpoint_steps()) == 1
