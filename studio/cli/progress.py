"""The CLI's progress bar: one line on stderr, redrawn in place on a terminal."""

from __future__ import annotations

import sys
import time
from typing import Any

from studio.core.listener import EngineListener
from studio.core.timefmt import format_eta


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
        self.errors: list[str] = []

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
        eta = format_eta((self.total - step) / rate) if rate > 0 else "?"
        line = f"[{bar}] {step}/{self.total} {rate:.1f} it/s ETA {eta} {losses}"
        if self.tty:
            self.stream.write("\r" + line[:150].ljust(100))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def on_event(self, message: str, level: str) -> None:
        if level == "ERROR":
            # The engine's errors end the run, and the CLI says how it ended once (with
            # the plugin and the model): kept for that report, not printed twice.
            self.errors.append(message)
        elif level == "WARNING":
            if self.tty:
                self.stream.write("\n")
            print(f"warning: {message.splitlines()[0]}", file=self.stream)

    def on_state(self, state: str, step: int, message: str) -> None:
        if state in ("finished", "stopped", "failed", "nan") and self.tty:
            self.stream.write("\n")
