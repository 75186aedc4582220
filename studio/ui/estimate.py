"""How long a run will take on this computer, from what this computer measured: the
speed of the newest earlier runs of the same model and batch size in the workspace
(their metrics rows carry wall time). No guess where nothing was measured."""

from __future__ import annotations

from pathlib import Path

from studio.core.rundir import RunDirError, list_runs
from studio.core.timefmt import format_eta

LONG_RUN_S = 3600.0  # past this, a CPU run is worth a question first


def past_rate(workspace: Path, model_id: str, batch_size: object = None) -> float | None:
    """Steps a second of the newest earlier run of ``model_id`` (same batch size when
    given) that ran at least 20 steps; None if there is none."""
    for run in list_runs(Path(workspace))[:30]:
        try:
            record = run.record()
        except RunDirError:
            continue
        if record.model != model_id:
            continue
        if batch_size is not None and str(record.config.get("batch_size", batch_size)) != str(
            batch_size
        ):
            continue
        rows = [r for r in run.read_metrics() if "time" in r and "step" in r]
        if len(rows) < 2:
            continue
        steps = rows[-1]["step"] - rows[0]["step"]
        seconds = float(rows[-1]["time"]) - float(rows[0]["time"])
        if steps >= 20 and seconds > 0:
            return steps / seconds
    return None


def describe(steps: int, rate: float | None) -> str:
    """``about 30 s on this computer``, or what will tell the time."""
    if rate is None:
        return "the time left shows in the status bar once it runs"
    return f"about {format_eta(steps / rate)} on this computer (measured by an earlier run)"
