"""Headless GenAI Studio: ``genai-studio-cli`` (or ``python -m studio.cli``).

    genai-studio-cli models | datasets | plugins | recipes | runs [--workspace DIR]
    genai-studio-cli train --recipe ch08-lstm [--quick] --dataset anna.txt --run-dir DIR
    genai-studio-cli datasets inspect PATH [--json] [--reader ID]
    genai-studio-cli train --model gan-shape --dataset exponential-curve --steps 2000 \\
        --run-dir DIR [--seed S] [--device cpu|cuda|cuda:N|mps] [--preset NAME] [--lr 1e-3 ...]
    genai-studio-cli train --resume --run-dir DIR [--steps N]
    genai-studio-cli sample --run-dir DIR --out FILE [--step N] [--seed S] [--n N] \\
        [-o NAME=VALUE ...]
    genai-studio-cli sample --model ID --help-sample
    genai-studio-cli export --run-dir DIR --format ID --out FILE

Exit codes: 0 done (or stopped by request), 1 training failed (also: no intact
checkpoint, a read-only folder, a full disk), 2 bad arguments or input (also: the run
folder is being trained by another process, named by its pid), 3 training stopped on a
NaN/inf loss, 130 interrupted with Ctrl-C or SIGTERM (after a checkpoint was written).
"""

from __future__ import annotations

import argparse
import errno
import os
import signal
import sys
from pathlib import Path

from studio.cli import common
from studio.cli.common import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_NAN,
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
)
from studio.cli.export import cmd_export
from studio.cli.info import cmd_datasets, cmd_models, cmd_plugins, cmd_runs
from studio.cli.recipes import cmd_recipes
from studio.cli.sample import cmd_sample
from studio.cli.train import _add_config_flags, add_engine_flags, cmd_train
from studio.core import threads
from studio.core.checkpoint import CheckpointError
from studio.core.rundir import RunDirError
from studio.core.tensorboard import TensorBoardMissing


# --- entry point -----------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="genai-studio-cli",
        description="Train and sample GenAI Studio models without the window.",
        epilog="Exit codes: 0 done, 1 failed, 2 bad arguments, 3 NaN loss, 130 Ctrl-C or SIGTERM.",
    )
    p.add_argument(
        "--threads",
        type=int,
        metavar="N",
        help="torch threads (default: the cores free now; or set GENAI_STUDIO_THREADS)",
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
    sub.add_parser("recipes", help="the book's experiments, chapter by chapter")
    runs = sub.add_parser("runs", help="list runs in the workspace")
    runs.add_argument("--workspace", type=Path)
    runs.add_argument(
        "--health",
        type=Path,
        metavar="RUN_DIR",
        help="a run's health: its latest sample and validation figures, and its alarms",
    )
    runs.add_argument("--json", action="store_true", help="with --health: print JSON")

    t = sub.add_parser(
        "train",
        help="train a model (or --resume a run)",
        description="Train a model. Model settings are flags named after its config "
        "fields (see 'genai-studio-cli train --model ID --help-model').",
    )
    t.add_argument("--model", help="model id (see 'models')")
    t.add_argument(
        "--recipe",
        help="a chapter's experiment (see 'recipes'): its model, its 'book' preset and data",
    )
    t.add_argument(
        "--quick", action="store_true", help="with --recipe: its 'quick CPU' preset instead"
    )
    t.add_argument(
        "--dataset",
        help="embedded dataset id, or a folder, file or archive (default: the model's own)",
    )
    t.add_argument("--reader", help="reader for a --dataset path (default: the best fit)")
    t.add_argument("--run-dir", type=Path, help="folder the run is written to")
    t.add_argument("--resume", action="store_true", help="continue the run in --run-dir")
    _add_trust_flag(t)
    t.add_argument("--preset", help="a preset of the model, e.g. 'quick CPU'")
    t.add_argument("--config", type=Path, help="model settings from a JSON or TOML file")
    t.add_argument("--help-model", action="store_true", help="list the model's settings")
    add_engine_flags(t)  # --steps, --seed, --keep-checkpoints...: from EngineSettings

    e = sub.add_parser("export", help="export a run's latest weights (ONNX, safetensors...)")
    e.add_argument("--run-dir", type=Path, required=True)
    _add_trust_flag(e)
    e.add_argument("--format", help="exporter id (omit it to list those for the run's model)")
    e.add_argument("--out", help="output file (omit --format to list the formats)")

    s = sub.add_parser(
        "sample",
        help="sample from a run's latest checkpoint",
        description="Sample from a run's latest checkpoint. A model's sampling options "
        "are -o NAME=VALUE pairs (see 'genai-studio-cli sample --model ID --help-sample'); "
        "Ctrl-C cancels (exit 130, nothing written).",
    )
    s.add_argument("--run-dir", type=Path, help="the run to sample from")
    _add_trust_flag(s)
    s.add_argument(
        "--out", help="output file (JSON, PNG, MIDI... by sample kind; omit it to only print)"
    )
    s.add_argument("--model", help="with --help-sample: the model whose options to list")
    s.add_argument(
        "--help-sample",
        action="store_true",
        help="list the sampling options of --model ID (or of the run in --run-dir)",
    )
    s.add_argument("--seed", type=int, default=0)
    s.add_argument(
        "--step", type=int, help="sample the checkpoint saved at this step (default: the latest)"
    )
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


def _add_trust_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--trust-dataset-path",
        action="store_true",
        help="read the dataset path of a run that was not made here (check it first)",
    )


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if args.threads is not None:
        if args.threads < 1:
            parser.error("--threads: expected a whole number of at least 1")
        os.environ[threads.THREADS_ENV] = str(args.threads)
    # Before anything imports torch: threads from the free cores, passive waiting.
    threads.configure()
    try:
        if args.command == "train":
            if args.help_model:
                if not args.model:
                    raise UsageError("--help-model needs --model")
                spec = common.load_manager(args).model_source(args.model).spec
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
            "recipes": cmd_recipes,
            "sample": cmd_sample,
            "export": cmd_export,
        }[args.command](args)
    except UsageError as exc:
        print(f"genai-studio-cli: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except CheckpointError as exc:  # none intact: what is wrong with each, one line
        print(f"genai-studio-cli: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except (RunDirError, ValueError, KeyError, TensorBoardMissing) as exc:
        # RunLocked (another process trains the run) is a RunDirError: exit 2 too.
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"genai-studio-cli: error: {msg}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:  # read-only folder, disk full, a file where a folder goes
        print(f"genai-studio-cli: error: {_os_error(exc)}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:  # Ctrl-C outside a run (loading, or after its end)
        print("genai-studio-cli: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def run() -> int:
    """The ``genai-studio-cli`` program: ``main`` with the process's own arguments.

    After a run stopped by Ctrl-C, a repeat of it that lands while the interpreter
    shuts down (when Python has put SIGINT back to the system's default) would kill
    the process with SIGINT instead of its exit 130: ignore it from here on."""
    code = main()
    if code == EXIT_INTERRUPTED:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    return code


def _os_error(exc: OSError) -> str:
    """One line for a file-system error: the path, what went wrong, and that the run's
    files are as they were (every write is atomic)."""
    what = exc.strerror or str(exc)
    where = f"{exc.filename}: " if exc.filename else ""
    if exc.errno in (errno.EROFS, errno.ENOSPC, errno.EACCES, errno.EPERM, errno.EDQUOT):
        what += "; nothing was lost (the run's files are as they were)"
    return f"{where}{what}"


__all__ = [
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_NAN",
    "EXIT_OK",
    "EXIT_USAGE",
    "UsageError",
    "build_parser",
    "main",
    "run",
]
