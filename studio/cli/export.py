"""``export``: write a run's latest weights in another format."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from studio.cli import common
from studio.cli.common import EXIT_OK, UsageError
from studio.core.rundir import RunDir
from studio.plugins import PluginManager


def _exporters_for(manager: PluginManager, model) -> dict[str, Any]:
    """Exporters that apply to ``model`` (by model id or sample kind), by id."""
    return {
        e.id: e
        for e in manager.exporters.values()
        if not e.applies_to or model.id in e.applies_to or model.sample_kind in e.applies_to
    }


def cmd_export(args) -> int:
    """Write a run's latest weights in another format (ONNX, safetensors...)."""
    from studio.core.session import RunSampler

    manager = common.load_manager(args)
    run = RunDir(args.run_dir)
    if not run.is_run():
        raise UsageError(f"--run-dir: {args.run_dir} holds no run (no config.json)")
    record = run.record()
    spec = manager.model_source(record.model).spec
    found = _exporters_for(manager, spec)
    listing = ", ".join(f"{k} ({e.name}, {e.suffix})" for k, e in found.items()) or "none"
    if not args.format:  # a question, not a mistake: the answer, exit 0
        print(f"export formats for model {spec.id} (--format ID):")
        for key, e in found.items():
            print(f"  {key:<24} {e.name} ({e.suffix})")
        if not found:
            print("  none: no installed exporter applies to this model")
        return EXIT_OK
    if args.format not in found:
        raise UsageError(f"--format {args.format!r}: for model {spec.id} choose from {listing}")
    if not args.out:
        raise UsageError(f"--out is required: the file to write the {args.format} export to")
    exporter = found[args.format]
    out = Path(args.out)
    if not out.suffix:
        out = out.with_suffix(exporter.suffix)
    sampler = RunSampler(args.run_dir, common.run_resolver(manager, args), device="cpu")
    trainer = sampler.trainer()
    exporter.export(trainer, out)
    if sampler.note:  # the newest checkpoint is damaged: an older one was used
        print(f"warning: {sampler.note}", file=sys.stderr)
    print(f"{exporter.name} of {run.name} (checkpoint at step {sampler.loaded_step})")
    print(f"written to {out}")
    return EXIT_OK
