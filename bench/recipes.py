"""The book's recipes through the app's engine, beside what the book printed.

- ``ch08-lstm`` on Anna Karenina (``anna.txt``) and ``ch12-gpt`` on A Farewell to Arms
  (``farewell-to-arms.txt``) at their "book" settings for a fixed wall-clock budget
  each (``--minutes``): the training loss reached (mean of the last 50 steps), the
  validation loss at the end, tokens/s, and ``engine_vs_bare``: the engine against a
  bare PyTorch loop of the same model, batches, optimizer, clipping and schedule,
  interleaved in rounds so that machine noise hits both alike (ratio of medians).
- ``ch02-multiclass`` on the embedded digits (the stand-in for Fashion-MNIST) at its
  book settings with the book's early stop (patience 10 epochs on the validation
  loss): the held-out test accuracy and the epoch of the stop, over ``--seeds`` seeds,
  beside the book's 0.882 and epoch 19 (on Fashion-MNIST: other data, same recipe).

Prints JSON last. ``--device cuda`` runs the same on a GPU.

    python bench/recipes.py --minutes 2
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

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as the app sets it
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from studio import api  # noqa: E402
from studio.core import config as cfg  # noqa: E402
from studio.core import recipes  # noqa: E402
from studio.core.engine import EngineListener  # noqa: E402
from studio.core.session import create_engine  # noqa: E402
from studio.core.settings import EngineSettings, split_settings  # noqa: E402
from studio.plugins import load_plugins  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
TEXTS = {"ch08-lstm": "anna.txt", "ch12-gpt": "farewell-to-arms.txt"}


class Watch(EngineListener):
    """Keeps the loss per step and the step times; stops the engine after ``seconds``."""

    def __init__(self, seconds: float = 0.0) -> None:
        self.engine = None
        self.seconds = seconds
        self.losses: list[float] = []
        self.val: dict[int, float] = {}
        self.times: dict[int, float] = {}
        self.start = time.perf_counter()

    def on_metrics(self, row) -> None:
        step = row["step"]
        self.times[step] = time.perf_counter()
        if isinstance(row.get("loss"), float):
            self.losses.append(row["loss"])
        if "val/loss" in row:
            self.val[step] = row["val/loss"]
        if self.seconds and time.perf_counter() - self.start > self.seconds and self.engine:
            self.engine.stop()


def text_dataset(path: Path) -> api.DatasetSpec:
    def load() -> api.LoadedDataset:
        text = path.read_text(encoding="utf-8")
        return api.LoadedDataset(
            kind="text", train=api.TextCorpus(text), info={"text": text}, name=path.stem
        )

    return api.DatasetSpec(path.stem, path.name, "", "text", load)


def book_settings(manager, recipe: recipes.Recipe, **engine: object):
    spec = manager.models[recipe.model_id]
    values, settings = split_settings(spec.presets[recipe.preset()])
    config = cfg.build(spec.config_class, values)
    settings = {**settings, **engine}
    return spec, config, cfg.build(EngineSettings, settings)


def run_engine(manager, recipe, dataset, root: Path, seconds: float, steps, **engine):
    """Train the recipe's book settings (``steps``: None keeps the preset's)."""
    if steps is not None:
        engine["steps"] = steps
    spec, config, settings = book_settings(
        manager, recipe, sample_every=0, checkpoint_every=0, **engine
    )
    watch = Watch(seconds)
    path = Path(tempfile.mkdtemp(dir=root)) / "run"
    made = create_engine(manager.model_source(spec.id), dataset, config, settings, path, watch)
    watch.engine = made
    result = made.run()
    return made, watch, result


def bare_rate(trainer, steps: int, warm: int, sync) -> float:
    """The trainer's own model, windows, loss, optimizer and schedule, in a plain loop."""
    config = trainer.config
    params = [p for g in trainer.opt.param_groups for p in g["params"]]
    n_starts = len(trainer.train_ids) - trainer.context
    t0 = 0.0
    for i in range(warm + steps):
        if i == warm:
            sync()
            t0 = time.perf_counter()
        starts = torch.randint(n_starts, (config.batch_size,)).to(trainer.device)
        x, y = trainer.windows(trainer.train_ids, starts)
        loss = trainer.loss(x, y)
        trainer.opt.zero_grad(set_to_none=True)
        loss.backward()
        if config.grad_clip:
            torch.nn.utils.clip_grad_norm_(params, config.grad_clip)
        trainer.opt.step()
        trainer.sched.step()
        float(loss.detach())
    sync()
    return steps / (time.perf_counter() - t0)


def engine_rate(manager, recipe, dataset, root, steps: int, warm: int, device, sync) -> float:
    _, watch, _ = run_engine(manager, recipe, dataset, root, 0.0, warm + steps, device=device)
    sync()
    return steps / (watch.times[warm + steps] - watch.times[warm])


def text_recipe(manager, recipe_id: str, args, root: Path, sync) -> dict:
    recipe = recipes.recipe(recipe_id)
    path = DATA / TEXTS[recipe_id]
    if not path.is_file():
        return {"skipped": f"{path} not found"}
    dataset = text_dataset(path)
    _, config, _ = book_settings(manager, recipe)
    engine, watch, result = run_engine(
        manager, recipe, dataset, root, args.minutes * 60, 10**9, device=args.device
    )
    trainer = engine.trainer
    steps = len(watch.losses)
    val = trainer.validate()["loss"]
    tokens = steps * config.batch_size * trainer.context
    elapsed = max(watch.times.values()) - watch.start
    ratios = []
    for _ in range(args.rounds):
        e = engine_rate(manager, recipe, dataset, root, args.rate_steps, 5, args.device, sync)
        b = bare_rate(trainer, args.rate_steps, 5, sync)
        ratios.append(e / b)
    return {
        "model": recipe.model_id,
        "vocab": trainer.tokenizer.vocab_size,
        "steps": steps,
        "seconds": round(elapsed, 1),
        "loss_first": round(watch.losses[0], 3),
        "loss_last50": round(statistics.mean(watch.losses[-50:]), 3),
        "val_loss": round(val, 3),
        "tokens_per_s": round(tokens / elapsed),
        "engine_vs_bare": round(statistics.median(ratios), 3),
        "engine_vs_bare_rounds": [round(r, 3) for r in ratios],
        "state": result.state,
    }


def classifier_recipe(manager, args, root: Path) -> dict:
    recipe = recipes.recipe("ch02-multiclass")
    if recipe.model_id not in manager.models:
        return {"skipped": "the classifier plugin is not installed"}
    spec = manager.models[recipe.model_id]
    accuracies, stops, seconds = [], [], []
    for seed in range(args.seeds):
        t0 = time.perf_counter()
        engine, watch, _ = run_engine(
            manager, recipe, manager.dataset("digits"), root, 0.0, None,
            device=args.device, seed=seed,
        )  # fmt: skip
        seconds.append(time.perf_counter() - t0)
        epoch = spec.presets[recipe.preset()].get("validate_every") or 1
        stops.append(max(watch.val) // epoch)
        trainer = engine.trainer
        for module in trainer.modules().values():
            module.eval()
        # the test part, never seen in training or early stopping (the best weights)
        accuracies.append(trainer.sample(torch.Generator(), 0).metrics["accuracy"])
    final = recipe.book_final()
    return {
        "test_accuracy_mean": round(statistics.mean(accuracies), 4),
        "test_accuracy_spread": round(max(accuracies) - min(accuracies), 4),
        "stop_epoch_mean": statistics.mean(stops),
        "stop_epochs": stops,
        "seconds_mean": round(statistics.mean(seconds), 1),
        "book_test_accuracy": round(final["test_accuracy"], 4),
        "book_stop_epoch": final["early_stop_epoch"],
        "data": "embedded digits (the book: Fashion-MNIST)",
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=5.0, help="budget of each text recipe")
    ap.add_argument("--rounds", type=int, default=3, help="engine/bare throughput rounds")
    ap.add_argument("--rate-steps", type=int, default=30, help="timed steps per round")
    ap.add_argument("--seeds", type=int, default=3, help="seeds of the chapter 2 recipe")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--only", choices=["ch08-lstm", "ch12-gpt", "ch02-multiclass"])
    args = ap.parse_args()
    device = torch.device(args.device)

    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    manager = load_plugins()
    out: dict = {"device": args.device, "minutes": args.minutes}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for rid in ("ch08-lstm", "ch12-gpt"):
            if args.only in (None, rid):
                out[rid] = text_recipe(manager, rid, args, root, sync)
                print(rid, out[rid], file=sys.stderr, flush=True)
        if args.only in (None, "ch02-multiclass"):
            out["ch02-multiclass"] = classifier_recipe(manager, args, root)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
