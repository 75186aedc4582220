"""The health monitor: an objective signal, while a run trains, that it is going well
or going wrong.

Two parts, both fed by the engine:

- A **judge** (a trained classifier, ``studio.core.judge``) scores an image
  generator's fixed-seed previews: recognition rate, classes covered, a Frechet
  distance and precision/recall on its penultimate features against real images. The
  scores join the sample's metrics (``sample/judge_*`` in metrics.jsonl, plotted live).
- **Alarms** read every metrics row and say when a known failure shows: mode
  collapse, the discriminator winning, divergence, overfitting, exploding gradient
  norms. Each rule is below and in docs/health.md. An alarm is a WARNING event
  (events.log, Messages in the window, the CLI's output) whose text
  ``alarm at step 1,200 (mode collapse): ...`` is parsed back by ``parse_alarm`` for
  markers on the loss curve and for ``genai-studio-cli runs --health``.

An alarm fires once when its condition starts, and again only after the condition
has cleared. Torch-free except through the judge.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import deque
from dataclasses import dataclass, field
from typing import Any

TITLES = {
    "mode_collapse": "mode collapse",
    "discriminator_winning": "discriminator winning",
    "divergence": "divergence",
    "overfitting": "overfitting",
    "gradient_explosion": "gradient norm exploding",
}
_BY_TITLE = {v: k for k, v in TITLES.items()}
_ALARM = re.compile(r"^alarm at step ([\d,]+) \(([^)]+)\): (.*)$")
NOT_LOSSES = ("step", "time", "epoch")


@dataclass(frozen=True)
class Alarm:
    step: int
    name: str  # a key of TITLES
    text: str

    def message(self) -> str:
        """The one line the run records (events.log) and the window shows."""
        return f"alarm at step {self.step:,} ({TITLES[self.name]}): {self.text}"


def parse_alarm(message: str) -> Alarm | None:
    """The alarm an event's message holds, or None for any other message."""
    m = _ALARM.match(message.splitlines()[0] if message else "")
    if m is None or m.group(2) not in _BY_TITLE:
        return None
    return Alarm(int(m.group(1).replace(",", "")), _BY_TITLE[m.group(2)], m.group(3))


@dataclass
class Rules:
    """The thresholds of the alarms (docs/health.md explains each)."""

    collapse_min_classes: float = 4  # classes covered once at least this many...
    collapse_fraction: float = 0.5  # ...then at most this share of the best: collapse
    collapse_diversity: float = 0.2  # sample diversity below this share of the data's...
    collapse_healthy: float = 0.5  # ...after it was at least this
    collapse_identical: float = 0.02  # or below this from step 100 on: one image repeated
    collapse_min_step: int = 100  # (an untrained generator's samples can be as alike)
    d_win_loss: float = 0.05  # discriminator loss below this...
    d_win_steps: int = 500  # ...for this many steps, while the generator's loss rises...
    d_win_g_rise: float = 1.5  # ...by this factor
    diverge_factor: float = 10.0  # a loss's recent median above this times its lowest...
    diverge_gap: float = 1.0  # ...and above it by this much (small losses wobble)
    diverge_recent: int = 5  # steps in a median
    overfit_rise: float = 0.1  # validation loss this share above its best...
    overfit_validations: int = 3  # ...at least this many validations after the best...
    overfit_train_fall: float = 0.05  # ...while the training loss fell by this share
    grad_factor: float = 100.0  # a gradient norm this many times its recent median
    grad_window: int = 20  # measurements in that median
    rearm_steps: int = 100  # a step rule fires again after this many rows without it
    rearm_sparse: int = 2  # a preview or validation rule, after this many checks


def _finite(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


@dataclass
class _Series:
    values: deque = field(default_factory=lambda: deque(maxlen=400))
    ever_negative: bool = False
    low: float | None = None  # the lowest median of ``diverge_recent`` values so far
    first: bool = True  # the first value is still in ``values``


class HealthMonitor:
    """``score_sample(sample)`` for the judge's scores; ``observe(row)`` for alarms."""

    def __init__(self, judge: Any = None, alarms: bool = True, rules: Rules | None = None):
        self.judge = judge
        self.alarms = alarms
        self.rules = rules or Rules()
        self.active: set[str] = set()
        self._calm: dict[str, int] = {}  # checks without the condition, per active alarm
        self.fired: list[Alarm] = []
        self._losses: dict[str, _Series] = {}
        self._best_classes = 0.0
        self._best_diversity: dict[str, float] = {}
        self._d_low = 0  # consecutive steps with the discriminator's loss near 0
        self._g_at_d_low: float | None = None
        self._val: dict[str, tuple[float, int, float | None]] = {}  # best, count since, train
        self._val_seen: dict[str, int] = {}
        self._grad: deque = deque(maxlen=self.rules.grad_window)
        self._train_ema: dict[str, float] = {}

    # --- the judge -------------------------------------------------------------
    def score_sample(self, sample: Any) -> dict[str, float]:
        """The judge's scores of an image sample (``judge_*``), or {} (no judge, or not
        images)."""
        images = getattr(sample, "images", None)
        if self.judge is None or images is None or getattr(sample, "kind", "") != "images":
            return {}
        return {f"judge_{k}": float(v) for k, v in self.judge.score_images(images).items()}

    # --- alarms ------------------------------------------------------------------
    def observe(self, row: dict[str, Any], grad_norm: float | None = None) -> list[Alarm]:
        """The alarms that start with this metrics row (``grad_norm``: the total
        gradient norm the trainer measured at this step, if it did)."""
        if not self.alarms:
            return []
        step = int(row.get("step", 0))
        found: dict[str, str] = {}
        losses = {
            k: float(v)
            for k, v in row.items()
            if k not in NOT_LOSSES and "/" not in k and _finite(v)
        }
        for k, v in losses.items():
            s = self._losses.setdefault(k, _Series())
            s.first = len(s.values) < (s.values.maxlen or 0)
            s.values.append(v)
            s.ever_negative = s.ever_negative or v < 0
            ema = self._train_ema.get(k)
            self._train_ema[k] = v if ema is None else 0.9 * ema + 0.1 * v
        for check in (self._collapse, self._d_winning, self._divergence, self._overfitting):
            name, text = check(row, losses)
            if name:
                found[name] = text
        if grad_norm is not None:
            name, text = self._gradient(float(grad_norm))
            if name:
                found[name] = text
        # Conditions checked only on some rows (previews, validations) stay as they were.
        checked = set(found) | self._checked(row, losses, grad_norm is not None)
        out = [Alarm(step, n, t) for n, t in found.items() if n not in self.active]
        for name in checked - set(found):  # clear: re-armed after a calm stretch
            self._calm[name] = self._calm.get(name, 0) + 1
            sparse = name in ("mode_collapse", "overfitting")
            if self._calm[name] >= (self.rules.rearm_sparse if sparse else self.rules.rearm_steps):
                self.active.discard(name)
        for name in found:
            self._calm[name] = 0
        self.active |= set(found)
        self.fired += out
        return out

    @staticmethod
    def _checked(row: dict[str, Any], losses: dict[str, float], grad: bool) -> set[str]:
        names = {"divergence"} if losses else set()
        if any(k.endswith("classes_covered") or k.endswith("diversity") for k in row):
            names.add("mode_collapse")
        if "d_loss" in losses:
            names.add("discriminator_winning")
        if any(k.startswith("val/") for k in row):
            names.add("overfitting")
        if grad:
            names.add("gradient_explosion")
        return names

    def _collapse(self, row, losses) -> tuple[str, str]:
        r = self.rules
        for key in ("sample/judge_diversity", "sample/diversity"):
            v = row.get(key)
            if not _finite(v):
                continue
            best = self._best_diversity.get(key, 0.0)
            self._best_diversity[key] = max(best, float(v))
            # Fell from a healthy level, or the samples are all the same image (an
            # untrained generator's samples are alike too, but not identical).
            fell = best >= r.collapse_healthy and v < r.collapse_diversity
            same = v < r.collapse_identical and int(row.get("step", 0)) >= r.collapse_min_step
            if fell or same:
                since = f" (it was {best:.2g})" if fell else ""
                return "mode_collapse", (
                    f"the samples are nearly alike ({key} = {v:.3g} of the data's spread{since})"
                )
        for key in ("sample/judge_classes_covered", "sample/classes_covered"):
            v = row.get(key)
            if not _finite(v):
                continue
            self._best_classes = max(self._best_classes, float(v))
            best = self._best_classes
            if best >= r.collapse_min_classes and v <= r.collapse_fraction * best:
                return "mode_collapse", f"classes covered fell from {best:g} to {v:g}"
            break
        return "", ""

    def _d_winning(self, row, losses) -> tuple[str, str]:
        d, g = losses.get("d_loss"), losses.get("g_loss")
        if d is None or g is None or self._losses["d_loss"].ever_negative:
            return "", ""  # a Wasserstein critic's loss is not near 0 when it wins
        r = self.rules
        if d >= r.d_win_loss:
            self._d_low, self._g_at_d_low = 0, None
            return "", ""
        if self._d_low == 0:
            self._g_at_d_low = self._train_ema.get("g_loss", g)
        self._d_low += 1
        g_now = self._train_ema.get("g_loss", g)
        if self._d_low >= r.d_win_steps and g_now > r.d_win_g_rise * (self._g_at_d_low or 0.0):
            return "discriminator_winning", (
                f"d_loss below {r.d_win_loss:g} for {self._d_low} steps while g_loss rose "
                f"from {self._g_at_d_low:.3g} to {g_now:.3g}: the generator learns nothing"
            )
        return "", ""

    def _divergence(self, row, losses) -> tuple[str, str]:
        r = self.rules
        if "d_loss" in losses:  # a GAN's losses swing by design: its rule is the one above
            return "", ""
        for k, s in self._losses.items():
            if k not in losses or s.ever_negative or len(s.values) < r.diverge_recent:
                continue
            recent = statistics.median(list(s.values)[-r.diverge_recent :])
            # The baseline: the lowest recent median so far, or the first value (a run
            # that diverges from its first steps has no calm stretch to compare with).
            base = min(
                s.low if s.low is not None else math.inf, s.values[0] if s.first else math.inf
            )
            s.low = recent if s.low is None else min(s.low, recent)
            if base > 0 and recent > r.diverge_factor * base and recent - base > r.diverge_gap:
                return "divergence", (
                    f"{k} jumped to {recent:.3g}, {recent / base:.0f}x its lowest level "
                    f"{base:.3g}: lower the learning rate"
                )
        return "", ""

    def _overfitting(self, row, losses) -> tuple[str, str]:
        r = self.rules
        for key, v in row.items():
            if not key.startswith("val/") or not _finite(v) or "loss" not in key:
                continue
            train_key = key[4:] if key[4:] in self._train_ema else next(iter(self._train_ema), "")
            train = self._train_ema.get(train_key)
            best, since, train_at_best = self._val.get(key, (math.inf, 0, None))
            if v < best:
                self._val[key] = (float(v), 0, train)
                continue
            since += 1
            self._val[key] = (best, since, train_at_best)
            if (
                since >= r.overfit_validations
                and v > best * (1 + r.overfit_rise)
                and train is not None
                and train_at_best is not None
                and train < train_at_best * (1 - r.overfit_train_fall)
            ):
                return "overfitting", (
                    f"{key} rose to {v:.4g}, {100 * (v / best - 1):.0f}% above its best "
                    f"{best:.4g} ({since} validations ago), while {train_key} fell from "
                    f"{train_at_best:.4g} to {train:.4g}: stop early or regularise"
                )
        return "", ""

    def _gradient(self, norm: float) -> tuple[str, str]:
        r = self.rules
        history = list(self._grad)
        self._grad.append(norm)
        if not math.isfinite(norm):
            return "gradient_explosion", f"the gradient norm became {norm}: a NaN is near"
        if len(history) < 3:
            return "", ""
        base = statistics.median(history)
        if base > 0 and norm > r.grad_factor * base:
            return "gradient_explosion", (
                f"the gradient norm reached {norm:.3g}, {norm / base:.0f}x its recent "
                f"median {base:.3g}: a NaN is near; lower the learning rate or clip"
            )
        return "", ""

    # --- checkpointed, so a resumed run does not fire the same alarm again -------
    def state(self) -> dict[str, Any]:
        return {"active": sorted(self.active), "best_classes": self._best_classes}

    def load_state(self, state: dict[str, Any] | None) -> None:
        if state:
            self.active = set(state.get("active", []))
            self._best_classes = float(state.get("best_classes", 0.0))


def build_health(
    settings: Any, judge_loader: Any = None, resolve: Any = None
) -> HealthMonitor | None:
    """The monitor the engine settings ask for (``alarms``, ``judge``), or None.

    ``judge_loader(name) -> judge`` resolves the ``judge`` setting (the built-in
    ``digits``, or a classifier run's folder, loaded through ``resolve``, the plugin
    manager's ``resolve_run``); ``studio.core.judge.load_judge`` by default.
    """
    name = str(getattr(settings, "judge", "") or "").strip()
    alarms = bool(getattr(settings, "alarms", True))
    if not name and not alarms:
        return None
    judge = None
    if name:
        if judge_loader is None:
            import functools

            from studio.core.judge import load_judge

            judge_loader = functools.partial(load_judge, resolve=resolve)
        judge = judge_loader(name)
    return HealthMonitor(judge=judge, alarms=alarms)


def health_alarms(run: Any) -> list[Alarm]:
    """The alarms a run recorded (its events.log lines: ``<time> WARNING <message>``)."""
    found = []
    for line in run.events().splitlines():
        parts = line.split(" ", 2)
        alarm = parse_alarm(parts[2]) if len(parts) == 3 and parts[1] == "WARNING" else None
        if alarm is not None:
            found.append(alarm)
    return found


def health_report(run_path: Any) -> dict[str, Any]:
    """What ``genai-studio-cli runs --health RUN_DIR`` prints: the run's state, its last
    sample and validation figures (the judge's among them), and its alarms."""
    from studio.core.rundir import RunDir, RunDirError

    run = RunDir(run_path)
    if not run.is_run():
        raise RunDirError(f"{run_path} holds no run (no config.json)")
    rows = run.read_metrics()
    latest: dict[str, tuple[int, float]] = {}
    for row in rows:
        for k, v in row.items():
            if k.startswith(("sample/", "val/")) and _finite(v):
                latest[k] = (int(row.get("step", 0)), float(v))
    alarms = [{"step": a.step, "alarm": a.name, "text": a.text} for a in health_alarms(run)]
    status = run.status()
    return {
        "run": str(run.path),
        "state": run.live_state(),
        "step": status.get("step", 0),
        "message": status.get("message", ""),
        "figures": {k: {"step": s, "value": v} for k, (s, v) in sorted(latest.items())},
        "alarms": alarms,
    }


def format_health(report: dict[str, Any]) -> str:
    """The report as lines for a terminal."""
    lines = [f"{report['run']}: {report['state']} at step {report['step']:,}"]
    if report["message"]:
        lines.append(f"  {report['message']}")
    lines.append("figures (latest):" if report["figures"] else "figures: none logged")
    for name, f in report["figures"].items():
        lines.append(f"  {name:<34} {f['value']:>12.5g}  (step {f['step']:,})")
    if not report["alarms"]:
        lines.append("alarms: none")
    for a in report["alarms"]:
        lines.append(f"alarm at step {a['step']:,} ({TITLES[a['alarm']]}): {a['text']}")
    return "\n".join(lines)
