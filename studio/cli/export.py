"""``export``: write a run's latest weights in another format."""

from __future__ import annotations

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
    if not args.format:
        raise UsageError(f"--format is required; for model {spec.id}: {listing}")
    if args.format not in found:
        raise UsageError(f"--format {args.format!r}: for model {spec.id} choose from {listing}")
    exporter = found[args.format]
    out = Path(args.out)
    if not out.suffix:
        out = out.with_suffix(exporter.suffix)
    sampler = RunSampler(args.run_dir, manager.resolve_run, device="cpu")
    trainer = sampler.trainer()
    exporter.export(trainer, out)
    print(f"{exporter.name} of {run.name} (checkpoint at step {sampler.checkpoint_step})")
    print(f"written to {out}")
    return EXIT_OK
