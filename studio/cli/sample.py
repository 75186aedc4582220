"""``sample``: generate from a run's latest checkpoint."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from studio.cli import common
from studio.cli.common import EXIT_OK, UsageError


def _sample_options(pairs: list[str]) -> dict[str, Any]:
    """``NAME=VALUE`` pairs; a VALUE that parses as JSON (0.8, 40, true) is that value."""
    options: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--option {pair!r}: expected NAME=VALUE")
        try:
            options[name.strip().replace("-", "_")] = json.loads(value)
        except json.JSONDecodeError:
            options[name.strip().replace("-", "_")] = value
    return options


def cmd_sample(args) -> int:
    from studio.core.session import RunSampler

    manager = common.load_manager(args)
    options = _sample_options(args.option)
    sampler = RunSampler(args.run_dir, manager.resolve_run, device=args.device or "cpu")
    try:
        sample = sampler.sample(seed=args.seed, n=args.n, **options)
    except TypeError as exc:  # the model's sample() does not take one of the options
        if not options:
            raise
        raise UsageError(f"--option: {exc}") from None
    out = Path(args.out)
    written = sample.save(out.with_suffix("") if out.suffix == sample.suffix else out)
    if out.suffix and out.suffix != sample.suffix:
        print(f"note: {sample.kind} samples are written as {sample.suffix}", file=sys.stderr)
    print(f"{sample.summary()} from the checkpoint at step {sampler.checkpoint_step}")
    print(f"written to {written}")
    return EXIT_OK
