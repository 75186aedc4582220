"""The chapter 2 classifier and the health monitor's cost.

1. The book's multi-class recipe ("book": 784-256-128-64-10, Adam 1e-3,
   batches of 64, validation every epoch, early stopping with patience 10 and the best
   weights restored) on the embedded digits, over --seeds seeds: held-out (test split)
   accuracy, epochs to the early stop, the epoch of the best validation loss.
2. Throughput: the same network and data trained by the engine (settings as a run has
   them by default: alarms on, gradient norm every 10 steps; no previews, validation
   or checkpoints) against a bare PyTorch loop of the same steps, alternating in
   rounds: examples/s and engine_vs_bare (target >= 0.97).
3. The judge: its cost per scoring of 64 generated images (ms; recognition, classes,
   Frechet distance, precision/recall, diversity), and what that costs a DCGAN (the
   quick CPU preset's networks) at the default preview interval (sample_every = 100):
   estimated from the step time, and measured as DCGAN runs with and without
   ``judge=digits`` (target: under 2%).

Prints JSON last. GPU check (not run on a CPU-only machine):
``python bench/classifier.py --device cuda``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as the app sets it (studio/app.py)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch
import torch.nn.functional as F

from studio.core import config as cfg
from studio.core import judge
from studio.core.engine import EngineListener
from studio.core.rundir import RunDir
from studio.core.session import create_engine
from studio.core.settings import build_settings, split_settings
from studio.plugins import load_plugins
from studio_plugins.classifier import BOOK_MULTICLASS, DIGITS_EPOCH
from studio_plugins.classifier.mlp_network import MLPClassifier


class StepClock(EngineListener):
    """Times the engine's steps from its own metrics rows (one per step)."""

    def __init__(self, warmup: int) -> None:
        self.warmup, self.t0, self.t1, self.last = warmup, None, None, 0

    def on_metrics(self, row) -> None:
        if row["step"] == self.warmup:
            self.t0 = time.perf_counter()
        self.t1, self.last = time.perf_counter(), row["step"]


def engine(plugins, model, root, values, listener=None, **settings):
    source = plugins.model_source(model)
    config_values, engine_values = split_settings(values)
    config = cfg.build(source.spec.config_class, config_values)
    s = build_settings({"checkpoint_every": 0, "sample_every": 0}, engine_values, settings)
    path = Path(tempfile.mkdtemp(dir=root)) / "run"
    return create_engine(source, plugins.dataset("digits"), config, s, path, listener), path


def recipe(plugins, root, device, seeds: int) -> dict:
    runs = []
    for seed in range(seeds):
        eng, path = engine(plugins, "classifier", root, BOOK_MULTICLASS, device=device, seed=seed)
        result = eng.run()
        rows = [r for r in RunDir(path).read_metrics() if "val/loss" in r]
        best = min(rows, key=lambda r: r["val/loss"])
        report = eng.trainer.sample(torch.Generator().manual_seed(0))
        runs.append(
            {
                "held_out_accuracy": round(report.accuracy(), 4),
                "epochs_to_stop": result.step // DIGITS_EPOCH,
                "best_epoch": best["step"] // DIGITS_EPOCH,
                "stopped_early": "stopped early" in result.message,
            }
        )
        print(f"seed {seed}: {runs[-1]} ({result.message})", file=sys.stderr)
    acc = [r["held_out_accuracy"] for r in runs]
    return {
        "held_out_accuracy": round(statistics.fmean(acc), 4),
        "held_out_accuracy_min": min(acc),
        "held_out_accuracy_max": max(acc),
        "epochs_to_early_stop": statistics.fmean(r["epochs_to_stop"] for r in runs),
        "recipe_runs": runs,
    }


def bare_loop(images, labels, device, steps: int, warmup: int, batch: int = 64) -> float:
    """The book's training loop for the same net and data: examples/s after warmup."""
    torch.manual_seed(0)
    net = MLPClassifier(images[0].numel(), 10).to(device)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    done, t0 = 0, 0.0
    while done < warmup + steps:
        perm = torch.randperm(len(images))
        for i in range(0, len(images) - batch + 1, batch):
            if done == warmup:
                if device.type == "cuda":
                    torch.cuda.synchronize()
                t0 = time.perf_counter()
            idx = perm[i : i + batch]
            x, y = images[idx].to(device), labels[idx].to(device)
            loss = F.cross_entropy(net(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            loss.item()  # a real loop logs its loss
            done += 1
            if done >= warmup + steps:
                break
    return steps * batch / (time.perf_counter() - t0)


def throughput(plugins, root, device, rounds: int, steps: int, warmup: int = 20) -> dict:
    values = {k: v for k, v in BOOK_MULTICLASS.items() if not k.startswith(("stop_", "restore"))}
    values.update(validate_every=0, sample_every=0)
    rates: dict[str, list[float]] = {"bare": [], "engine": []}
    for r in range(rounds):
        clock = StepClock(warmup)
        eng, _ = engine(
            plugins, "classifier", root, values, clock, device=device, seed=r, steps=warmup + steps
        )
        images, labels = eng.trainer.dataset.train
        rates["bare"].append(bare_loop(images, labels, torch.device(eng.device), steps, warmup))
        eng.run()
        rates["engine"].append((clock.last - warmup) * 64 / (clock.t1 - clock.t0))
        bare, done = rates["bare"][-1], rates["engine"][-1]
        print(f"round {r}: bare {bare:.0f}, engine {done:.0f} examples/s", file=sys.stderr)
    med = {k: statistics.median(v) for k, v in rates.items()}
    return {
        "examples_per_s": round(med["engine"]),
        "bare_examples_per_s": round(med["bare"]),
        "engine_vs_bare": round(med["engine"] / med["bare"], 3),
        "rates": {k: [round(x) for x in v] for k, v in rates.items()},
    }


def judge_cost(plugins, root, device, steps: int, interval: int = 100) -> dict:
    health = judge.load_judge("digits")
    fake = torch.rand(64, 1, 32, 32) * 2 - 1
    health.score_images(fake)  # warm
    times = []
    for _ in range(10):
        t0 = time.perf_counter()
        health.score_images(fake)
        times.append(time.perf_counter() - t0)
    per_scoring_ms = statistics.median(times) * 1000
    # A DCGAN (the quick preset's networks) with and without the judge on its previews.
    spec = plugins.models["dcgan"]
    preset = {k: v for k, v in spec.presets["quick CPU"].items() if k not in ("steps",)}
    preset["sample_every"] = interval
    rates = {"with": [], "without": []}
    for r in range(2):
        for name, judge_name in (("without", ""), ("with", "digits")):
            clock = StepClock(10)
            eng, _ = engine(
                plugins, "dcgan", root, preset, clock, device=device, seed=r,
                steps=steps, judge=judge_name,
            )  # fmt: skip
            eng.run()
            rates[name].append((clock.last - 10) / (clock.t1 - clock.t0))
    step_ms = 1000 / statistics.median(rates["without"])
    measured = 1 - statistics.median(rates["with"]) / statistics.median(rates["without"])
    return {
        "judge_ms_per_64": round(per_scoring_ms, 1),
        "dcgan_step_ms": round(step_ms, 1),
        "judge_slowdown_estimated": round(per_scoring_ms / (interval * step_ms), 4),
        "judge_slowdown_measured": round(measured, 4),
        "judge_interval_steps": interval,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=600, help="timed steps per throughput round")
    ap.add_argument("--dcgan-steps", type=int, default=400, help="DCGAN steps per judge run")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    plugins = load_plugins()
    out = {"device": args.device, "torch_threads": torch.get_num_threads()}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        out.update(recipe(plugins, root, args.device, args.seeds))
        out.update(throughput(plugins, root, args.device, args.rounds, args.steps))
        out.update(judge_cost(plugins, root, args.device, args.dcgan_steps))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
