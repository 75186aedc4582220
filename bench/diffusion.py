"""Diffusion: training throughput in the app's engine against a bare PyTorch loop and
against diffusers' UNet2DModel of the same size, then the quality and speed of each
sampler after a training with the "quick CPU" preset.

Throughput (--seconds, split over --rounds rounds, engine and bare loops alternating in
the same process): ``images_per_s`` of the engine, ``engine_vs_bare`` (target >=
0.97): the same step written by hand (the U-Net, AdamW, the loss, the EMA update, the
loss read back each step); ``ours_vs_diffusers`` (target >= 1.0): the bare loop with
our U-Net against the same loop with ``diffusers.UNet2DModel`` of the same widths,
blocks per level, attention levels and group norm.

Quality: the preset trains for --train-steps steps through the engine (default: the
preset's), then for each sampler (DDPM-1000, DDIM-50, DDIM-10, DPM-Solver++ 2M at 10
and 20 steps) --images images are drawn and judged by the shared digit judge
(``api.judge``): ``recognised`` (the share recognised with confidence >= 0.9; the
issue's target for DDIM-50 is >= 0.8), ``frechet`` (Frechet distance of the judge's
features to the real digits'; target: DPM-Solver++ 20 within 10% of DDIM-50's) and
``s_per_image``. Over --seeds training seeds: mean, min and max.

Prints JSON last. GPU check (the book preset at 64x64, bf16, two minutes):
``python bench/diffusion.py --device cuda --precision bf16 --book --seconds 120
--rounds 2 --train-steps 100 --images 64 --skip-ddpm`` (DDIM-50 s/image from the
quality part), as ``CHECKS=diffusion bash bench/gpu_check.sh`` runs it. ``--set
NAME=VALUE`` changes a preset value (the candidates of docs/diffusion.md).
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

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch
import torch.nn.functional as F
from text_to_image import set_values  # bench/, beside this script

from studio import api
from studio.core import config as cfg
from studio.core.engine import EngineListener
from studio.core.run_sampler import RunSampler
from studio.core.session import TrainSettings, create_engine
from studio.core.settings import split_settings
from studio.plugins import load_plugins
from studio_plugins.diffusion.diffusion_config import DiffusionConfig, DiffusionOptions
from studio_plugins.diffusion.diffusion_specs import BOOK, QUICK
from studio_plugins.diffusion.diffusion_trainer import build_unet
from studio_plugins.diffusion.ema import EMA
from studio_plugins.diffusion.schedules import make_schedule

SAMPLERS = [("ddpm", 1000), ("ddim", 50), ("ddim", 10), ("dpm++2m", 10), ("dpm++2m", 20)]


def amp(precision: str):
    return {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}[precision]


def diffusers_unet(config: DiffusionConfig) -> torch.nn.Module:
    """diffusers' UNet2DModel with our U-Net's widths, blocks and attention levels."""
    from diffusers import UNet2DModel

    widths = [int(c) for c in config.unet_channels.split(",")]
    attn = {int(a) for a in config.attention_levels.split(",")}
    down = tuple("AttnDownBlock2D" if i in attn else "DownBlock2D" for i in range(len(widths)))
    up = tuple(reversed([b.replace("Down", "Up") for b in down]))
    return UNet2DModel(
        sample_size=config.image_size,
        in_channels=config.channels,
        out_channels=config.channels,
        layers_per_block=config.layers,
        block_out_channels=tuple(widths),
        down_block_types=down,
        up_block_types=up,
        norm_num_groups=8,
        attention_head_dim=widths[-1] // config.heads,
    )


def bare_rate(net, config, images, device, precision, steps, warmup) -> float:
    """Our training step by hand (or diffusers' network in it): images/s after warm-up."""
    schedule = make_schedule(config.schedule, config.timesteps, config.prediction).to(device)
    opt = torch.optim.AdamW(
        net.parameters(), config.lr, (config.beta1, config.beta2), weight_decay=config.weight_decay
    )
    ema = EMA(net, config.ema_decay).to(device)
    dtype = amp(precision)
    bs = config.batch_size
    t0 = 0.0
    for i in range(warmup + steps):
        if i == warmup:
            if device.type == "cuda":
                torch.cuda.synchronize()
            t0 = time.perf_counter()
        x0 = images[torch.randint(0, len(images), (bs,))].to(device, non_blocking=True)
        t = torch.randint(0, schedule.steps, (bs,), device=device)
        noise = torch.randn_like(x0)
        with torch.autocast(device.type, dtype=dtype, enabled=dtype is not None):
            out = net(schedule.add_noise(x0, noise, t), t)
        out = getattr(out, "sample", out).float()
        loss = (F.l1_loss if config.loss == "l1" else F.mse_loss)(out, noise)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        ema.update(net)
        loss.item()
    return steps * bs / (time.perf_counter() - t0)


class Clock(EngineListener):
    def __init__(self, warmup: int) -> None:
        self.warmup, self.t0, self.t1, self.last = warmup, None, None, 0

    def on_metrics(self, row) -> None:
        if row["step"] == self.warmup:
            self.t0 = time.perf_counter()
        self.t1, self.last = time.perf_counter(), row["step"]


def engine_run(plugins, root, values, steps, device, precision, seed, listener=None):
    source = plugins.model_source("diffusion")
    config_values = split_settings(values)[0]
    config = cfg.build(source.spec.config_class, config_values)
    settings = TrainSettings(
        steps=steps,
        seed=seed,
        device=device,
        precision=precision,
        sample_every=0,
        checkpoint_every=0,
    )
    path = Path(tempfile.mkdtemp(dir=root)) / "run"
    result = create_engine(
        source, plugins.dataset("digits"), config, settings, path, listener
    ).run()
    assert result.state == "finished", result.message
    return path, config


def throughput(plugins, root, values, args, device) -> dict:
    config = cfg.build(DiffusionConfig, split_settings(values)[0])
    images = api.prepare_images(
        plugins.dataset("digits").loader(), config.image_size, config.channels
    )
    images = images.train[0]
    torch.manual_seed(0)
    probe = bare_rate(build_unet(config).to(device), config, images, device, args.precision, 3, 2)
    steps = max(10, int(probe / config.batch_size * args.seconds / (3 * args.rounds)))
    rates: dict[str, list[float]] = {"bare": [], "engine": [], "diffusers": []}
    for r in range(args.rounds):
        torch.manual_seed(r)
        net = build_unet(config).to(device)
        rates["bare"].append(
            bare_rate(net, config, images, device, args.precision, steps, args.warmup)
        )
        clock = Clock(args.warmup)
        engine_run(
            plugins, root, values, steps + args.warmup, str(device), args.precision, r, clock
        )
        rates["engine"].append(
            (clock.last - args.warmup) * config.batch_size / (clock.t1 - clock.t0)
        )
        torch.manual_seed(r)
        ref = diffusers_unet(config).to(device)
        rates["diffusers"].append(
            bare_rate(ref, config, images, device, args.precision, steps, args.warmup)
        )
        print({k: round(v[-1], 1) for k, v in rates.items()}, flush=True)
    med = {k: statistics.median(v) for k, v in rates.items()}
    params = sum(p.numel() for p in build_unet(config).parameters())
    ref_params = sum(p.numel() for p in diffusers_unet(config).parameters())
    return {
        "images_per_s": round(med["engine"], 1),
        "bare_images_per_s": round(med["bare"], 1),
        "engine_vs_bare": round(med["engine"] / med["bare"], 3),
        "diffusers_images_per_s": round(med["diffusers"], 1),
        "ours_vs_diffusers": round(med["bare"] / med["diffusers"], 3),
        "parameters": params,
        "diffusers_parameters": ref_params,
        "timed_steps_per_round": steps,
    }


def quality(plugins, root, values, args) -> dict:
    steps = args.train_steps or values.get("steps", 3000)
    per_seed: dict[str, list[dict]] = {}
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        t0 = time.perf_counter()
        path, _ = engine_run(plugins, root, values, steps, args.device, args.precision, seed)
        print(f"seed {seed}: trained {steps} steps in {time.perf_counter() - t0:.0f} s", flush=True)
        sampler = RunSampler(path, plugins.resolve_run, device=args.device)
        # The judge trains once per process: not inside the first sampler's time.
        api.judge.load_judge("digits", size=values.get("image_size", 32))
        for name, n_steps in SAMPLERS:
            if name == "ddpm" and args.skip_ddpm:
                continue
            opts = DiffusionOptions(sampler=name, steps=n_steps, images=args.images)
            t0 = time.perf_counter()
            sample = sampler.sample(seed=100 + seed, options=opts)
            elapsed = time.perf_counter() - t0
            key = f"{name}-{n_steps}"
            per_seed.setdefault(key, []).append(
                {**sample.metrics, "s_per_image": elapsed / args.images}
            )
            print(key, {k: round(v, 4) for k, v in per_seed[key][-1].items()}, flush=True)
    out = {}
    for key, rows in per_seed.items():
        out[key] = {}
        for metric in rows[0]:
            vals = [r[metric] for r in rows]
            out[key][metric] = round(statistics.mean(vals), 4)
            if len(vals) > 1:
                out[key][f"{metric}_min"] = round(min(vals), 4)
                out[key][f"{metric}_max"] = round(max(vals), 4)
    out["train_steps"] = steps
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="cpu")
    p.add_argument("--precision", default="fp32", choices=("fp32", "bf16", "fp16"))
    p.add_argument("--book", action="store_true", help="the book preset (a GPU's size)")
    p.add_argument("--seconds", type=float, default=60, help="throughput budget")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--train-steps", type=int, default=0, help="0: the preset's")
    p.add_argument("--images", type=int, default=200, help="images judged per sampler")
    p.add_argument("--seeds", type=int, default=1)
    p.add_argument("--first-seed", type=int, default=0, help="seeds from this one")
    p.add_argument("--skip-ddpm", action="store_true", help="leave out DDPM-1000 (slow)")
    p.add_argument("--skip-quality", action="store_true")
    p.add_argument("--skip-throughput", action="store_true")
    p.add_argument("--set", action="append", default=[], help="a config value, NAME=VALUE")
    args = p.parse_args()
    torch.set_num_threads(max(1, torch.get_num_threads()))
    plugins = load_plugins()
    values = dict(BOOK if args.book else QUICK)
    if args.book:
        values["channels"] = 1  # the digits (the judge reads greyscale)
    values.update(set_values(args.set))
    root = Path(tempfile.mkdtemp(prefix="bench-diffusion-"))
    device = torch.device(args.device)
    result = {"preset": "book" if args.book else "quick CPU", "device": args.device}
    if args.set:
        result["changed"] = args.set
    if not args.skip_throughput:
        result.update(throughput(plugins, root, values, args, device))
    if not args.skip_quality:
        result["samplers"] = quality(plugins, root, values, args)
        s = result["samplers"]
        if "ddim-50" in s and "dpm++2m-20" in s:
            result["dpm20_vs_ddim50_frechet"] = round(
                s["dpm++2m-20"]["frechet"] / max(s["ddim-50"]["frechet"], 1e-9), 3
            )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
