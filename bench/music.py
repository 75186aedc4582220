"""MuseGAN and the music Transformer through the app's engine.

MuseGAN (quick CPU preset, or ``--musegan-preset book``) on the JSB chorales:

- bars/s: 4-track bars trained per second (batch x 2 bars per step), through the
  engine and in a bare PyTorch loop of the same networks, optimizers and step,
  interleaved in rounds; ``engine_vs_bare`` is the ratio of medians (target >= 0.97);
- the in-key share (against the key of the data) of 500 generated pieces after
  ``--musegan-steps`` steps, over ``--seeds`` seeds (mean and spread), beside the
  data's and random notes'.

Music Transformer (quick CPU preset, or ``--transformer-preset book`` on a GPU with
``--device cuda --precision bf16``):

- training tokens/s through the engine;
- generating 1,000 events with the key/value cache and without it (the book re-runs
  the whole prefix for each event): events/s and the speed-up (target >= 5x);
- validation loss against the unigram entropy of the events.

Prints JSON last.

    python bench/music.py                          # CPU, short
    python bench/music.py --device cuda --precision bf16 --transformer-preset book \
        --transformer-seconds 120                  # the issue's GPU check
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import types
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402

try:
    import studio_plugins  # noqa: F401
except ImportError:  # a bare checkout: map plugins/ by hand
    _pkg = types.ModuleType("studio_plugins")
    _pkg.__path__ = [str(ROOT / "plugins")]
    sys.modules["studio_plugins"] = _pkg

from studio import api  # noqa: E402
from studio.core import config as cfg  # noqa: E402
from studio.core.engine import EngineListener  # noqa: E402
from studio.core.session import ModelSource, TrainSettings, create_engine  # noqa: E402
from studio.core.settings import split_settings  # noqa: E402
from studio_plugins import music  # noqa: E402
from studio_plugins.music import chorales, metrics  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "Jsb16thSeparated.json"


def source(model_id: str) -> ModelSource:
    spec = next(s for s in music.studio_models() if s.id == model_id)
    return ModelSource(spec, "music", music.__version__)


def jsb() -> api.DatasetSpec:
    from studio_plugins.readers.music import load_chorales

    return api.DatasetSpec("jsb", "JSB chorales", "", "music-chorales", lambda: load_chorales(DATA))


def _use_data(path: Path) -> None:
    global DATA
    DATA = path


class Clock(EngineListener):
    def __init__(self, sync, t_from: int, t_to: int, seconds: float = 0.0) -> None:
        self.sync, self.t_from, self.t_to, self.seconds = sync, t_from, t_to, seconds
        self.times: dict[int, float] = {}
        self.val: dict[int, dict] = {}
        self.start = time.perf_counter()
        self.engine = None
        self.last = 0

    def on_metrics(self, row) -> None:
        self.last = row["step"]
        if row["step"] in (self.t_from, self.t_to):
            self.sync()
            self.times[row["step"]] = time.perf_counter()
        if "val/loss" in row:
            self.val[row["step"]] = {k: v for k, v in row.items() if k.startswith("val/")}
        if self.seconds and time.perf_counter() - self.start > self.seconds:
            self.engine.stop()


def config_of(model_id: str, preset: str, extra: dict | None = None):
    spec = source(model_id).spec
    values, engine = split_settings(spec.presets[preset])
    return cfg.build(spec.config_class, values, extra or {}), engine


def run_engine(args, model_id, config, steps, clock, seed, validate_every=0):
    settings = TrainSettings(
        steps=steps,
        seed=seed,
        device=args.device,
        precision=args.precision,
        sample_every=0,
        checkpoint_every=0,
        validate_every=validate_every,
    )
    path = Path(tempfile.mkdtemp(prefix="music-bench-")) / "run"
    engine = create_engine(source(model_id), jsb(), config, settings, path, clock)
    clock.engine = engine
    engine.run()
    return engine, path


def musegan_bare(trainer, warm: int, steps: int, seed: int, sync) -> float:
    """The same WGAN-GP step by hand on fresh networks of the trainer's shape."""
    from studio_plugins.music.musegan_network import MuseCritic, MuseGenerator, init_weights
    from studio_plugins.music.musegan_trainer import gradient_penalty

    c, dev = trainer.config, trainer.device
    torch.manual_seed(seed)
    gen = MuseGenerator(trainer.shape).to(dev).apply(init_weights)
    critic = MuseCritic(trainer.shape).to(dev).apply(init_weights)
    og = torch.optim.Adam(gen.parameters(), lr=c.lr, betas=(c.beta1, c.beta2))
    oc = torch.optim.Adam(critic.parameters(), lr=c.lr, betas=(c.beta1, c.beta2))
    data = trainer.dataset.train[0]
    g = torch.Generator().manual_seed(seed)

    def z(n):
        return trainer.noise(n)

    t0 = 0.0
    for i in range(warm + steps):
        if i == warm:
            sync()
            t0 = time.perf_counter()
        real = data[torch.randint(len(data), (c.batch_size,), generator=g)].to(dev).float()
        for _ in range(c.critic_steps):
            with torch.no_grad():
                fake = gen(*z(len(real)))
            loss = critic(fake).mean() - critic(real).mean()
            loss = loss + c.gp_weight * gradient_penalty(critic, real, fake)
            oc.zero_grad(set_to_none=True)
            loss.backward()
            oc.step()
        critic.requires_grad_(False)
        g_loss = -critic(gen(*z(len(real)))).mean()
        og.zero_grad(set_to_none=True)
        g_loss.backward()
        og.step()
        critic.requires_grad_(True)
        float(loss.detach()), float(g_loss.detach())
    sync()
    return steps / (time.perf_counter() - t0)


def bench_musegan(args, sync) -> dict:
    config, _ = config_of("musegan", args.musegan_preset, json.loads(args.musegan_config))
    warm, steps = 2, args.rate_steps
    engine_rates, bare_rates = [], []
    engine = None
    for r in range(args.rounds):
        # Engine first in even rounds, bare first in odd ones: a drift in the machine's
        # speed then falls on both sides.
        # (The bare loop borrows the shape, data and noise of the last engine's trainer.)
        if r % 2:
            bare_rates.append(musegan_bare(engine.trainer, warm, steps, r, sync))
        clock = Clock(sync, warm, warm + steps)
        engine, _ = run_engine(args, "musegan", config, warm + steps, clock, seed=r)
        engine_rates.append(steps / (clock.times[warm + steps] - clock.times[warm]))
        if not r % 2:
            bare_rates.append(musegan_bare(engine.trainer, warm, steps, r, sync))
    bars = config.batch_size * chorales.N_BARS
    shares, own = [], []
    trainer = None
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        clock = Clock(sync, -1, -1)
        engine, _ = run_engine(args, "musegan", config, args.musegan_steps, clock, seed=seed)
        trainer = engine.trainer
        ints = trainer.generate_ints(torch.Generator().manual_seed(1000 + seed), 500)
        shares.append(metrics.in_key_share(chorales.grid_of(ints), trainer.tonic))
        own.append(metrics.in_own_key_share(chorales.grid_of(ints)))
    random_share = metrics.in_key_share(chorales.grid_of(chorales.random_ints(500)), trainer.tonic)
    return {
        "preset": args.musegan_preset,
        "bars_per_s_engine": statistics.median(engine_rates) * bars,
        "bars_per_s_bare": statistics.median(bare_rates) * bars,
        "engine_vs_bare": statistics.median(engine_rates) / statistics.median(bare_rates),
        "steps": args.musegan_steps,
        "in_key_samples_mean": float(np.mean(shares)),
        "in_key_samples_spread": float(np.std(shares)),
        "in_key_samples": shares,
        "in_key_data": trainer.data_metrics["in_key"],
        "in_key_random": random_share,
        "key": metrics.key_name(trainer.tonic),
        "in_own_key_samples_mean": float(np.mean(own)),
        "in_own_key_samples_spread": float(np.std(own)),
        "in_own_key_data": metrics.in_own_key_share(chorales.grid_of(trainer.data_ints)),
        "in_own_key_random": metrics.in_own_key_share(chorales.grid_of(chorales.random_ints(500))),
    }


def bench_transformer(args, sync) -> dict:
    config, _ = config_of(
        "music-transformer", args.transformer_preset, json.loads(args.transformer_config)
    )
    warm, steps = 3, args.transformer_steps
    clock = Clock(sync, warm, warm + steps, args.transformer_seconds)
    engine, _ = run_engine(
        args, "music-transformer", config, warm + steps, clock, 0, validate_every=warm + steps
    )
    trainer = engine.trainer
    end = max(t for t in clock.times) if clock.times else None
    if end is not None and end > warm:
        rate = (end - warm) / (clock.times[end] - clock.times[warm])
    else:  # stopped by --transformer-seconds before the end: the whole run
        rate = clock.last / (time.perf_counter() - clock.start)
    tokens_per_s = rate * config.batch_size * config.block_size
    val = trainer.validate()
    out = {
        "preset": args.transformer_preset,
        "train_tokens_per_s": tokens_per_s,
        "steps": clock.last,
        "val_loss": val["loss"],
        "val_perplexity": val["perplexity"],
        "unigram_entropy": val["unigram_entropy"],
    }
    # Generation speed on a model of the trained width with a context that holds all
    # the events (the book's 2,048): past its context the GPT re-runs the last window
    # without a cache (learned positions), so a short context hides the cache's gain.
    # The weights do not matter for speed; EOS is not allowed to end the piece early.
    shape = trainer.model.shape
    block = max(args.events + 1, shape.block_size, 2048)
    gen_model = api.GPT(api.GPTShape(**{**shape.__dict__, "block_size": block}))
    trainer.model, trained = gen_model.to(trainer.device), trainer.model
    trainer.config.block_size = block
    for cache in (True, False):
        g = torch.Generator().manual_seed(0)
        sync()
        t = time.perf_counter()
        *_, ids = trainer.generate(g, [], args.events, cache=cache, stop_at_eos=False)
        sync()
        name = "cache" if cache else "no_cache"
        out[f"generate_events_per_s_{name}"] = len(ids) / (time.perf_counter() - t)
        out[f"generated_events_{name}"] = len(ids)
    trainer.model = trained
    out["cache_speedup"] = (
        out["generate_events_per_s_cache"] / out["generate_events_per_s_no_cache"]
    )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--precision", default="fp32", choices=("fp32", "bf16", "fp16"))
    ap.add_argument("--musegan-preset", default="quick CPU")
    ap.add_argument("--musegan-steps", type=int, default=100)
    ap.add_argument("--musegan-config", default="{}", help="JSON of config values to change")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--rate-steps", type=int, default=5)
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--first-seed", type=int, default=0, help="seeds from this one")
    ap.add_argument("--transformer-preset", default="quick CPU")
    ap.add_argument("--transformer-steps", type=int, default=100)
    ap.add_argument("--transformer-config", default="{}", help="JSON of config values")
    ap.add_argument("--transformer-seconds", type=float, default=0.0)
    ap.add_argument("--events", type=int, default=1000)
    ap.add_argument("--skip", choices=("musegan", "transformer"), action="append", default=[])
    ap.add_argument("--data", type=Path, default=DATA, help="the JSB chorales JSON")
    args = ap.parse_args()
    _use_data(args.data)
    if not DATA.is_file():
        sys.exit(f"{DATA} not found: the bench trains on the JSB chorales")
    cpu_threads = max(1, min(4, os.cpu_count() or 1))
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", 0)) or cpu_threads)
    dev = torch.device(args.device)

    def sync() -> None:
        if dev.type == "cuda":
            torch.cuda.synchronize()

    result: dict = {"device": args.device, "precision": args.precision}
    if "musegan" not in args.skip:
        result["musegan"] = bench_musegan(args, sync)
        print(json.dumps({"musegan": result["musegan"]}), file=sys.stderr, flush=True)
    if "transformer" not in args.skip:
        result["transformer"] = bench_transformer(args, sync)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
