"""Optional TensorBoard event files beside a run's own files, so existing tooling can
read a run: every logged scalar, and image samples (text samples as text).

Needs the ``tensorboard`` package (``pip install genai-studio[tensorboard]``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from studio.core.listener import EngineListener
from studio.core.samples import Images, Sample, Text

SKIP = frozenset({"step", "time", "epoch"})


class TensorBoardMissing(RuntimeError):
    """The tensorboard package is not installed."""


def _writer(logdir: Path):
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        raise TensorBoardMissing(
            "TensorBoard event files need the tensorboard package: "
            "pip install 'genai-studio[tensorboard]' (or pip install tensorboard)"
        ) from None
    return SummaryWriter(log_dir=str(logdir))


class TensorBoardListener(EngineListener):
    """Writes ``<run>/tensorboard/events.out.tfevents.*``."""

    def __init__(self, run_path: Path) -> None:
        self.logdir = Path(run_path) / "tensorboard"
        self.writer = _writer(self.logdir)

    def on_metrics(self, row: dict[str, Any]) -> None:
        step = int(row["step"])
        for key, value in row.items():
            if key not in SKIP and isinstance(value, (int, float)):
                self.writer.add_scalar(key, value, step)

    def on_sample(self, step: int, sample: Sample) -> None:
        if isinstance(sample, Images):
            self.writer.add_image("samples", sample.grid(), step, dataformats="HWC")
        elif isinstance(sample, Text):
            body = "\n\n---\n\n".join(sample.texts)
            self.writer.add_text("samples", body, step)

    def on_state(self, state: str, step: int, message: str) -> None:
        if state in ("running", "paused"):
            self.writer.flush()
        else:
            self.writer.close()


class Listeners(EngineListener):
    """Several listeners as one (the progress bar and TensorBoard, say)."""

    def __init__(self, *listeners: EngineListener | None) -> None:
        self.listeners = [item for item in listeners if item is not None]

    def on_start(self, step: int, total: int, device: str) -> None:
        for item in self.listeners:
            item.on_start(step, total, device)

    def on_metrics(self, row: dict[str, Any]) -> None:
        for item in self.listeners:
            item.on_metrics(row)

    def on_sample(self, step: int, sample: Sample) -> None:
        for item in self.listeners:
            item.on_sample(step, sample)

    def on_event(self, message: str, level: str) -> None:
        for item in self.listeners:
            item.on_event(message, level)

    def on_state(self, state: str, step: int, message: str) -> None:
        for item in self.listeners:
            item.on_state(state, step, message)
