"""What the engine reports and how: its result, the listener callbacks, and the typed
update that carries a batch of callbacks across threads. Torch-free, so the window and
the CLI can name them without loading torch before a run starts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

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


class EngineEvent(NamedTuple):
    """A log line from the engine: ``level`` is INFO, WARNING or ERROR; an ERROR's
    ``message`` is one line, then the traceback."""

    message: str
    level: str


class StateChange(NamedTuple):
    """The engine went ``running``, ``paused``, ``finished``... at ``step``."""

    state: str
    step: int
    message: str


class SampleAt(NamedTuple):
    """A preview sample the engine made at ``step``."""

    step: int
    sample: Sample


@dataclass(frozen=True)
class TrainingUpdate:
    """What the engine reported since the previous update, in the order it happened:
    the batch that crosses from the training thread to the GUI (about 15 a second,
    whatever the step rate). Immutable, so the receiver may keep it."""

    metrics: tuple[dict[str, Any], ...] = ()  # rows as in metrics.jsonl
    samples: tuple[SampleAt, ...] = ()
    events: tuple[EngineEvent, ...] = ()
    states: tuple[StateChange, ...] = ()
    step: int | None = None  # the latest step reported, None if no step was
    total: int = 0  # the run's target step
    rate: float = 0.0  # steps a second, smoothed; 0 until known

    @property
    def errors(self) -> tuple[EngineEvent, ...]:
        """The ERROR events of this update."""
        return tuple(e for e in self.events if e.level == "ERROR")
