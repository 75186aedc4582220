"""Early stopping for any run: watch a metric the run logs (``val/loss``,
``sample/digit_accuracy``, a training loss), stop when it has not improved for
``patience`` evaluations, and optionally put back the weights of its best evaluation.

The book's chapter 2 ``EarlyStop`` counts epochs without a new minimum of the
validation loss and stops at 10, keeping the weights of the last epoch. Here the same
rule is an engine feature declared with the engine settings (``stop_metric``,
``stop_mode``, ``stop_patience``, ``stop_min_delta``, ``restore_best``), and the best
weights are kept (in memory, and in each checkpoint so a resumed run still has them).
Torch-free: the engine hands weights in and out as it likes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MODES = ("min", "max")


@dataclass(frozen=True)
class StopCriterion:
    """When to stop: ``metric`` (a metrics.jsonl column) has not improved by more than
    ``min_delta`` (in the direction of ``mode``) for ``patience`` evaluations."""

    metric: str
    mode: str = "min"
    patience: int = 10
    min_delta: float = 0.0
    restore_best: bool = True

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"stop_mode: {self.mode!r} is not min or max")
        if self.patience < 1:
            raise ValueError(f"stop_patience: {self.patience} is below the minimum 1")

    @property
    def unit(self) -> str:
        """What one evaluation of the metric is called, for the stop message."""
        if self.metric.startswith("val/"):
            return "validations"
        if self.metric.startswith("sample/"):
            return "previews"
        return "steps"


def _fmt_step(step: int) -> str:
    return f"{step:,}"


class EarlyStopper:
    """Feed it every metrics row (``update``); it says when to stop and keeps the best.

    ``best_weights`` holds a copy of the weights at the best evaluation when
    ``restore_best`` is on (the engine fills it through ``improved``)."""

    def __init__(self, criterion: StopCriterion) -> None:
        self.criterion = criterion
        self.best: float | None = None
        self.best_step: int | None = None
        self.bad = 0  # evaluations since the best one
        self.evaluations = 0
        self.best_weights: dict[str, Any] | None = None
        self.stopped_at: int | None = None

    def _better(self, value: float) -> bool:
        if self.best is None:
            return True
        delta = self.criterion.min_delta
        if self.criterion.mode == "min":
            return value < self.best - delta
        return value > self.best + delta

    def update(self, step: int, row: dict[str, Any]) -> str:
        """Look at one metrics row. Returns ``""`` when the metric is not in it,
        ``"improved"`` (the caller copies the weights), ``"waiting"`` or ``"stop"``."""
        if self.criterion.metric not in row:
            return ""
        value = float(row[self.criterion.metric])
        self.evaluations += 1
        if math.isfinite(value) and self._better(value):
            self.best, self.best_step, self.bad = value, step, 0
            return "improved"
        self.bad += 1  # a NaN evaluation is not an improvement
        if self.bad >= self.criterion.patience:
            self.stopped_at = step
            return "stop"
        return "waiting"

    def watch(self, step: int, row: dict[str, Any], weights: Callable[[], dict[str, Any]]) -> bool:
        """``update``, copying ``weights()`` to the CPU on an improvement when the best
        is to be restored; True when the run should stop."""
        verdict = self.update(step, row)
        if verdict == "improved" and self.criterion.restore_best:
            self.best_weights = {k: v.detach().to("cpu", copy=True) for k, v in weights().items()}
        return verdict == "stop"

    def restore_into(self, trainer: Any, step: int) -> bool:
        """Load the best weights into ``trainer`` (a ``Trainer``) when asked for and not
        already the current ones; True when it did."""
        if not self.criterion.restore_best or not self.best_weights or self.best_step == step:
            return False
        trainer.load_weights({k: v.to(trainer.device) for k, v in self.best_weights.items()})
        return True

    def reason(self, restored: bool) -> str:
        """Why the run stopped, as the run records it: ``val/loss did not improve for 10
        validations; best at step 1,900 restored``."""
        c = self.criterion
        text = f"{c.metric} did not improve for {self.bad} {c.unit}"
        if self.best_step is not None:
            text += f"; best at step {_fmt_step(self.best_step)} ({self.best:.6g})"
            text += " restored" if restored else " (last weights kept)"
        return text

    # --- checkpointed with the run, so that a resume continues the count --------
    def state(self, step: int) -> dict[str, Any]:
        """JSON values (and the best weights' tensors when they are not the current
        ones): what a checkpoint at ``step`` stores."""
        out: dict[str, Any] = {
            "metric": self.criterion.metric,
            "best": self.best,
            "best_step": self.best_step,
            "bad": self.bad,
            "evaluations": self.evaluations,
        }
        if self.criterion.restore_best and self.best_weights and self.best_step != step:
            out["weights"] = self.best_weights
        return out

    def load_state(self, state: dict[str, Any] | None) -> None:
        """Continue from a checkpoint's ``state``; one for another metric is ignored."""
        if not state or state.get("metric") != self.criterion.metric:
            return
        best = state.get("best")
        self.best = None if best is None else float(best)
        self.best_step = state.get("best_step")
        self.bad = int(state.get("bad", 0))
        self.evaluations = int(state.get("evaluations", 0))
        self.best_weights = state.get("weights")


def criterion_from_settings(settings: Any) -> StopCriterion | None:
    """The criterion the engine settings declare, or None when ``stop_metric`` is empty."""
    metric = str(getattr(settings, "stop_metric", "") or "").strip()
    if not metric:
        return None
    return StopCriterion(
        metric=metric,
        mode=str(getattr(settings, "stop_mode", "min")),
        patience=int(getattr(settings, "stop_patience", 10)),
        min_delta=float(getattr(settings, "stop_min_delta", 0.0)),
        restore_best=bool(getattr(settings, "restore_best", True)),
    )
