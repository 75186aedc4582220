"""Sampling from a chosen checkpoint: ``checkpoint_choices`` lists a run's checkpoints
with when each was saved, ``RunSampler(step=N)`` loads exactly that one (switching
back and forth reloads), a step without a checkpoint is one line naming the steps
there are, and ``genai-studio-cli sample --step N`` (which says so before loading)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest

from studio import api
from studio.core.run_sampler import (
    CheckpointChoice,
    NoSuchCheckpoint,
    RunSampler,
    checkpoint_choices,
)
from studio.testing import manager_with, train_run


@dataclass
class BiasConfig:
    lr: float = api.param(0.1, min=0.0, max=1.0)


def _trainer(config, dataset, device):
    import torch

    class BiasTrainer(api.Trainer):
        """A linear layer whose sample tells which weights it was drawn with."""

        def __init__(self, config, dataset, device):
            super().__init__(config, dataset, device)
            self.net = torch.nn.Linear(3, 1).to(self.device)
            self.opt = torch.optim.SGD(self.net.parameters(), lr=config.lr)

        def modules(self):
            return {"net": self.net}

        def optimizers(self):
            return {"opt": self.opt}

        def train_step(self, batch, step):
            loss = (self.net(batch) - 1).pow(2).mean()
            self.optimize(loss, self.opt)
            return {"loss": loss.detach()}

        def sample(self, generator, n=None):
            return api.Numbers(values=[1, 2, 3], metrics={"bias": float(self.net.bias)})

    return BiasTrainer(config, dataset, device)


def _vectors():
    import torch

    x = torch.randn(64, 3, generator=torch.Generator().manual_seed(0))
    return api.LoadedDataset(kind="vectors", train=(x,))


class BiasPlugin:
    STUDIO_API = "1.0"

    @staticmethod
    @api.hookimpl
    def studio_models():
        return [
            api.ModelSpec(
                id="bias",
                name="Bias",
                description="A linear layer learning to output 1.",
                dataset_kinds=("vectors",),
                config_class=BiasConfig,
                trainer_factory=_trainer,
                default_dataset="vectors",
                sample_kind="numbers",
            )
        ]

    @staticmethod
    @api.hookimpl
    def studio_datasets():
        return [api.DatasetSpec("vectors", "Vectors", "64 random vectors", "vectors", _vectors)]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A run with checkpoints at steps 10, 20 and 30."""
    manager = manager_with({"bias": BiasPlugin})
    path = tmp_path_factory.mktemp("pick") / "toy-run"
    train_run("bias", 30, path=path, manager=manager, checkpoint_every=10, keep_checkpoints=5)
    return manager, path


def test_the_checkpoints_are_listed_with_when_they_were_saved(run):
    _, path = run
    choices = checkpoint_choices(path)
    assert [c.step for c in choices] == [10, 20, 30]
    assert all(c.saved is not None and abs(c.saved - time.time()) < 3600 for c in choices)
    assert checkpoint_choices(path / "not-a-run") == []


def test_a_label_names_the_step_and_the_time_saved():
    noon = time.mktime((2026, 11, 29, 12, 3, 0, 0, 0, -1))
    assert CheckpointChoice(1500, noon).label(now=noon + 60) == "step 1,500 (12:03)"
    assert CheckpointChoice(1500, noon).label(now=noon + 86_400) == "step 1,500 (Nov 29 12:03)"
    assert CheckpointChoice(7).label() == "step 7"


def test_the_chosen_checkpoint_is_the_one_loaded(run):
    from studio.core.checkpoint import load_checkpoint

    manager, path = run
    sampler = RunSampler(path, manager.resolve_run, step=10)
    early = sampler.sample(seed=0).metrics["bias"]
    assert sampler.loaded_step == 10
    saved, _ = load_checkpoint(path / "checkpoints" / "step_0000010")
    assert early == pytest.approx(float(saved["net.bias"]))
    sampler.step = None  # back to the latest: reloaded
    latest = sampler.sample(seed=0).metrics["bias"]
    assert sampler.loaded_step == 30 and latest != pytest.approx(early)
    sampler.step = 20
    assert sampler.sample(seed=0).metrics["bias"] not in (early, latest)
    assert sampler.loaded_step == 20


def test_a_step_without_a_checkpoint_is_one_line_naming_those_there_are(run):
    manager, path = run
    sampler = RunSampler(path, manager.resolve_run, step=15)
    with pytest.raises(NoSuchCheckpoint) as caught:
        sampler.sample(seed=0)
    assert str(caught.value) == (
        "run toy-run has no checkpoint at step 15 (its checkpoints: 10, 20, 30)"
    )
    assert sampler.loaded_step is None


def test_the_cli_samples_the_step_asked_for(run, capsys, monkeypatch):
    from studio import cli
    from studio.cli import common

    manager, path = run
    monkeypatch.setattr(common, "load_manager", lambda args: manager)
    assert cli.main(["sample", "--run-dir", str(path), "--step", "20"]) == 0
    assert "from the checkpoint at step 20" in capsys.readouterr().out
    assert cli.main(["sample", "--run-dir", str(path), "--step", "25"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "genai-studio-cli: error: run toy-run has no checkpoint at step 25 "
        "(its checkpoints: 10, 20, 30)"
    ]
