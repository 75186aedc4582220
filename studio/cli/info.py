"""Listing commands: models, datasets (and ``datasets inspect``), plugins, runs."""

from __future__ import annotations

import json
from pathlib import Path

from studio.cli import common
from studio.cli.common import EXIT_OK, UsageError
from studio.core.rundir import RunDirError, list_runs
from studio.plugins import PluginManager


def cmd_models(args) -> int:
    manager = common.load_manager(args)
    for spec in manager.models.values():
        print(
            f"{spec.id:<16} {spec.name}  [data: {', '.join(spec.dataset_kinds)}; "
            f"default dataset: {spec.default_dataset or '-'}]"
        )
    return EXIT_OK


def cmd_datasets(args) -> int:
    manager = common.load_manager(args)
    if args.action == "inspect":
        return cmd_inspect(manager, args)
    if args.action:
        raise UsageError(
            f"unknown action {args.action!r}; use 'datasets' or 'datasets inspect PATH'"
        )
    for spec in manager.datasets.values():
        items = f"{spec.items:,} items" if spec.items is not None else ""
        print(f"{spec.id:<20} {spec.kind:<16} {items:>14}  {spec.description}")
    return EXIT_OK


def cmd_inspect(manager: PluginManager, args) -> int:
    """Read PATH (or an embedded dataset) with the reader the app would choose."""
    from studio.core.dataset_info import (
        SUMMARY_KEYS,
        count_files,
        describe_image_sizes,
        human_size,
        summary,
    )
    from studio.core.errors import DatasetError

    if not args.path:
        raise UsageError("datasets inspect needs a PATH (a folder, a file or an archive)")
    try:
        spec = manager.dataset_for(args.path, args.reader)
        loaded = spec.loader()
    except (DatasetError, KeyError) as exc:
        raise UsageError(exc.args[0] if exc.args else str(exc)) from None
    report = {"dataset": spec.id, "reader": spec.reader or "embedded"}
    if spec.path:
        files, size = count_files(Path(spec.path))
        report.update(files=files, bytes=size)
    report.update(summary(loaded, manager.models.values()))
    if args.json:
        print(json.dumps(report, indent=2, default=str))
        return EXIT_OK
    print(f"{report['dataset']}")
    print(f"  reader:  {report['reader']}")
    print(f"  kind:    {report['kind']}")
    print(f"  items:   {report['items']:,}")
    if "files" in report:
        print(f"  on disk: {report['files']:,} files, {human_size(report['bytes'])}")
    if "image_sizes" in report:  # what is on disk, not the prepared [3, 64, 64]
        print(f"  images:  {describe_image_sizes(report['image_sizes'], report['items'])}")
    for key in ("shapes", *SUMMARY_KEYS):
        if key in report and not (key == "shapes" and "image_sizes" in report):
            print(f"  {key}: {report[key]}")
    print(f"  models:  {', '.join(report['models']) or 'none installed trains on it'}")
    skipped = report["skipped"]
    if skipped:
        print(f"  skipped: {len(skipped):,}")
        for item in skipped[:50]:
            print(f"    {item['file']}: {item['reason']}")
        if len(skipped) > 50:
            print(f"    ... and {len(skipped) - 50:,} more (--json lists all)")
    return EXIT_OK


def cmd_plugins(args) -> int:
    manager = common.plugins()
    for rec in manager.records.values():
        what = "; ".join(f"{k}: {', '.join(v)}" for k, v in rec.contributions.items())
        print(
            f"{rec.name:<16} {rec.version:<8} api {rec.api_version or '?':<5} "
            f"{rec.status:<9} {rec.source}  {what}"
        )
        for message, tb in rec.errors:
            print(f"    error: {message}")
            if args.verbose and tb:
                print("    " + tb.replace("\n", "\n    "))
    return EXIT_OK


def cmd_runs(args) -> int:
    from studio.app_paths import workspace_from_env

    if getattr(args, "health", None) is not None:
        return _health(args.health, getattr(args, "json", False))

    workspace = args.workspace or workspace_from_env()
    for run in list_runs(workspace):
        status = run.status()
        try:
            model = run.record().model
        except RunDirError:
            model = "?"
        print(
            f"{run.name:<40} {model:<14} {run.live_state():<11} "
            f"step {status.get('step', 0):>8,}  {run.path}"
        )
    return EXIT_OK


def _health(path: Path, as_json: bool) -> int:
    from studio.core.health import format_health, health_report

    try:
        report = health_report(path)
    except RunDirError as exc:
        raise UsageError(f"--health: {exc}") from None
    print(json.dumps(report, indent=2) if as_json else format_health(report))
    return EXIT_OK
