"""Early stopping as an engine feature: the rule (patience, min_delta, min/max), the
stop with its recorded reason, the best weights restored, and a resume that continues
the count."""

from __future__ import annotations

import pytest
import torch

from studio import api
from studio.core.checkpoint import load_checkpoint
from studio.core.early_stop import EarlyStopper, StopCriterion, criterion_from_settings
from studio.core.engine import Engine
from studio.core.rundir import RunDir, RunRecord
from studio.core.settings import build_settings

# The validation losses the scripted trainer reports, one per validation: the best
# (1.0) is the fourth, then ten that do not beat it.
VAL = [4.0, 3.0, 2.0, 1.0, 1.5, 1.2, 1.0, 1.3, 1.4, 1.6, 1.1, 1.7, 1.8, 1.9, 2.0]


def test_the_books_rule_counts_evaluations_without_a_new_best():
    s = EarlyStopper(StopCriterion("val/loss", patience=3))
    verdicts = [s.update(i, {"val/loss": v}) for i, v in enumerate([3, 2, 2, 2.5, 1.9, 2, 2, 2])]
    # an equal value is not an improvement (as the book's `elif val_loss >= min_loss`)
    assert verdicts == [
        "improved",
        "improved",
        "waiting",
        "waiting",
        "improved",
        "waiting",
        "waiting",
        "stop",
    ]
    assert (s.best, s.best_step, s.bad) == (1.9, 4, 3)
    assert s.update(9, {"loss": 0.1}) == ""  # rows without the metric are not evaluations


def test_min_delta_max_mode_and_nan():
    s = EarlyStopper(StopCriterion("sample/acc", mode="max", patience=2, min_delta=0.05))
    assert s.update(1, {"sample/acc": 0.5}) == "improved"
    assert s.update(2, {"sample/acc": 0.54}) == "waiting"  # within min_delta
    assert s.update(3, {"sample/acc": 0.7}) == "improved"
    assert s.update(4, {"sample/acc": float("nan")}) == "waiting"
    assert s.update(5, {"sample/acc": 0.2}) == "stop"
    assert "sample/acc did not improve for 2 previews; best at step 3" in s.reason(True)
    with pytest.raises(ValueError, match=r"^stop_mode"):
        StopCriterion("x", mode="up")


def test_settings_declare_the_criterion():
    assert criterion_from_settings(build_settings({})) is None
    c = criterion_from_settings(
        build_settings({"stop_metric": "val/loss", "stop_patience": "4", "restore_best": "no"})
    )
    assert c == StopCriterion("val/loss", "min", 4, 0.0, False)


class Scripted(api.Trainer):
    """A linear model that really trains; its validation loss follows ``VAL``, and the
    weights at each validation are kept to compare with what is restored."""

    def __init__(self, config, dataset, device):
        super().__init__(config, dataset, device)
        torch.manual_seed(0)
        self.net = torch.nn.Linear(3, 1)
        self.opt = torch.optim.SGD(self.net.parameters(), lr=0.05)
        self.calls = 0
        self.seen: dict[float, dict[str, torch.Tensor]] = {}

    def modules(self):
        return {"net": self.net}

    def optimizers(self):
        return {"opt": self.opt}

    def train_step(self, batch, step):
        loss = (self.net(batch) - 1).pow(2).mean()
        self.optimize(loss, self.opt)
        return {"loss": loss.detach()}

    def validate(self):
        value = VAL[min(self.calls, len(VAL) - 1)]
        self.calls += 1
        self.seen.setdefault(value, {k: v.clone() for k, v in self.weights().items()})
        return {"loss": value}

    def sample(self, generator, n=None, options=None):
        return api.Numbers(values=[1])


def _engine(path, trainer=None, restore=True, steps=1000):
    data = api.LoadedDataset(kind="toy", train=(torch.randn(64, 3),))
    trainer = trainer or Scripted({}, data, torch.device("cpu"))
    run = RunDir.create(path, RunRecord("toy", "toy", "0", {}, {"id": "toy"}, settings={}))
    return Engine(
        run,
        trainer,
        total_steps=steps,
        seed=0,
        sample_every=0,
        checkpoint_every=20,
        validate_every=10,
        stop=StopCriterion("val/loss", patience=10, restore_best=restore),
    )


def test_a_run_stops_early_says_why_and_keeps_the_best_weights(tmp_path):
    engine = _engine(tmp_path / "run")
    result = engine.run()
    # best at the 4th validation (step 40); ten more without a new best: step 140
    assert (result.state, result.step) == ("finished", 140)
    assert "val/loss did not improve for 10 validations; best at step 40 (1) restored" in (
        result.message
    )
    run = RunDir(tmp_path / "run")
    assert run.status()["message"] == result.message
    assert "stopped early at step 140" in run.events()
    weights, state = load_checkpoint(run.latest_checkpoint())
    best = engine.trainer.seen[1.0]
    for k in best:
        torch.testing.assert_close(weights[k], best[k])
    assert state["early_stop"]["best_step"] == 40


def test_without_restore_the_last_weights_stay(tmp_path):
    engine = _engine(tmp_path / "run", restore=False)
    result = engine.run()
    assert result.step == 140 and "(last weights kept)" in result.message
    weights, _ = load_checkpoint(RunDir(tmp_path / "run").latest_checkpoint())
    last = engine.trainer.weights()
    assert all(torch.equal(weights[k], last[k]) for k in last)
    assert not torch.equal(weights["net.weight"], engine.trainer.seen[1.0]["net.weight"])


def test_a_resumed_run_continues_the_count_with_its_best_weights(tmp_path):
    path = tmp_path / "run"
    engine = _engine(path, steps=100)  # stopped by its target, 6 validations after the best
    assert engine.run().state == "finished"
    best = engine.trainer.seen[1.0]
    resumed = _again(path, engine.trainer)
    resumed.restore_newest()
    assert (resumed.stopper.best_step, resumed.stopper.bad) == (40, 6)
    result = resumed.run()
    assert result.step == 140 and "best at step 40 (1) restored" in result.message
    weights, _ = load_checkpoint(RunDir(path).latest_checkpoint())
    for k in best:
        torch.testing.assert_close(weights[k], best[k])


def _again(path, trainer):
    trainer.calls = 6 + 4  # the validations the first part made (steps 10..100)
    return Engine(
        RunDir(path),
        trainer,
        total_steps=1000,
        seed=0,
        sample_every=0,
        checkpoint_every=20,
        validate_every=10,
        stop=StopCriterion("val/loss", patience=10),
    )
