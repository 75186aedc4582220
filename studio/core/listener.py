"""What the engine reports and how: its result and the listener callbacks. Torch-free,
so the window and the CLI can name them without loading torch before a run starts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from studio.core.samples import Sample


@dataclass
class EngineResult:
    state: str  # finished | stopped | failed | nan
    step: int
    message: str = ""


class EngineListener:
    """Callbacks from the training thread. Override what you need; all are no-ops."""

    def on_start(self, step: int, total: int, device: str) -> None: ...
    def on_metrics(self, row: dict[str, Any]) -> None: ...
    def on_sample(self, step: int, sample: Sample) -> None: ...
    def on_event(self, message: str, level: str) -> None: ...
    def on_state(self, state: str, step: int, message: str) -> None: ...
