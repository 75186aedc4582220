"""nanoGPT's shakespeare_char recipes through the app's engine.

CPU recipe (nanoGPT's README): character-level tiny Shakespeare, 90/10 split; 4 layers,
4 heads, 128 wide, context 64, batch 12, dropout 0, no biases; AdamW lr 1e-3, betas
(0.9, 0.99), weight decay 0.1, gradient clip 1.0; 100 warm-up iterations, then cosine
decay to 1e-4 at iteration 2000; validation loss estimated on 20 random batches.
nanoGPT reports about 1.88 after 2000 iterations. Targets: val loss <= 1.89 at 2000,
engine_vs_bare >= 0.97.

GPU recipe (config/train_shakespeare_char.py): 6 layers, 6 heads, 384 wide, context
256, batch 64, dropout 0.2, bf16, 5000 iterations of decay; run for ``--seconds``
(default 120). Also prints tokens/s and the model-FLOPs utilisation:
(6N + 12 L H Q T) FLOPs per token x tokens/s / the GPU's dense bf16 peak.

Two measurements in one process:

1. the recipe through the engine (``create_engine`` + ``Engine.run``), validating every
   500 iterations: the validation losses and the wall time;
2. throughput, interleaved in rounds: the engine against a bare PyTorch loop of the same
   model, batch, optimizer, schedule and clipping (warm-up steps excluded), so that
   machine noise hits both alike. ``engine_vs_bare`` is the ratio of medians.

Prints JSON last: {"val_loss": {"500": ...}, "tokens_per_s", "engine_vs_bare",
"seconds", ...}.

    python bench/gpt_shakespeare.py                      # the CPU recipe, 2000 iterations
    python bench/gpt_shakespeare.py --iters 300          # shorter
    python bench/gpt_shakespeare.py --recipe gpu --device cuda --seconds 120
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import tempfile
import time
import types
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as the app sets it (studio/app.py)
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

try:  # installed (pip install -e .): plugins/ is the package studio_plugins
    import studio_plugins  # noqa: F401
except ImportError:  # a bare checkout (e.g. a GPU machine): map it by hand
    _pkg = types.ModuleType("studio_plugins")
    _pkg.__path__ = [str(ROOT / "plugins")]
    sys.modules["studio_plugins"] = _pkg

from studio import api  # noqa: E402
from studio.core import config as cfg  # noqa: E402
from studio.core.engine import EngineListener  # noqa: E402
from studio.core.session import ModelSource, TrainSettings, create_engine  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "tinyshakespeare.txt"

RECIPES = {
    "cpu": {
        "config": {
            "size": "custom",
            "n_layer": 4,
            "n_head": 4,
            "n_embd": 128,
            "block_size": 64,
            "batch_size": 12,
            "dropout": 0.0,
        },
        "iters": 2000,
        "precision": "fp32",
        "seconds": 0.0,
    },
    "gpu": {
        "config": {
            "size": "custom",
            "n_layer": 6,
            "n_head": 6,
            "n_embd": 384,
            "block_size": 256,
            "batch_size": 64,
            "dropout": 0.2,
            "decay_steps": 5000,
        },
        "iters": 5000,
        "precision": "bf16",
        "seconds": 120.0,
    },
}
COMMON = {
    "bias": False,
    "tokenizer": "char",
    "lr": 1e-3,
    "min_lr": 1e-4,
    "warmup_steps": 100,
    "decay_steps": 2000,
    "beta1": 0.9,
    "beta2": 0.99,
    "weight_decay": 0.1,
    "grad_clip": 1.0,
    "val_fraction": 0.1,
    "val_batches": 20,
}
# Dense bf16 peaks (FLOP/s) by GPU name.
PEAKS = {"H100": 989e12, "H200": 989e12, "A100": 312e12}


def gpt_source() -> ModelSource:
    from studio_plugins import text_gen

    spec = next(s for s in text_gen.studio_models() if s.id == "gpt")
    return ModelSource(spec, "text_gen", text_gen.__version__)


def shakespeare(path: Path) -> api.DatasetSpec:
    def load() -> api.LoadedDataset:
        text = path.read_text(encoding="utf-8")
        return api.LoadedDataset(
            kind="text", train=api.TextCorpus(text), info={"text": text}, name="tinyshakespeare"
        )

    return api.DatasetSpec("tinyshakespeare", "Tiny Shakespeare", "", "text", load)


class Clock(EngineListener):
    """Times the engine between two steps; stops it after ``seconds``; keeps val rows."""

    def __init__(self, engine_ref: list, sync, t_from: int, t_to: int, seconds: float = 0.0):
        self.engine_ref, self.sync = engine_ref, sync
        self.t_from, self.t_to, self.seconds = t_from, t_to, seconds
        self.times: dict[int, float] = {}
        self.val: dict[int, float] = {}
        self.start = time.perf_counter()

    def on_metrics(self, row) -> None:
        step = row["step"]
        if step in (self.t_from, self.t_to):
            self.sync()
            self.times[step] = time.perf_counter()
        if "val/loss" in row:
            self.val[step] = row["val/loss"]
        if self.seconds and time.perf_counter() - self.start > self.seconds:
            self.engine_ref[0].stop()


def make_engine(args, config, steps: int, root: Path, listener, validate_every: int, seed: int):
    settings = TrainSettings(
        steps=steps,
        seed=seed,
        device=args.device,
        precision=args.precision,
        sample_every=0,
        checkpoint_every=0,
        validate_every=validate_every,
    )
    path = Path(tempfile.mkdtemp(dir=root)) / "run"
    return create_engine(gpt_source(), shakespeare(args.data), config, settings, path, listener)


def engine_rate(args, config, root: Path, sync, warm: int, steps: int, seed: int) -> float:
    ref: list = []
    clock = Clock(ref, sync, warm, warm + steps)
    engine = make_engine(args, config, warm + steps, root, clock, 0, seed)
    ref.append(engine)
    engine.run()
    return steps / (clock.times[warm + steps] - clock.times[warm])


def bare_rate(trainer, config, sync, warm: int, steps: int, seed: int) -> float:
    """The same step written by hand: the trainer's token stream and window gather, a
    fresh model of the same shape, AdamW, the schedule, clipping, the loss read."""
    from studio.nn.gpt import GPT
    from studio_plugins.text_gen.trainer import adamw, scheduler

    device = trainer.device
    torch.manual_seed(seed)
    model = GPT(trainer.model.shape).to(device)
    forward = torch.compile(model) if config.compile else model
    opt = adamw(model, config, device)
    sched = scheduler(opt, config)
    params = [p for g in opt.param_groups for p in g["params"]]
    tokens, offsets = trainer.train_ids, trainer.offsets
    n_starts = len(tokens) - trainer.context
    g = torch.Generator().manual_seed(seed)
    amp = trainer.amp_dtype
    t0 = 0.0
    for i in range(warm + steps):
        if i == warm:
            sync()
            t0 = time.perf_counter()
        starts = torch.randint(n_starts, (config.batch_size,), generator=g).to(device)
        xy = tokens[starts[:, None] + offsets]
        x, y = xy[:, :-1], xy[:, 1:]
        with torch.autocast(device.type, dtype=amp, enabled=amp is not None):
            _, loss = forward(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, config.grad_clip)
        opt.step()
        sched.step()
        float(loss.detach())  # a real loop logs its loss (the engine reads it every step)
    sync()
    return steps / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--recipe", choices=sorted(RECIPES), default="cpu")
    ap.add_argument("--iters", type=int, help="iterations (default: the recipe's)")
    ap.add_argument("--device", default="auto", help="auto, cpu, cuda, ...")
    ap.add_argument("--precision", choices=("fp32", "bf16", "fp16"))
    ap.add_argument("--seconds", type=float, help="stop the recipe run after this long")
    ap.add_argument("--eval-every", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=5, help="engine/bare throughput rounds")
    ap.add_argument("--rate-steps", type=int, help="timed steps per throughput round")
    ap.add_argument("--seed", type=int, default=1337)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--compile", action="store_true", help="torch.compile (engine and bare)")
    args = ap.parse_args()
    recipe = RECIPES[args.recipe]
    if not args.data.is_file():
        sys.exit(f"{args.data} not found: the bench trains on tiny Shakespeare (--data)")
    iters = args.iters or recipe["iters"]
    args.precision = args.precision or recipe["precision"]
    seconds = recipe["seconds"] if args.seconds is None else args.seconds
    config = cfg.build(
        gpt_source().spec.config_class, COMMON, recipe["config"], {"compile": args.compile}
    )

    from studio.core.devices import resolve_device

    device = resolve_device(args.device)
    args.device = str(device)
    gpu_name = ""
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        gpu_name = torch.cuda.get_device_name(device)

    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        # 1. The recipe through the engine.
        ref: list = []
        clock = Clock(ref, sync, -1, -1, seconds)
        every = min(args.eval_every, iters)
        engine = make_engine(args, config, iters, root, clock, every, args.seed)
        ref.append(engine)
        t0 = time.perf_counter()
        result = engine.run()
        sync()
        run_seconds = time.perf_counter() - t0
        if result.step not in clock.val:  # stopped by --seconds: validate where it stopped
            clock.val[result.step] = engine._validate()["val/loss"]
        trainer = engine.trainer
        print(f"recipe run: {result.message}; val {clock.val}", file=sys.stderr, flush=True)

        # 2. Throughput, engine against bare, interleaved.
        step_s = run_seconds / max(1, result.step)
        rate_steps = args.rate_steps or max(50, min(500, int(8.0 / max(step_s, 1e-4))))
        warm = max(10, rate_steps // 10)
        rates: dict[str, list[float]] = {"bare": [], "engine": []}
        for r in range(args.rounds):
            # Alternate which goes first, so a drift in machine load favours neither.
            for kind in ("bare", "engine") if r % 2 == 0 else ("engine", "bare"):
                if kind == "bare":
                    rate = bare_rate(trainer, config, sync, warm, rate_steps, r)
                else:
                    rate = engine_rate(args, config, root, sync, warm, rate_steps, r)
                rates[kind].append(rate)
            print(
                f"round {r}: bare {rates['bare'][-1]:.2f} it/s, "
                f"engine {rates['engine'][-1]:.2f} it/s",
                file=sys.stderr,
                flush=True,
            )

    med = {k: statistics.median(v) for k, v in rates.items()}
    tokens_per_step = config.batch_size * trainer.context
    out: dict = {
        "recipe": args.recipe,
        "device": args.device,
        "gpu": gpu_name or None,
        "precision": args.precision,
        "compile": args.compile,
        "iters": result.step,
        "val_loss": {str(k): round(v, 4) for k, v in sorted(clock.val.items())},
        "tokens_per_s": round(med["engine"] * tokens_per_step, 1),
        "bare_tokens_per_s": round(med["bare"] * tokens_per_step, 1),
        "engine_vs_bare": round(med["engine"] / med["bare"], 3),
        "rounds": args.rounds,
        "rate_steps": rate_steps,
        "torch_threads": torch.get_num_threads(),
        "seconds": round(run_seconds, 1),
    }
    if device.type == "cuda":
        s = trainer.model.shape
        n = trainer.model.num_params()
        flops_per_token = 6 * n + 12 * s.n_layer * s.n_head * s.head_dim * trainer.context
        peak = next((v for k, v in PEAKS.items() if k in gpu_name), None)
        out["params"] = n
        out["flops_per_token"] = flops_per_token
        out["peak_flops"] = peak
        out["mfu"] = (
            round(flops_per_token * med["engine"] * tokens_per_step / peak, 4) if peak else None
        )
        out["mfu_recipe_run"] = (
            round(flops_per_token * result.step * tokens_per_step / run_seconds / peak, 4)
            if peak
            else None
        )
    print(json.dumps(out))
    if not math.isfinite(out["engine_vs_bare"]):
        sys.exit(1)


if __name__ == "__main__":
    main()
