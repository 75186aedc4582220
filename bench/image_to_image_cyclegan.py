"""CycleGAN: training throughput in the app's engine against a bare PyTorch loop of the
same step, and how well the "quick CPU" preset translates the embedded digit domains
(``studio_plugins.cyclegan.domains``: A white on black, B dark on striped paper).

Throughput: the quick CPU preset's networks (or --preset's), the engine and a bare
loop alternating in rounds in the same process. The bare loop is the same step written
by hand (same networks, optimizers, image pools, batch, precision; uint8 images indexed
on the CPU, converted and moved to the device each step, as the trainer does; losses
read back every step, as any loop that logs them does). The first --warmup steps of
each are not timed (the engine's steps are timed from its own per-step metrics, so its
start-up and final checkpoint are excluded too). ``images_per_s`` counts images of
each domain (a step of batch 8 translates 8 A images and 8 B images).

Quality (``studio_plugins.cyclegan.measure``, on the 180 held-out digits):
``target_rate`` is the share of translations a domain classifier (trained on the real
images of both domains) puts in the target domain, ``class_kept`` the share whose
digit the shared digit judge still reads as the source's; both given as the worse of
the two directions (``_min``) and per direction. Targets: >= 0.8 each after the
preset; engine_vs_bare >= 0.97.

``run(minutes, seed) -> dict`` is what ``bench/image_to_image.py`` calls: about a
fifth of the budget for throughput, the rest for the preset's training (cut short,
and said so in ``steps_trained``, if the preset does not fit).

Alone: ``python bench/image_to_image_cyclegan.py --minutes 6 --seeds 0 1 2`` prints
JSON last (seed-dependent figures as mean and spread over the seeds).
GPU check (the issue's): ``--gpu-check --device cuda``: the book preset (256x256
colour, batch 1, 9 blocks, fp16 mixed precision) for --seconds (60), engine and bare
loop: images/s and engine_vs_bare.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
if "torch" not in sys.modules:  # as the app's entry points do, before torch loads
    from studio.core.threads import configure

    configure()

import torch
import torch.nn.functional as F

from studio import api
from studio.core import config as cfg
from studio.core.engine import EngineListener
from studio.core.session import RunSampler, TrainSettings, create_engine
from studio.core.settings import split_settings
from studio.core.threads import choose_threads
from studio.testing import load_only
from studio_plugins.cyclegan import domains, measure
from studio_plugins.cyclegan.discriminator import PatchDiscriminator
from studio_plugins.cyclegan.generator import ResnetGenerator
from studio_plugins.cyclegan.pool import ImagePool
from studio_plugins.cyclegan.weights import initialise

MODEL, DATASET = "cyclegan", "digit-domains"


def amp_dtype(precision: str) -> torch.dtype | None:
    return {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}[precision]


def preset(manager, name: str, **overrides) -> tuple[object, dict]:
    """(config, engine settings) of a preset of the model."""
    spec = manager.models[MODEL]
    values, engine = split_settings({**spec.presets[name], **overrides})
    return cfg.build(spec.config_class, values), engine


def bare_loop(config, device: torch.device, precision: str, steps: int, warmup: int) -> float:
    """The CycleGAN step written by hand for ``warmup`` + ``steps`` steps; images/s."""
    torch.manual_seed(0)
    data = domains.load_digit_domains()
    a_images, b_images = data.train[0], data.info["domain_b"][0]
    c, size = config.channels, config.image_size

    def prepare(raw: torch.Tensor) -> torch.Tensor:
        x = raw.float() / 255
        if x.shape[-1] != size:
            x = F.interpolate(x, size=(size, size), mode="bilinear", antialias=True)
        return (x.expand(-1, c, -1, -1) * 2 - 1).to(device, non_blocking=True)

    def net(module: torch.nn.Module) -> torch.nn.Module:
        return initialise(module, config.init).to(device)

    g_ab, g_ba = (net(ResnetGenerator(c, config.ngf, config.blocks)) for _ in range(2))
    d_a, d_b = (net(PatchDiscriminator(c, config.ndf, config.sigmoid)) for _ in range(2))
    betas = (config.beta1, config.beta2)
    gens = itertools.chain(g_ab.parameters(), g_ba.parameters())
    opt_g = torch.optim.Adam(gens, lr=config.lr, betas=betas)
    discs = itertools.chain(d_a.parameters(), d_b.parameters())
    opt_d = torch.optim.Adam(discs, lr=config.lr, betas=betas)
    pool_a, pool_b = ImagePool(config.pool_size), ImagePool(config.pool_size)
    dtype = amp_dtype(precision)
    scaler = torch.amp.GradScaler(device.type) if precision == "fp16" else None
    w, idt = config.cycle_weight, config.identity

    def autocast():
        return torch.autocast(device.type, dtype=dtype, enabled=dtype is not None)

    def mse(scores: torch.Tensor, target: float) -> torch.Tensor:
        scores = scores.float()
        return F.mse_loss(scores, torch.full_like(scores, target))

    def step(loss: torch.Tensor, opt: torch.optim.Optimizer) -> None:
        opt.zero_grad(set_to_none=True)
        if scaler is None:
            loss.backward()
            opt.step()
        else:
            scaler.scale(loss).backward()
            scaler.step(opt)

    bs, n = config.batch_size, max(len(a_images), len(b_images))
    done, t0 = 0, 0.0
    while done < warmup + steps:
        perm = torch.randperm(n)
        for i in range(n // bs):
            if done == warmup:
                if device.type == "cuda":
                    torch.cuda.synchronize()
                t0 = time.perf_counter()
            idx = perm[i * bs : (i + 1) * bs]
            real_a = prepare(a_images[idx % len(a_images)])
            real_b = prepare(b_images[torch.randint(len(b_images), (bs,))])
            for d in (d_a, d_b):
                d.requires_grad_(False)
            with autocast():
                fake_b, fake_a = g_ab(real_a), g_ba(real_b)
                g_loss = mse(d_b(fake_b), 1.0) + mse(d_a(fake_a), 1.0)
                cycle_a = F.l1_loss(g_ba(fake_b).float(), real_a)
                g_loss = g_loss + w * (cycle_a + F.l1_loss(g_ab(fake_a).float(), real_b))
                if idt > 0:
                    g_loss = g_loss + idt * w * (
                        F.l1_loss(g_ab(real_b).float(), real_b)
                        + F.l1_loss(g_ba(real_a).float(), real_a)
                    )
            step(g_loss, opt_g)
            for d in (d_a, d_b):
                d.requires_grad_(True)
            with autocast():
                shown_a, shown_b = pool_a.query(fake_a), pool_b.query(fake_b)
                d_loss = 0.5 * (mse(d_a(real_a), 1.0) + mse(d_a(shown_a), 0.0)) + 0.5 * (
                    mse(d_b(real_b), 1.0) + mse(d_b(shown_b), 0.0)
                )
            step(d_loss, opt_d)
            if scaler is not None:
                scaler.update()
            g_loss.item(), d_loss.item()  # a real loop logs its losses
            done += 1
            if done >= warmup + steps:
                break
    if device.type == "cuda":
        torch.cuda.synchronize()
    return steps * bs / (time.perf_counter() - t0)


class StepClock(EngineListener):
    """Times the engine's steps from its own metrics rows (one per step)."""

    def __init__(self, warmup: int) -> None:
        self.warmup = warmup
        self.t0: float | None = None
        self.t1: float | None = None
        self.last = 0

    def on_metrics(self, row) -> None:
        if row["step"] == self.warmup:
            self.t0 = time.perf_counter()
        self.t1, self.last = time.perf_counter(), row["step"]


def train(manager, root: Path, config, settings: TrainSettings, listener=None):
    """A run of the engine; returns (run path, seconds)."""
    path = Path(tempfile.mkdtemp(dir=root)) / "run"
    source = manager.model_source(MODEL)
    t0 = time.perf_counter()
    engine = create_engine(source, manager.dataset(DATASET), config, settings, path, listener)
    result = engine.run()
    assert result.state == "finished", result.message
    return path, time.perf_counter() - t0


def throughput(
    manager, root: Path, config, device: str, precision: str, steps: int, warmup: int, rounds: int
) -> dict:
    """Engine and bare loop alternating for ``rounds`` rounds; the best of each."""
    engine, bare = [], []
    dev = torch.device(device)
    for _ in range(rounds):
        clock = StepClock(warmup)
        settings = TrainSettings(
            steps=warmup + steps,
            device=device,
            precision=precision,
            sample_every=0,
            checkpoint_every=0,
            checkpoint_minutes=0,
            seed=0,
        )
        train(manager, root, config, settings, clock)
        engine.append((clock.last - warmup) * config.batch_size / (clock.t1 - clock.t0))
        bare.append(bare_loop(config, dev, precision, steps, warmup))
    return {
        "images_per_s": round(max(engine), 2),
        "bare_images_per_s": round(max(bare), 2),
        "engine_vs_bare": round(max(engine) / max(bare), 3),
        "engine_rounds": [round(x, 2) for x in engine],
        "bare_rounds": [round(x, 2) for x in bare],
    }


def quality(manager, root: Path, seed: int, budget_s: float, step_s: float) -> dict:
    """The quick CPU preset trained (within ``budget_s``), then measured."""
    config, engine = preset(manager, "quick CPU")
    steps = int(engine["steps"])
    fits = max(20, int(budget_s / max(step_s, 1e-6)))
    trained = min(steps, fits)
    settings = TrainSettings(
        steps=trained, device="cpu", sample_every=0, checkpoint_every=0, seed=seed
    )
    path, seconds = train(manager, root, config, settings)
    trainer = RunSampler(path, manager.resolve_run).trainer()
    figures = measure.evaluate(trainer.translate, measure.domain_classifier(seed=seed))
    out = {k: round(v, 4) for k, v in figures.items()}
    out["target_rate_min"] = min(out["target_rate_ab"], out["target_rate_ba"])
    out["class_kept_min"] = min(out["class_kept_ab"], out["class_kept_ba"])
    out.update(steps_trained=trained, preset_steps=steps, train_seconds=round(seconds, 1))
    return out


def run(minutes: float, seed: int = 0) -> dict:
    """CycleGAN's figures within about ``minutes`` on the CPU (one seed). Torch runs on
    the threads the app would pick (the free cores), for the engine and the bare loop
    alike: on a busy machine a thread too many makes both several times slower."""
    threads, _ = choose_threads()
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        return {**_run(minutes, seed), "cyclegan_threads": threads}
    finally:
        torch.set_num_threads(before)


def _run(minutes: float, seed: int) -> dict:
    torch.manual_seed(seed)
    manager = load_only([MODEL])
    api.judge.digit_judge()  # trained once per process, outside the timed parts
    config, _ = preset(manager, "quick CPU")
    budget = minutes * 60
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        speed = throughput(manager, root, config, "cpu", "fp32", steps=12, warmup=3, rounds=3)
        spent = time.perf_counter() - t0
        step_s = config.batch_size / speed["images_per_s"]
        figures = quality(manager, root, seed, budget - spent - 30, step_s)
    return {"cyclegan_" + k: v for k, v in {**speed, **figures}.items()}


def gpu_check(device: str, seconds: float) -> dict:
    """The book preset (256x256 colour, batch 1, fp16) on ``device``: images/s."""
    manager = load_only([MODEL])
    config, engine = preset(manager, "book")
    precision = engine.get("precision", "fp16")
    with tempfile.TemporaryDirectory() as tmp:
        probe = bare_loop(config, torch.device(device), precision, steps=10, warmup=3)
        steps = max(20, int(seconds * probe / config.batch_size / 2))
        speed = throughput(manager, Path(tmp), config, device, precision, steps, 5, rounds=1)
    name = torch.cuda.get_device_name(device) if device.startswith("cuda") else device
    return {"gpu_check": {"device": name, "precision": precision, **speed}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=6.0, help="budget per seed")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--gpu-check", action="store_true", help="the book preset on --device")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    if args.gpu_check:
        print(json.dumps(gpu_check(args.device, args.seconds)))
        return
    runs = [run(args.minutes, seed) for seed in args.seeds]
    out = dict(runs[0]) if len(runs) == 1 else {"seeds": args.seeds, "per_seed": runs}
    if len(runs) > 1:
        for key in runs[0]:
            values = [r[key] for r in runs]
            if all(isinstance(v, (int, float)) for v in values):
                out[key] = round(statistics.mean(values), 4)
                out[key + "_spread"] = round(max(values) - min(values), 4)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
