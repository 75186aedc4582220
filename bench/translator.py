"""The translator on real sentences: eng-fra-18k (Tatoeba, 18,065 pairs), its 90/10
held-out split, against the classic design the Transformer replaced.

In one process, each for the same wall-clock budget (``--minutes``):

1. the Transformer (``--preset``: "bench CPU" below, or "book") through the app's
   engine, on the plugin's own tokenizers, split and length-sorted batches;
2. the baseline: a GRU encoder-decoder with additive (Bahdanau) attention, the design
   of PyTorch's seq2seq tutorial, written here, trained on the same batches (Adam,
   teacher forcing);

then BLEU and chrF (sacrebleu) of greedy translations of the same held-out sentences;
throughput, interleaved in rounds: the engine against a bare PyTorch loop of the same
model, batches and optimizer (``engine_vs_bare``, ratio of medians); and decoding
speed per sentence, greedy and beam 4, with and without the decoder's key/value cache,
on held-out sentences of typical length and the longest ones (the speedup by the
translation's length).

``--task numbers`` instead trains the plugin's "quick CPU" preset on the embedded
number words for the budget and reports held-out exact matches (target >= 0.9).

Targets: BLEU above the baseline's, engine_vs_bare >= 0.97, beam 4 with the cache at
least 3x faster per sentence than without. GPU check (not run on CPU machines):
``--device cuda --precision bf16 --preset book --minutes 2``.

Prints JSON last.
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

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as the app sets it
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
from torch import nn  # noqa: E402

try:  # installed: plugins/ is the package studio_plugins
    import studio_plugins  # noqa: F401
except ImportError:  # a bare checkout (a GPU machine): map it by hand
    _pkg = types.ModuleType("studio_plugins")
    _pkg.__path__ = [str(ROOT / "plugins")]
    sys.modules["studio_plugins"] = _pkg

from translator_baseline import train_baseline  # noqa: E402

from studio import api  # noqa: E402
from studio.core import config as cfg  # noqa: E402
from studio.core.engine import EngineListener  # noqa: E402
from studio.core.session import ModelSource, TrainSettings, create_engine  # noqa: E402
from studio.core.settings import split_settings  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "eng-fra-18k.tsv"
BENCH_CPU = {  # a Transformer that trains in minutes on two cores
    "encoder_layers": 2,
    "decoder_layers": 2,
    "d_model": 128,
    "heads": 4,
    "d_ff": 512,
    "dropout": 0.1,
    "batch_size": 64,
    "vocab_size": 2000,
    "warmup_steps": 400,
    "lr_factor": 1.0,
    "grad_clip": 1.0,
    "val_sentences": 300,
    "max_tokens": 40,
}


def translator_source() -> ModelSource:
    from studio_plugins import translator

    return ModelSource(translator.studio_models()[0], "translator", translator.__version__)


def tsv_dataset(path: Path) -> api.DatasetSpec:
    def load() -> api.LoadedDataset:
        from studio_plugins.translator.pairs_csv import PairList

        pairs = []
        for line in path.read_text(encoding="utf-8").splitlines():
            fields = line.split("\t")
            if len(fields) >= 2 and fields[0].strip() and fields[1].strip():
                pairs.append((fields[0].strip(), fields[1].strip()))
        return api.LoadedDataset(kind="text-pairs", train=PairList(pairs), name=path.stem)

    return api.DatasetSpec(path.stem, path.stem, "", "text-pairs", load)


def numbers_dataset() -> api.DatasetSpec:
    from studio_plugins import translator

    return translator.studio_datasets()[0]


class Clock(EngineListener):
    """Stops the engine after ``seconds``; times the steps between t_from and t_to."""

    def __init__(self, ref: list, sync, seconds: float = 0.0, t_from=-1, t_to=-1) -> None:
        self.ref, self.sync, self.seconds = ref, sync, seconds
        self.t_from, self.t_to = t_from, t_to
        self.times: dict[int, float] = {}
        self.rows: list[dict] = []
        self.start = time.perf_counter()

    def on_metrics(self, row) -> None:
        if row["step"] in (self.t_from, self.t_to):
            self.sync()
            self.times[row["step"]] = time.perf_counter()
        if any(k.startswith("val/") for k in row):
            self.rows.append(row)
        if self.seconds and time.perf_counter() - self.start > self.seconds:
            self.ref[0].stop()


def engine_run(args, config, data, steps, seconds, root, listener_args=(), validate_every=0):
    ref: list = []
    clock = Clock(ref, args.sync, seconds, *listener_args)
    settings = TrainSettings(
        steps=steps,
        seed=args.seed,
        device=args.device,
        precision=args.precision,
        sample_every=0,
        checkpoint_every=0,
        validate_every=validate_every,
    )
    path = Path(tempfile.mkdtemp(dir=root)) / "run"
    engine = create_engine(translator_source(), data, config, settings, path, clock)
    ref.append(engine)
    result = engine.run()
    return engine, result, clock


def target_tokens(batches) -> float:
    """Mean real target tokens a batch (what a step learns from)."""
    return statistics.mean(float((t[:, 1:] != 0).sum()) for _, t in batches)


def engine_batch_order(args, config, data, steps: int, root: Path) -> list[int]:
    """The batch indices a fresh engine run of ``steps`` steps trains on, in order
    (every timed engine run has the same seed, so the same order): the bare loop
    runs the same batches, whose lengths (and so costs) differ widely."""
    from studio_plugins.translator.trainer import TranslatorTrainer

    order: list[int] = []
    original = TranslatorTrainer.train_step

    def recording(self, batch, step):
        order.append(int(batch[0]))
        return original(self, batch, step)

    TranslatorTrainer.train_step = recording
    try:
        engine_run(args, config, data, steps, 0, root)
    finally:
        TranslatorTrainer.train_step = original
    return order


def bare_rate(trainer, config, sync, warm: int, order: list[int], seed: int) -> float:
    """The same step by hand: a fresh model of the same shape, Adam, the Noam rate,
    label smoothing, clipping, the engine's batches in the engine's order, the loss
    read."""
    from studio_plugins.translator.trainer import NoamRate
    from studio_plugins.translator.transformer import Transformer

    torch.manual_seed(seed)
    model = Transformer(trainer.model.shape).to(trainer.device).train()
    opt = torch.optim.Adam(
        model.parameters(), lr=1.0, betas=(config.beta1, config.beta2), eps=config.eps
    )
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, NoamRate(config.d_model, config.lr_factor, config.warmup_steps)
    )
    loss_fn = nn.CrossEntropyLoss(ignore_index=0, label_smoothing=config.label_smoothing)
    amp = trainer.amp_dtype
    t0 = 0.0
    steps = len(order) - warm
    for i, index in enumerate(order):
        if i == warm:
            sync()
            t0 = time.perf_counter()
        src, tgt = trainer.batches[index]
        with torch.autocast(trainer.device.type, dtype=amp, enabled=amp is not None):
            logits = model(src, tgt[:, :-1])
            loss = loss_fn(logits.reshape(-1, logits.size(-1)).float(), tgt[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if config.grad_clip:
            nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        opt.step()
        sched.step()
        float(loss.detach())
    sync()
    return steps / (time.perf_counter() - t0)


def decode_timings(trainer, sentences: list[str]) -> dict[str, float]:
    """Milliseconds per sentence (one at a time), greedy and beam 4, with and without
    the cache: the four are timed back to back on each sentence (so a load spike hits
    them alike) and the medians over the sentences are reported.

    What the cache saves grows with the translation's length (without it, step t
    re-runs t positions), so the beam-4 speedup is also reported by the length of the
    translation made: ``beam4_cache_speedup_by_length`` maps "1-9", "10-19", ... to
    the median speedup of the sentences in that bucket (and how many there were)."""
    from studio_plugins.translator import decoding

    model = trainer.model.eval()
    times: dict[str, list[float]] = {}
    by_length: dict[int, list[float]] = {}
    for sentence in sentences:
        src = trainer.source_ids([sentence])
        made = 0
        for name, beams in (("greedy", 1), ("beam4", 4)):
            for cache in (True, False):
                t0 = time.perf_counter()
                if beams == 1:
                    list(decoding.step_by_step(model, src, 60, cache))
                else:
                    result = list(decoding.beam_search(model, src, beams, 60, 0.6, cache))
                    made = len(result[-1][0].tokens)
                args_sync()
                key = f"{name}_ms_per_sentence{'' if cache else '_no_cache'}"
                times.setdefault(key, []).append(1000 * (time.perf_counter() - t0))
        ratio = times["beam4_ms_per_sentence_no_cache"][-1] / times["beam4_ms_per_sentence"][-1]
        by_length.setdefault(made // 10, []).append(ratio)
    out: dict = {k: round(statistics.median(v), 2) for k, v in times.items()}
    out["beam4_cache_speedup_by_length"] = {
        f"{10 * b or 1}-{10 * b + 9}": [round(statistics.median(r), 2), len(r)]
        for b, r in sorted(by_length.items())
    }
    return out


def decode_sentences(sources: list[str], n: int) -> list[str]:
    """``n`` held-out inputs for the decoding timings: a third the first sentences
    (the typical short one), a third the longest, a third paragraphs of four
    consecutive held-out sentences (longer translations, where the cache matters)."""
    third = max(1, n // 3)
    longest = sorted(sources, key=lambda s: -len(s.split()))[:third]
    rest = [s for s in sources if s not in set(longest)][: n - 2 * third]
    paragraphs = [" ".join(sources[i : i + 4]) for i in range(0, 4 * third, 4)]
    return rest + longest + paragraphs


def args_sync() -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--task", choices=("eng-fra", "numbers"), default="eng-fra")
    ap.add_argument("--minutes", type=float, default=15.0, help="wall budget of each model")
    ap.add_argument("--preset", choices=("bench CPU", "book", "quick CPU"), default=None)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--precision", choices=("fp32", "bf16", "fp16"), default="fp32")
    ap.add_argument("--rounds", type=int, default=3, help="engine/bare throughput rounds")
    ap.add_argument("--rate-steps", type=int, default=30, help="timed steps per round")
    ap.add_argument("--decode-sentences", type=int, default=30)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a config value of the preset (repeatable)",
    )
    ap.add_argument(
        "--timings-only",
        action="store_true",
        help="skip the baseline and the throughput rounds: BLEU and decoding timings",
    )
    ap.add_argument(
        "--only-transformer",
        action="store_true",
        help="skip the baseline, the throughput rounds and decoding timings",
    )
    args = ap.parse_args()
    from studio.core.devices import resolve_device

    device = resolve_device(args.device)
    args.device = str(device)

    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    args.sync = sync
    spec = translator_source().spec
    preset = args.preset or ("quick CPU" if args.task == "numbers" else "bench CPU")
    values = BENCH_CPU if preset == "bench CPU" else split_settings(spec.presets[preset])[0]
    overrides = dict(item.split("=", 1) for item in args.set)
    config = cfg.build(spec.config_class, values, overrides)
    seconds = args.minutes * 60
    if args.task == "numbers":
        return numbers_task(args, config, seconds, preset)
    if not args.data.is_file():
        sys.exit(f"{args.data} not found: the bench trains on eng-fra-18k (--data)")
    data = tsv_dataset(args.data)
    from studio_plugins.translator.trainer import bleu_chrf

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        # 1. The Transformer through the engine, for the budget.
        t0 = time.perf_counter()
        engine, result, _clock = engine_run(args, config, data, 10**7, seconds, root)
        train_s = time.perf_counter() - t0
        trainer = engine.trainer
        per_batch = target_tokens(trainer.batches)
        sources = trainer.val_sources[: config.val_sentences]
        refs = [trainer.val_references[s][0] for s in sources]
        with trainer.eval_mode():
            hyps = trainer.translate(sources)
        bleu, chrf = bleu_chrf(hyps, refs)
        print(
            f"transformer: {result.step} steps, BLEU {bleu:.2f} chrF {chrf:.2f}",
            file=sys.stderr,
            flush=True,
        )
        examples = list(zip(sources[:5], hyps[:5], refs[:5], strict=True))
        if args.only_transformer:
            print(
                json.dumps(
                    {
                        "steps": result.step,
                        "bleu": round(bleu, 2),
                        "chrf": round(chrf, 2),
                        "overrides": overrides,
                        "examples": examples,
                    }
                )
            )
            return

        if args.timings_only:
            few = decode_sentences(trainer.val_sources, args.decode_sentences)
            with trainer.eval_mode():
                timing = decode_timings(trainer, few)
            whole = {  # the whole run's rate, warm-up and evaluations included
                "train_seconds": round(train_s, 1),
                "train_tokens_per_s_whole_run": round(result.step * per_batch / train_s, 1),
            }
            head = {"preset": preset, "device": args.device, "precision": args.precision}
            print(
                json.dumps(
                    {**head, "steps": result.step, "bleu": round(bleu, 2), **whole, **timing}
                )
            )
            return

        # 2. The GRU + additive attention baseline, same batches, same budget.
        base = train_baseline(trainer, seconds, device, args.seed)
        base_hyps = base.translate(sources)
        base_bleu, base_chrf = bleu_chrf(base_hyps, refs)
        print(
            f"baseline: {base.steps} steps, BLEU {base_bleu:.2f} chrF {base_chrf:.2f}",
            file=sys.stderr,
            flush=True,
        )

        # 3. Throughput: engine against bare, interleaved rounds.
        rates: dict[str, list[float]] = {"bare": [], "engine": []}
        warm, n = 5, args.rate_steps
        order = engine_batch_order(args, config, data, warm + n, root)
        for r in range(args.rounds):
            for kind in ("bare", "engine") if r % 2 == 0 else ("engine", "bare"):
                if kind == "bare":
                    rates[kind].append(bare_rate(trainer, config, sync, warm, order, r))
                else:
                    _, _, c = engine_run(args, config, data, warm + n, 0, root, (warm, warm + n))
                    rates[kind].append(n / (c.times[warm + n] - c.times[warm]))
            print(
                f"round {r}: bare {rates['bare'][-1]:.2f} it/s, "
                f"engine {rates['engine'][-1]:.2f} it/s",
                file=sys.stderr,
                flush=True,
            )
        med = {k: statistics.median(v) for k, v in rates.items()}

        # 4. Decoding speed per sentence, with and without the cache.
        few = decode_sentences(trainer.val_sources, args.decode_sentences)
        with trainer.eval_mode():
            timing = decode_timings(trainer, few)
    out = {
        "task": "eng-fra",
        "preset": preset,
        "device": args.device,
        "precision": args.precision,
        "minutes_each": args.minutes,
        "steps": result.step,
        "train_seconds": round(train_s, 1),
        "baseline_steps": base.steps,
        "val_sentences": len(sources),
        "examples": examples,
        "bleu": round(bleu, 2),
        "chrf": round(chrf, 2),
        "baseline_bleu": round(base_bleu, 2),
        "baseline_chrf": round(base_chrf, 2),
        "tokens_per_s": round(med["engine"] * per_batch, 1),
        "bare_tokens_per_s": round(med["bare"] * per_batch, 1),
        "engine_vs_bare": round(med["engine"] / med["bare"], 3),
        **timing,
        "beam4_cache_speedup": round(
            timing["beam4_ms_per_sentence_no_cache"] / timing["beam4_ms_per_sentence"], 2
        ),
        "torch_threads": torch.get_num_threads(),
    }
    print(json.dumps(out))


def numbers_task(args, config, seconds: float, preset: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        engine, result, clock = engine_run(
            args, config, numbers_dataset(), 10**7, seconds, Path(tmp), validate_every=250
        )
        final = engine._validate()
    curve = {str(r["step"]): round(r["val/exact"], 3) for r in clock.rows}
    reached = next((int(s) for s, v in curve.items() if v >= 0.9), None)
    print(
        json.dumps(
            {
                "task": "numbers",
                "preset": preset,
                "steps": result.step,
                "seconds": round(time.perf_counter() - t0, 1),
                "exact": round(final["val/exact"], 4),
                "chrf": round(final["val/chrf"], 2),
                "bleu": round(final["val/bleu"], 2),
                "exact_by_step": curve,
                "first_step_at_0.9": reached,
            }
        )
    )


if __name__ == "__main__":
    main()
