"""Autoencoders and image-to-image models: the VAE's training throughput in the app's
engine against a bare PyTorch loop of the same step, and the quality of the VAE's
"quick CPU" preset on the embedded digits; then, when ``bench/image_to_image_cyclegan.py``
is present, CycleGAN's figures (its ``run(minutes, seed)``), merged under ``cyclegan``.

Throughput (``vae_images_per_s``, ``engine_vs_bare``): the quick CPU preset's VAE; the
engine and a bare loop (the same networks, optimizer, loss and batch, uint8 digits
indexed and scaled each step as the trainer does, the losses read back each step as
any loop that logs them does) alternate in rounds in the same process; the first
--warmup steps of each are not timed (the engine's steps are timed from its own
per-step metrics rows). Target: engine_vs_bare >= 0.97.

Quality, per seed, after --steps steps of the quick CPU preset through the engine:
``recon_error`` (per-pixel squared error of the 180 held-out digits' reconstructions,
pixels in [0, 1]) beside ``mean_image_error`` (that of the mean training image), and
``digit_rate``: the share of 500 prior samples (codes drawn from N(0, 1)) the shared
digit judge recognises confidently (``api.judge.score``'s ``digit_accuracy``; held-out
real digits: about 0.95). Seed-dependent figures as mean and spread over --seeds.

GPU check (not run on the development machine, which has no GPU):
``--device cuda --precision bf16``: the throughput at the book preset's networks
(``--book``: 256 x 256 colour, latent 100, batch 16).

``python bench/image_to_image.py --seconds 20 --steps 2000 --seeds 0 1 2``; JSON last.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from studio import api  # noqa: E402
from studio.core import config as cfg  # noqa: E402
from studio.core.engine import EngineListener  # noqa: E402
from studio.core.session import TrainSettings, create_engine  # noqa: E402
from studio.core.settings import split_settings  # noqa: E402
from studio.plugins import load_plugins  # noqa: E402
from studio.testing import sample_run, train_run  # noqa: E402
from studio_plugins.autoencoders.vae_network import VAE, kl_to_standard_normal  # noqa: E402


def preset_config(plugins, name: str, **overrides):
    spec = plugins.models["vae"]
    values, _ = split_settings(spec.presets[name])
    return cfg.build(spec.config_class, {**values, **overrides})


def bare_loop(
    images: torch.Tensor, config, device: torch.device, precision: str, steps: int, warmup: int
) -> float:
    """The VAE step written by hand for ``warmup`` + ``steps`` steps; timed images/s."""
    torch.manual_seed(0)
    shape = (config.channels, config.image_size, config.image_size)
    model = VAE(shape, config.latent_dim, config.hidden, config.width).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    dtype = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}[precision]
    scaler = torch.amp.GradScaler(device.type) if precision == "fp16" else None
    bs = config.batch_size
    done, t0 = 0, 0.0
    while done < warmup + steps:
        perm = torch.randperm(len(images))
        for i in range(len(images) // bs):
            if done == warmup:
                if device.type == "cuda":
                    torch.cuda.synchronize()
                t0 = time.perf_counter()
            x = (images[perm[i * bs : (i + 1) * bs]].to(device).float() + 1) / 2
            with torch.autocast(device.type, dtype=dtype, enabled=dtype is not None):
                mu, log_std, _, logits = model(x)
            logits = logits.float()
            if config.reconstruction == "bce":
                recon = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
            else:
                recon = ((torch.sigmoid(logits) - x) ** 2).sum()
            kl = kl_to_standard_normal(mu.float(), log_std.float()).sum()
            loss = recon + config.beta * kl
            opt.zero_grad(set_to_none=True)
            if scaler is None:
                loss.backward()
                opt.step()
            else:
                scaler.scale(loss).backward()
                scaler.step(opt)
                scaler.update()
            (loss / bs).item(), (recon / bs).item(), (kl / bs).item()  # logged, as a loop does
            done += 1
            if done >= warmup + steps:
                break
    if device.type == "cuda":
        torch.cuda.synchronize()
    return steps * bs / (time.perf_counter() - t0)


class StepClock(EngineListener):
    """Times the engine's steps from its own metrics rows (one per step)."""

    def __init__(self, warmup: int) -> None:
        self.warmup, self.t0, self.t1, self.last = warmup, None, None, 0

    def on_metrics(self, row) -> None:
        if row["step"] == self.warmup:
            self.t0 = time.perf_counter()
        self.t1, self.last = time.perf_counter(), row["step"]


def engine_loop(plugins, root: Path, config, settings: TrainSettings, warmup: int) -> float:
    clock = StepClock(warmup)
    path = Path(tempfile.mkdtemp(dir=root)) / "run"
    source = plugins.model_source("vae")
    engine = create_engine(source, plugins.dataset("digits"), config, settings, path, clock)
    result = engine.run()
    assert result.state == "finished", result.message
    return (clock.last - warmup) * config.batch_size / (clock.t1 - clock.t0)


def throughput(plugins, root: Path, args, device: torch.device) -> dict:
    config = preset_config(plugins, "book" if args.book else "quick CPU")
    data = api.prepare_images(
        plugins.dataset("digits").loader(),
        config.image_size,
        config.channels,
        val_fraction=config.val_fraction,
    )
    images = data.train[0]
    rate = bare_loop(images, config, device, args.precision, 5, 3) / config.batch_size
    steps = max(20, int(rate * args.seconds / (2 * args.rounds)))
    rates: dict[str, list[float]] = {"bare": [], "engine": []}
    for r in range(args.rounds):
        settings = TrainSettings(
            steps=args.warmup + steps,
            seed=r,
            device=str(device),
            precision=args.precision,
            sample_every=0,
            checkpoint_every=0,
        )
        rates["bare"].append(bare_loop(images, config, device, args.precision, steps, args.warmup))
        rates["engine"].append(engine_loop(plugins, root, config, settings, args.warmup))
        print(
            f"round {r}: bare {rates['bare'][-1]:.1f}, engine {rates['engine'][-1]:.1f} img/s",
            flush=True,
        )
    med = {k: statistics.median(v) for k, v in rates.items()}
    return {
        "vae_images_per_s": round(med["engine"], 1),
        "bare_images_per_s": round(med["bare"], 1),
        "engine_vs_bare": round(med["engine"] / med["bare"], 3),
        "preset": "book" if args.book else "quick CPU",
        "timed_steps_per_round": steps,
        "rates": {k: [round(x, 1) for x in v] for k, v in rates.items()},
    }


def quality(plugins, root: Path, args) -> dict:
    judge = api.judge.digit_judge().model
    per_seed = []
    for seed in args.seeds:
        t0 = time.perf_counter()
        run = train_run(
            "vae",
            args.steps,
            path=root / f"vae-{seed}",
            preset="quick CPU",
            manager=plugins,
            seed=seed,
        )
        pairs = sample_run(run, 0, {"show": "reconstruct", "items": 1024}, manager=plugins)
        rates = []
        for s in range(3):
            prior = sample_run(run, 100 + s, {"show": "prior", "items": 500}, manager=plugins)
            images = api.judge.images_from_uint8(prior.images)
            rates.append(api.judge.score(judge, images)["digit_accuracy"])
        row = {
            "seed": seed,
            "recon_error": round(pairs.metrics["recon_error"], 5),
            "mean_image_error": round(pairs.metrics["mean_image_error"], 5),
            "digit_rate": round(statistics.mean(rates), 3),
            "train_seconds": round(time.perf_counter() - t0, 1),
        }
        print(f"seed {seed}: {row}", flush=True)
        per_seed.append(row)

    def spread(key: str) -> dict:
        values = [r[key] for r in per_seed]
        sd = statistics.stdev(values) if len(values) > 1 else 0.0
        return {"mean": round(statistics.mean(values), 4), "sd": round(sd, 4)}

    return {
        "vae_steps": args.steps,
        "vae_recon_error": spread("recon_error"),
        "vae_mean_image_error": spread("mean_image_error"),
        "vae_digit_rate": spread("digit_rate"),
        "per_seed": per_seed,
    }


def cyclegan(minutes: float, seed: int) -> dict | None:
    path = ROOT / "bench" / "image_to_image_cyclegan.py"
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location("image_to_image_cyclegan", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.run(minutes, seed)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--precision", default="fp32", choices=["fp32", "bf16", "fp16"])
    ap.add_argument("--book", action="store_true", help="throughput at the book preset")
    ap.add_argument("--seconds", type=float, default=30, help="time budget of the throughput")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=5, help="untimed steps per loop")
    ap.add_argument("--steps", type=int, default=2000, help="quick CPU preset steps per seed")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's choice)")
    ap.add_argument(
        "--cyclegan-minutes", type=float, default=6.0, help="CycleGAN's budget (0: skip it)"
    )
    ap.add_argument("--skip-quality", action="store_true")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    plugins = load_plugins()
    out: dict = {
        "device": str(device),
        "precision": args.precision,
        "threads": torch.get_num_threads(),
    }
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        out.update(throughput(plugins, root, args, device))
        if not args.skip_quality:
            out.update(quality(plugins, root, args))
    if args.cyclegan_minutes > 0:
        figures = cyclegan(args.cyclegan_minutes, args.seeds[0])
        if figures is not None:
            out["cyclegan"] = figures
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
