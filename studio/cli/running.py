"""Running an engine from the CLI: the progress bar, Ctrl-C and SIGTERM, exit codes."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time

from studio.cli.common import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_NAN, EXIT_OK
from studio.cli.progress import ProgressBar
from studio.core.listener import EngineListener
from studio.plugins import PluginManager

# Ctrl-C pressed again within this many seconds of the first is the same request (a
# double tap, a terminal sending two): the run still checkpoints and exits 130. Later,
# it aborts at once.
REPEAT_S = 2.0


def _progress() -> EngineListener | None:
    """The progress bar; under torchrun only rank 0 shows one."""
    if os.environ.get("RANK", "0") != "0":
        return None
    return ProgressBar()


def _failure_line(engine, result, manager: PluginManager | None) -> str:
    """The one line for a failed run: which plugin failed, training which model."""
    try:
        model = engine.run_dir.record().model
    except Exception:  # a run folder not readable any more: say what is known
        model = None
    plugin = manager.provider("model", model) if manager is not None and model else None
    if plugin and model:
        return f"plugin {plugin} failed while training {model}: {result.message}"
    if model:
        return f"training {model} failed: {result.message}"
    return f"failed: {result.message}"


def _abort(engine) -> None:
    """A second Ctrl-C well after the first: leave now, saying what is kept."""
    step = engine.run_dir.checkpoint_steps()[-1:] or [None]
    kept = f"the checkpoint at step {step[0]}" if step[0] is not None else "no checkpoint"
    with contextlib.suppress(Exception):  # exiting anyway: the status is what it was
        engine.run_dir.write_status("stopped", engine.step, "aborted with Ctrl-C")
    print(f"\naborted: {kept} is kept", file=sys.stderr)
    sys.stderr.flush()
    os._exit(EXIT_INTERRUPTED)


def _run_engine(engine, manager: PluginManager | None = None) -> int:
    """Run ``engine`` to its end and return the exit code; ``manager`` names the
    plugin of a model that fails."""
    previous = signal.getsignal(signal.SIGINT)
    first_sigint: list[float] = []

    def on_sigint(signum, frame):
        now = time.monotonic()
        if first_sigint:
            if now - first_sigint[0] > REPEAT_S and engine.dist.is_main:
                _abort(engine)
            return  # the stop is already on its way
        first_sigint.append(now)
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
        try:
            result = engine.run()
        finally:
            if engine.dist.enabled:
                from studio.core.distributed import teardown

                teardown(clean=result is not None and result.state != "failed")
        code = _report(engine, result, manager, bool(first_sigint), terminated["yes"])
        if engine.dist.enabled:  # a torchrun worker: out, without finalization
            from studio.core.distributed import exit_now

            exit_now(code)
        return code
    finally:
        # Only now: a Ctrl-C during the final checkpoint, the teardown or the report is
        # the same request, not a KeyboardInterrupt traceback. A repeat of the first
        # Ctrl-C that arrives after the run has ended (a double tap on a run that
        # stopped at once) is still the same request: it is swallowed, not raised.
        signal.signal(signal.SIGINT, _late_repeat(first_sigint, previous))
        signal.signal(signal.SIGTERM, previous_term)


def _late_repeat(first_sigint: list[float], previous):
    """The SIGINT handler once a run has ended: ``previous``, except for a repeat
    within ``REPEAT_S`` of the Ctrl-C that stopped the run."""
    if not first_sigint:
        return previous

    def handler(signum, frame):
        if time.monotonic() - first_sigint[0] <= REPEAT_S:
            return
        if callable(previous):
            previous(signum, frame)
        elif previous != signal.SIG_IGN:
            raise KeyboardInterrupt

    return handler


def _report(engine, result, manager, interrupted: bool, terminated: bool) -> int:
    """Say how the run ended (once) and return the exit code."""
    if engine.dist.is_main:
        shown = result.message.splitlines()[0] if result.message else ""
        for message in getattr(engine.listener, "errors", []):
            if message.splitlines()[0] != shown:  # the end itself is said once, below
                print(f"error: {message.splitlines()[0]}", file=sys.stderr)
        if result.state == "failed":
            line = _failure_line(engine, result, manager)
            print(f"genai-studio-cli: error: {line}", file=sys.stderr)
        else:
            print(f"{result.state}: {result.message}", file=sys.stderr)
        print(f"run directory: {engine.run_dir.path}", file=sys.stderr)
    if interrupted or (terminated and result.state == "stopped"):
        return EXIT_INTERRUPTED
    return {"finished": EXIT_OK, "stopped": EXIT_OK, "nan": EXIT_NAN}.get(result.state, EXIT_FAILED)
