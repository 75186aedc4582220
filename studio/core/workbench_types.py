"""The plain types the workbench hands out: the dataset selection, the events its
observers receive, and the checked train and resume requests. Qt-free, torch-free."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from studio.core.contributions import DatasetSpec, ModelSpec
from studio.core.rundir import RunRecord
from studio.core.settings import EngineSettings

if TYPE_CHECKING:  # pragma: no cover
    from studio.core.session import ModelSource


class WorkbenchError(ValueError):
    """A request the workbench refuses; the message is one line for the user."""


# --- the dataset selection ----------------------------------------------------------
@dataclass(frozen=True)
class DatasetSelection:
    """The dataset the user picked: an embedded ``id``, or a dropped ``path`` read by
    ``reader``. ``kind`` is known once the path was read; ``error`` says why reading it
    failed (then training on it is refused)."""

    id: str | None = None
    path: str | None = None
    reader: str | None = None
    kind: str | None = None
    error: str | None = None

    @property
    def dropped(self) -> bool:
        return self.path is not None

    @property
    def name(self) -> str:
        """What the command line names: the id, or the path."""
        return self.path if self.path is not None else (self.id or "")


def selection_of(dataset: DatasetSpec) -> DatasetSelection:
    """The selection that names ``dataset``."""
    if dataset.path is None:
        return DatasetSelection(id=dataset.id, kind=dataset.kind)
    return DatasetSelection(path=dataset.path, reader=dataset.reader, kind=dataset.kind)


# --- events -------------------------------------------------------------------------
@dataclass(frozen=True)
class ModelChanged:
    model_id: str


@dataclass(frozen=True)
class DatasetChanged:
    selection: DatasetSelection | None


@dataclass(frozen=True)
class PresetChanged:
    preset: str


@dataclass(frozen=True)
class ValuesChanged:
    """The config values or the engine settings changed (a preset, a run shown)."""

    config: Mapping[str, Any]
    settings: EngineSettings


@dataclass(frozen=True)
class Notice:
    """Something to tell the user: ``level`` is info, warning or error."""

    level: str
    text: str


Event = ModelChanged | DatasetChanged | PresetChanged | ValuesChanged | Notice


# --- requests -----------------------------------------------------------------------
@dataclass(frozen=True)
class TrainRequest:
    """A checked request to train a new run; ``make_engine`` creates it."""

    source: ModelSource
    dataset: DatasetSpec
    config: Any
    settings: EngineSettings
    run_path: Path
    resolve: Callable[[RunRecord], Any] | None = None  # loads a run named as the judge

    def make_engine(self, listener: Any = None) -> Any:
        """Create the run directory and an engine ready to ``run()`` (heavy: call it
        off the GUI thread)."""
        from studio.core.session import create_engine

        return create_engine(
            self.source,
            self.dataset,
            self.config,
            self.settings,
            self.run_path,
            listener,
            resolve=self.resolve,
        )


@dataclass(frozen=True)
class ResumeRequest:
    """A checked request to continue a run from its latest checkpoint (step ``done``)
    until step ``target``."""

    run_path: Path
    record: RunRecord
    done: int
    target: int
    resolve: Callable[[RunRecord], Any]
    device: str | None = None

    def make_engine(self, listener: Any = None) -> Any:
        """An engine restored from the checkpoint (heavy: off the GUI thread)."""
        from studio.core.session import resume_engine

        return resume_engine(
            self.run_path,
            self.resolve,
            total_steps=self.target,
            device=self.device,
            listener=listener,
        )


class Plugins(Protocol):
    """What the workbench asks of the plugin manager (``studio.plugins.PluginManager``),
    which the core does not import."""

    models: dict[str, ModelSpec]
    datasets: dict[str, DatasetSpec]
    records: Mapping[str, Any]  # plugin name -> its record (status, errors)

    def model_source(self, model_id: str) -> ModelSource: ...

    def dataset_from_path(self, path: str | Path, reader: str | None = None) -> DatasetSpec: ...

    def dataset_for(self, value: str, reader: str | None = None) -> DatasetSpec: ...

    def resolve_run(self, record: Any, trust_dataset_path: bool = False) -> Any: ...
