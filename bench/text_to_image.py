"""Text-to-image and CLIP on the embedded digits: does the prompt steer the picture?

Trains ``text-to-image`` with its "quick CPU" preset (16x16 digits, cross-attention
at the two lower U-Net levels) for --steps, and ``clip`` with its "quick CPU" preset
for --clip-steps, through the app's engine, then for each guidance scale in
--guidance draws --per-digit images of each digit with DDIM (--sample-steps, eta 0)
from the prompts "a handwritten zero" ... "a handwritten nine" and reports:

- ``asked_digit``: the share the judge classifier (``studio.core.judge``, trained on
  the real digits) recognises as the digit asked for (its arg-max class); the issue's
  target: >= 0.8 at guidance 3, and well below at guidance 0 (about 0.1: the
  unconditional model draws any digit);
- ``asked_digit_confident``: the same with the judge's probability >= 0.9;
- ``clip_score``: 100 x the cosine similarity of image and prompt under the trained
  CLIP (exported and given to the text-to-image run as its ``clip`` file);
- ``seconds_per_image``: sampling time (both guidance branches in one batch).

And CLIP's held-out ``zero_shot_accuracy`` (each image picks one of the ten class
prompts; chance 0.1). Seed-dependent figures are run for each of --seeds and reported
as mean and spread. Prints JSON last.

``section(args)`` returns the same dictionary, for ``bench/diffusion.py`` to include.

GPU check (not run here: no GPU in this session):
``python bench/text_to_image.py --device cuda --steps 8000 --set image_size=32``.
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
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as the app sets it (studio/app.py)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def set_values(pairs: list[str]) -> dict[str, Any]:
    """``--set NAME=VALUE`` pairs as config values (JSON where it parses, else text)."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        try:
            out[key] = json.loads(value)  # numbers, true/false
        except json.JSONDecodeError:
            out[key] = value  # text, as "32,64,64"
    return out


def _spread(values: list[float]) -> dict[str, float]:
    return {
        "mean": round(statistics.fmean(values), 4),
        "min": round(min(values), 4),
        "max": round(max(values), 4),
    }


def one_seed(args: argparse.Namespace, seed: int, folder: Path) -> dict[str, Any]:
    from studio.cli import main as cli
    from studio.testing import load_only, sample_run, train_run

    manager = load_only(["diffusion"])
    out: dict[str, Any] = {}
    clip_file = None
    if args.clip_steps:
        start = time.perf_counter()
        clip_run = train_run(
            "clip",
            args.clip_steps,
            path=folder / f"clip-{seed}",
            preset="quick CPU",
            manager=manager,
            seed=seed,
            device=args.device,
        )
        out["clip_train_seconds"] = time.perf_counter() - start
        out["clip_zero_shot_accuracy"] = sample_run(clip_run, manager=manager).metrics[
            "zero_shot_accuracy"
        ]
        clip_file = folder / f"clip-{seed}.safetensors"
        run_dir = str(clip_run.path)
        cli(
            [
                "export",
                "--run-dir",
                run_dir,
                "--format",
                "clip-safetensors",
                "--out",
                str(clip_file),
            ]
        )
    config = set_values(args.set)
    if clip_file is not None:
        config["clip"] = str(clip_file)
    start = time.perf_counter()
    run = train_run(
        "text-to-image",
        args.steps,
        path=folder / f"t2i-{seed}",
        preset="quick CPU",
        config=config,
        manager=manager,
        seed=seed,
        device=args.device,
    )
    out["train_seconds"] = time.perf_counter() - start
    out["train_images_per_s"] = args.steps * run.config.batch_size / out["train_seconds"]
    n = 10 * args.per_digit
    for guidance in args.guidance:
        start = time.perf_counter()
        sample = sample_run(
            run,
            seed=seed,
            n=n,
            options={"guidance": guidance, "steps": args.sample_steps, "sampler": "ddim"},
            manager=manager,
        )
        elapsed = time.perf_counter() - start
        for key in ("asked_digit", "asked_digit_confident", "clip_score"):
            if key in sample.metrics:
                out[f"g{guidance:g}_{key}"] = sample.metrics[key]
        out[f"g{guidance:g}_seconds_per_image"] = elapsed / n
    return out


def section(args: argparse.Namespace) -> dict[str, Any]:
    """The bench's figures: per-seed values summarised as mean, min and max."""
    import torch

    torch.set_num_threads(args.threads)
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-t2i-") as tmp:
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            runs.append(one_seed(args, seed, Path(tmp)))
            print(json.dumps({"seed": seed, **runs[-1]}), file=sys.stderr, flush=True)
    keys = sorted({k for r in runs for k in r})
    result: dict[str, Any] = {
        "model": "text-to-image",
        "preset": "quick CPU",
        "steps": args.steps,
        "clip_steps": args.clip_steps,
        "sample_steps": args.sample_steps,
        "images_per_guidance": 10 * args.per_digit,
        "seeds": args.seeds,
        "device": args.device,
        "set": set_values(args.set),
    }
    for key in keys:
        result[key] = _spread([r[key] for r in runs if key in r])
    g3 = result.get("g3_asked_digit")
    result["target_asked_digit_at_guidance_3"] = 0.8
    result["meets_target"] = bool(g3 and g3["mean"] >= 0.8)
    return result


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=4000, help="text-to-image training steps")
    p.add_argument("--clip-steps", type=int, default=600, help="CLIP training steps (0: none)")
    p.add_argument("--guidance", type=float, nargs="+", default=[0.0, 1.0, 3.0])
    p.add_argument("--sample-steps", type=int, default=50, help="DDIM steps")
    p.add_argument("--per-digit", type=int, default=10, help="images per digit and guidance")
    p.add_argument("--seeds", type=int, default=2)
    p.add_argument("--first-seed", type=int, default=0, help="seeds from this one")
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--set", action="append", default=[], help="a config value, NAME=VALUE")
    return p


def main(argv: list[str] | None = None) -> None:
    print(json.dumps(section(parser().parse_args(argv)), indent=1))


if __name__ == "__main__":
    main()
