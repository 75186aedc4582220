"""Running an engine from the CLI: the progress bar, Ctrl-C and SIGTERM, exit codes."""

from __future__ import annotations

import os
import signal
import sys

from studio.cli.common import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_NAN, EXIT_OK
from studio.cli.progress import ProgressBar
from studio.core.listener import EngineListener


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
