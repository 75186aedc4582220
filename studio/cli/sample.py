"""``sample``: generate from a run's latest checkpoint, or the one at ``--step``."""

from __future__ import annotations

import contextlib
import json
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from studio.cli import common
from studio.cli.common import EXIT_INTERRUPTED, EXIT_OK, UsageError
from studio.core.config import ConfigError
from studio.core.rundir import RunDir
from studio.core.sampling import CancelToken, SamplingCancelled, format_options_help


def _sample_options(pairs: list[str], typed: bool = True) -> dict[str, Any]:
    """``NAME=VALUE`` pairs. For a model with typed options the values stay strings
    (``build_options`` converts and checks them against each option's type); for a
    1.0 model a VALUE that parses as JSON (0.8, 40, true) is that value."""
    options: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--option {pair!r}: expected NAME=VALUE")
        key = name.strip().replace("-", "_")
        if typed:
            options[key] = value
            continue
        try:
            options[key] = json.loads(value)
        except json.JSONDecodeError:
            options[key] = value
    return options


@contextlib.contextmanager
def _ctrl_c_cancels(token: CancelToken) -> Iterator[None]:
    """The first Ctrl-C cancels ``token`` (sampling stops at its next part); a second
    one interrupts at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_sigint(signum, frame) -> None:
        if token.cancelled:
            raise KeyboardInterrupt
        token.cancel()

    previous = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _help_sample(manager, args) -> int:
    if args.model:
        spec = manager.model_source(args.model).spec
    elif args.run_dir:
        spec = manager.model_source(RunDir(args.run_dir).record().model).spec
    else:
        raise UsageError("--help-sample needs --model ID or --run-dir DIR")
    print(format_options_help(spec.sample_options, f"{spec.id}: {spec.name}"))
    return EXIT_OK


CANCELLED = "genai-studio-cli: sampling cancelled (Ctrl-C); nothing written"


def cmd_sample(args) -> int:
    """Sample a run's latest checkpoint (or ``--step``'s) into a file, with the model's
    options checked (``-o NAME=VALUE``); Ctrl-C cancels (exit 130, nothing written)."""
    try:
        return _sample(args)
    except KeyboardInterrupt:  # before sampling began (loading plugins, the run...)
        print(CANCELLED, file=sys.stderr)
        return EXIT_INTERRUPTED


def _sample(args) -> int:
    from studio.core.run_sampler import RunSampler

    manager = common.load_manager(args)
    if getattr(args, "help_sample", False):
        return _help_sample(manager, args)
    if args.run_dir is None:
        raise UsageError("--run-dir is required (or --model ID --help-sample)")
    if args.n is not None and args.n < 1:
        raise UsageError(f"--n: {args.n} is not a positive number of items")
    resolve = common.run_resolver(manager, args)
    step = getattr(args, "step", None)
    sampler = RunSampler(args.run_dir, resolve, device=args.device or "cpu", step=step)
    if step is not None:
        sampler.chosen_checkpoint()  # no checkpoint there: one line, before any loading
    spec = sampler.spec
    values = _sample_options(args.option, typed=spec.sample_options is not None)
    try:
        options = sampler.options(values)
    except ConfigError as exc:  # names the option: "temperature: 'abc' is not a valid float"
        raise UsageError(f"-o {exc}") from None
    token = CancelToken()
    sample = None
    try:
        with _ctrl_c_cancels(token):
            sampler.trainer()  # the model and its newest (or chosen) checkpoint
            print(
                f"sampling from the checkpoint at step {sampler.loaded_step} (Ctrl-C cancels)",
                file=sys.stderr,
                flush=True,
            )
            parts = sampler.stream(seed=args.seed, n=args.n, options=options, cancel=token)
            for part in parts:
                sample = part  # the last part is the final sample
    except (SamplingCancelled, KeyboardInterrupt):
        print(CANCELLED, file=sys.stderr)
        return EXIT_INTERRUPTED
    except TypeError as exc:  # a 1.0 model's sample() does not take one of the options
        if not values or spec.sample_options is not None:
            raise
        raise UsageError(f"--option: {exc}") from None
    if sample is None:
        raise UsageError(f"model {spec.id} produced no sample")
    if sampler.note:  # the newest checkpoint is damaged: an older one was used
        print(f"warning: {sampler.note}", file=sys.stderr)
    print(f"{sample.summary()} from the checkpoint at step {sampler.loaded_step}")
    if not args.out:  # shown, not saved (a translation, a classification...)
        print("not written (give --out FILE to save it)", file=sys.stderr)
        return EXIT_OK
    out = Path(args.out)
    written = sample.save(out.with_suffix("") if out.suffix == sample.suffix else out)
    if out.suffix and written.suffix != out.suffix:  # a kind may write several formats
        print(f"note: {sample.kind} samples are written as {sample.suffix}", file=sys.stderr)
    print(f"written to {written}")
    return EXIT_OK
