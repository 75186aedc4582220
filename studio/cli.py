"""Headless GenAI Studio: ``genai-studio-cli`` (or ``python -m studio.cli``).

    genai-studio-cli models | datasets | plugins | runs [--workspace DIR]
    genai-studio-cli datasets inspect PATH [--json] [--reader ID]
    genai-studio-cli train --model gan-shape --dataset exponential-curve --steps 2000 \\
        --run-dir DIR [--seed S] [--device cpu|cuda|cuda:N|mps] [--preset NAME] [--lr 1e-3 ...]
    genai-studio-cli train --resume --run-dir DIR [--steps N]
    genai-studio-cli sample --run-dir DIR --out FILE [--seed S] [--n N] [-o NAME=VALUE ...]
    genai-studio-cli export --run-dir DIR --format ID --out FILE

Exit codes: 0 done (or stopped by request), 1 training failed, 2 bad arguments or
input, 3 training stopped on a NaN/inf loss, 130 interrupted with Ctrl-C or SIGTERM
(after a checkpoint was written).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from studio.core import config as cfg
from studio.core.contributions import ENGINE_PRESET_KEYS
from studio.core.devices_names import PRECISIONS
from studio.core.errors import DatasetError
from studio.core.listener import EngineListener
from studio.core.rundir import RunDir, RunDirError, list_runs
from studio.core.session import TrainSettings, create_engine, resume_engine
from studio.core.tensorboard import TensorBoardMissing
from studio.plugins import PluginManager, load_plugins

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_NAN, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class UsageError(Exception):
    """Bad arguments or input: printed as one line, exit code 2."""


# --- progress ----------------------------------------------------------------------
def _eta(seconds: float) -> str:
    m, s = divmod(int(max(0, seconds)), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class ProgressBar(EngineListener):
    """A one-line progress bar on stderr (a line every few seconds when not a terminal)."""

    def __init__(self, stream=None, width: int = 28) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.width = width
        self.total = 0
        self.start_step = 0
        self.t0 = time.perf_counter()
        self.last = 0.0
        self.losses: dict[str, float] = {}

    def on_start(self, step: int, total: int, device: str) -> None:
        self.total, self.start_step, self.t0 = total, step, time.perf_counter()
        print(f"training on {device} from step {step} to {total}", file=self.stream)

    def on_metrics(self, row: dict[str, Any]) -> None:
        self.losses = {
            k: v
            for k, v in row.items()
            if k not in ("step", "time", "epoch") and not k.startswith("sample/")
        }
        now = time.perf_counter()
        if now - self.last < (0.1 if self.tty else 5.0) and row["step"] < self.total:
            return
        self.last = now
        self._draw(row["step"], now)

    def _draw(self, step: int, now: float) -> None:
        done = step - self.start_step
        rate = done / max(1e-9, now - self.t0)
        frac = step / max(1, self.total)
        filled = int(frac * self.width)
        bar = "=" * filled + (">" if filled < self.width else "") + " " * (self.width - filled - 1)
        losses = " ".join(f"{k}={v:.4g}" for k, v in list(self.losses.items())[:4])
        eta = _eta((self.total - step) / rate) if rate > 0 else "?"
        line = f"[{bar}] {step}/{self.total} {rate:.1f} it/s ETA {eta} {losses}"
        if self.tty:
            self.stream.write("\r" + line[:150].ljust(100))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def on_event(self, message: str, level: str) -> None:
        if level in ("ERROR", "WARNING"):
            if self.tty:
                self.stream.write("\n")
            print(f"{level.lower()}: {message.splitlines()[0]}", file=self.stream)

    def on_state(self, state: str, step: int, message: str) -> None:
        if state in ("finished", "stopped", "failed", "nan") and self.tty:
            self.stream.write("\n")


# --- commands ------------------------------------------------------------------------
def _plugins(args) -> PluginManager:
    manager = load_plugins()
    for rec in manager.problems():
        for message, _tb in rec.errors:
            print(f"warning: plugin {rec.name}: {message}", file=sys.stderr)
    return manager


def cmd_models(args) -> int:
    manager = _plugins(args)
    for spec in manager.models.values():
        print(
            f"{spec.id:<16} {spec.name}  [data: {', '.join(spec.dataset_kinds)}; "
            f"default dataset: {spec.default_dataset or '-'}]"
        )
    return EXIT_OK


def cmd_datasets(args) -> int:
    manager = _plugins(args)
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
    from studio.core.dataset_info import SUMMARY_KEYS, count_files, human_size, summary
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
    for key in ("shapes", *SUMMARY_KEYS):
        if key in report:
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

    manager = _plugins(args)
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


def cmd_plugins(args) -> int:
    manager = load_plugins()
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


def _config_file(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        if path.suffix == ".toml":
            import tomllib

            return tomllib.loads(path.read_text())
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise UsageError(f"--config {path}: cannot read it ({exc})") from None


def _add_config_flags(parser: argparse.ArgumentParser, config_class: type) -> None:
    group = parser.add_argument_group("model settings (from the model's config)")
    for info in cfg.describe(config_class):
        flag = "--" + info.name.replace("_", "-")
        helptext = info.help + (f" (default {info.default})" if info.help else "")
        kwargs: dict[str, Any] = {"dest": f"cfg_{info.name}", "default": None, "help": helptext}
        if info.choices:
            kwargs["choices"] = [str(c) for c in info.choices]
        group.add_argument(flag, metavar=info.type.__name__.upper(), **kwargs)


def _progress() -> EngineListener | None:
    """The progress bar; under torchrun only rank 0 shows one."""
    if os.environ.get("RANK", "0") != "0":
        return None
    return ProgressBar()


def _run_engine(engine) -> int:
    previous = signal.getsignal(signal.SIGINT)
    interrupted = {"n": 0}

    def on_sigint(signum, frame):
        interrupted["n"] += 1
        if interrupted["n"] > 1:
            raise KeyboardInterrupt
        if engine.dist.is_main:
            print(
                "\ninterrupted: writing a checkpoint, then exiting (Ctrl-C again to abort)",
                file=sys.stderr,
            )
        engine.stop()

    def on_sigterm(signum, frame):
        # A scheduler's kill, or torchrun ending the job because another rank died:
        # stop at the end of the step (a checkpoint, or a "failed" status naming the
        # dead peer when the next collective breaks) instead of dying mid-write with
        # the status still saying "running".
        terminated["yes"] = True
        engine.stop()

    terminated = {"yes": False}
    previous_term = signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGINT, on_sigint)
    signal.signal(signal.SIGTERM, on_sigterm)
    result = None
    try:
        result = engine.run()
    finally:
        signal.signal(signal.SIGINT, previous)
        signal.signal(signal.SIGTERM, previous_term)
        if engine.dist.enabled:
            from studio.core.distributed import teardown

            teardown(clean=result is not None and result.state != "failed")
    if engine.dist.is_main:
        print(f"{result.state}: {result.message}", file=sys.stderr)
        print(f"run directory: {engine.run_dir.path}", file=sys.stderr)
    if interrupted["n"] or (terminated["yes"] and result.state == "stopped"):
        return EXIT_INTERRUPTED
    return {"finished": EXIT_OK, "stopped": EXIT_OK, "nan": EXIT_NAN}.get(result.state, EXIT_FAILED)


def cmd_train(args, extra: list[str]) -> int:
    manager = _plugins(args)
    if args.run_dir is None:
        raise UsageError("--run-dir is required: the folder the run is written to")
    if args.resume:
        if extra:
            raise UsageError(
                f"--resume continues a run with its own settings; unexpected: {' '.join(extra)}"
            )
        if not RunDir(args.run_dir).is_run():
            raise UsageError(f"--resume: {args.run_dir} holds no run (no config.json)")
        engine = resume_engine(
            args.run_dir,
            manager.resolve_run,
            total_steps=args.steps,
            device=args.device,
            listener=_progress(),
        )
        return _run_engine(engine)
    if not args.model:
        raise UsageError("--model is required (see 'genai-studio-cli models')")
    try:
        source = manager.model_source(args.model)
    except KeyError as exc:
        raise UsageError(str(exc.args[0])) from None
    spec = source.spec
    sub = argparse.ArgumentParser(prog=f"genai-studio-cli train --model {spec.id}", add_help=False)
    _add_config_flags(sub, spec.config_class)
    model_args, unknown = sub.parse_known_args(extra)
    if unknown:
        known = ", ".join("--" + i.name.replace("_", "-") for i in cfg.describe(spec.config_class))
        raise UsageError(
            f"unknown option(s) {' '.join(unknown)} for model {spec.id}; its settings are: {known}"
        )
    dataset_id = args.dataset or spec.default_dataset
    if not dataset_id:
        raise UsageError(f"--dataset is required: model {spec.id} has no default dataset")
    try:
        dataset = manager.dataset_for(dataset_id, args.reader)
    except (KeyError, DatasetError) as exc:
        raise UsageError(f"--dataset: {exc.args[0] if exc.args else exc}") from None
    if dataset.kind not in spec.dataset_kinds:
        raise UsageError(
            f"--dataset: {dataset.id} holds {dataset.kind} data, but model {spec.id} "
            f"trains on {', '.join(spec.dataset_kinds)} data"
        )
    if args.preset and args.preset not in spec.presets:
        raise UsageError(
            f"--preset {args.preset!r}: model {spec.id} has presets "
            f"{', '.join(map(repr, spec.presets)) or 'none'}"
        )
    preset = dict(spec.presets.get(args.preset, {})) if args.preset else {}
    engine_preset = {k: v for k, v in preset.items() if k in ENGINE_PRESET_KEYS}
    file_values = _config_file(args.config)
    flags = {k[4:]: v for k, v in vars(model_args).items() if v is not None}
    try:
        config = cfg.build(
            spec.config_class,
            {k: v for k, v in preset.items() if k not in ENGINE_PRESET_KEYS},
            file_values,
            flags,
        )
    except cfg.ConfigError as exc:
        flag = "--" + str(exc).split(":", 1)[0].replace("_", "-")
        raise UsageError(f"{flag}: {str(exc).split(':', 1)[-1].strip()}") from None

    def pick(name: str, default: Any) -> Any:
        value = getattr(args, name)
        return value if value is not None else engine_preset.get(name, default)

    settings = TrainSettings(
        steps=pick("steps", spec.default_steps),
        epochs=args.epochs or 0,
        seed=pick("seed", 0),
        device=pick("device", "auto"),
        precision=pick("precision", "fp32"),
        sample_every=pick("sample_every", 100),
        checkpoint_every=pick("checkpoint_every", 500),
        validate_every=pick("validate_every", 0),
        tensorboard=bool(args.tensorboard),
    )
    engine = create_engine(source, dataset, config, settings, args.run_dir, _progress())
    return _run_engine(engine)


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

    manager = _plugins(args)
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


# --- entry point -----------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="genai-studio-cli",
        description="Train and sample GenAI Studio models without the window.",
        epilog="Exit codes: 0 done, 1 failed, 2 bad arguments, 3 NaN loss, 130 Ctrl-C or SIGTERM.",
    )
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("models", help="list model ids")
    d = sub.add_parser(
        "datasets",
        help="list embedded datasets, or 'inspect PATH' to read a folder, file or archive",
    )
    d.add_argument("action", nargs="?", choices=["inspect"], help="inspect PATH")
    d.add_argument("path", nargs="?", help="what to inspect (or an embedded dataset id)")
    d.add_argument("--reader", help="use this reader instead of the best-fitting one")
    d.add_argument("--json", action="store_true", help="print the report as JSON")
    pl = sub.add_parser("plugins", help="list plugins, their status and errors")
    pl.add_argument("-v", "--verbose", action="store_true", help="show tracebacks")
    runs = sub.add_parser("runs", help="list runs in the workspace")
    runs.add_argument("--workspace", type=Path)

    t = sub.add_parser(
        "train",
        help="train a model (or --resume a run)",
        description="Train a model. Model settings are flags named after its config "
        "fields (see 'genai-studio-cli train --model ID --help-model').",
    )
    t.add_argument("--model", help="model id (see 'models')")
    t.add_argument(
        "--dataset",
        help="embedded dataset id, or a folder, file or archive (default: the model's own)",
    )
    t.add_argument("--reader", help="reader for a --dataset path (default: the best fit)")
    t.add_argument("--run-dir", type=Path, help="folder the run is written to")
    t.add_argument("--resume", action="store_true", help="continue the run in --run-dir")
    t.add_argument("--steps", type=int, help="train until this step")
    t.add_argument("--epochs", type=int, help="train this many passes over the data instead")
    t.add_argument("--seed", type=int)
    t.add_argument("--device", help="auto, cpu, cuda, cuda:N or mps")
    t.add_argument("--precision", choices=PRECISIONS)
    t.add_argument("--sample-every", type=int, help="preview samples every N steps (0: never)")
    t.add_argument("--checkpoint-every", type=int, help="checkpoint every N steps (0: at end)")
    t.add_argument("--validate-every", type=int, help="validation metrics every N steps (0: never)")
    t.add_argument("--preset", help="a preset of the model, e.g. 'quick CPU'")
    t.add_argument(
        "--tensorboard",
        action="store_true",
        help="also write TensorBoard event files to RUN_DIR/tensorboard",
    )
    t.add_argument("--config", type=Path, help="model settings from a JSON or TOML file")
    t.add_argument("--help-model", action="store_true", help="list the model's settings")

    e = sub.add_parser("export", help="export a run's latest weights (ONNX, safetensors...)")
    e.add_argument("--run-dir", type=Path, required=True)
    e.add_argument("--format", help="exporter id (omit it to list those for the run's model)")
    e.add_argument("--out", required=True, help="output file")

    s = sub.add_parser("sample", help="sample from a run's latest checkpoint")
    s.add_argument("--run-dir", type=Path, required=True)
    s.add_argument("--out", required=True, help="output file (JSON or PNG by sample kind)")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--n", type=int, help="number of items to generate")
    s.add_argument("--device", help="device to sample on (default cpu)")
    s.add_argument(
        "--option",
        "-o",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a sampling option of the model (e.g. -o temperature=0.8 -o prompt='To be'); "
        "repeatable",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    try:
        if args.command == "train":
            if args.help_model:
                if not args.model:
                    raise UsageError("--help-model needs --model")
                spec = load_plugins().model_source(args.model).spec
                sub = argparse.ArgumentParser(prog=f"genai-studio-cli train --model {spec.id}")
                _add_config_flags(sub, spec.config_class)
                sub.print_help()
                return EXIT_OK
            return cmd_train(args, extra)
        if extra:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        return {
            "models": cmd_models,
            "datasets": cmd_datasets,
            "plugins": cmd_plugins,
            "runs": cmd_runs,
            "sample": cmd_sample,
            "export": cmd_export,
        }[args.command](args)
    except UsageError as exc:
        print(f"genai-studio-cli: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (RunDirError, ValueError, KeyError, TensorBoardMissing) as exc:
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"genai-studio-cli: error: {msg}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
