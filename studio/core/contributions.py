"""What a plugin contributes: models, datasets, dataset readers, exporters, and (1.1)
sample kinds and their views.

These are plain, Qt-free and torch-free descriptions. The heavy parts (networks,
trainers, widgets, loaders) are *factories* that a plugin implements with lazy
imports, so that listing contributions never loads torch or Qt.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.core.config import check_conditions

# Engine settings a preset may also set besides config fields: every EngineSettings field.
from studio.core.settings import ENGINE_PRESET_KEYS

if TYPE_CHECKING:  # pragma: no cover
    from studio.core.datasets import LoadedDataset
    from studio.core.samples import Sample
    from studio.core.trainer import Trainer

# The plugin contract's version. A plugin declares the version it was written for
# (``STUDIO_API = "1.1"`` in its hook module); a different major version, or a newer
# minor one, is refused. 1.0 plugins load unchanged.
API_VERSION = "1.1"

_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


class ContributionError(ValueError):
    """A contribution is malformed (bad id, missing factory, config not a dataclass...)."""


def _check_id(kind: str, value: str) -> None:
    if not isinstance(value, str) or not _ID.match(value):
        raise ContributionError(
            f"{kind} id {value!r} must be lower-case letters, digits, '-', '_' or '.'"
        )


@dataclass(frozen=True)
class ModelSpec:
    """A trainable generative model.

    Attributes:
        id: stable identifier used in run directories and the CLI (``gan-shape``).
        name: human name shown in the model picker.
        description: one or two sentences for the UI.
        dataset_kinds: the dataset kinds (``DatasetSpec.kind``) this model trains on.
        config_class: a dataclass whose fields are the model's hyper-parameters; the
            UI form and CLI flags are generated from it (see ``studio.api.param``).
        trainer_factory: ``(config, dataset, device) -> Trainer``; import torch inside.
        default_dataset: id of the embedded dataset used when the user picks none.
        presets: named partial configs, e.g. ``{"book": {...}, "quick CPU": {...}}``;
            a preset may also set engine settings (``steps``, ``sample_every``...).
        default_steps: a sensible number of training steps for the first preset.
        widget_factory: ``(context) -> QWidget`` building the sampling widget; import Qt
            inside. ``None`` means the app shows its generic sample view.
        sample_kind: the kind of sample the model produces (``points``, ``numbers``,
            ``images``, ``text``...), which the gallery knows how to render.
        sample_options: a dataclass whose fields (``studio.api.param``) are the model's
            sampling options; the Explore controls, ``sample -o NAME=VALUE`` and
            ``sample --help-sample`` are generated from it, and the trainer's
            ``sample``/``sample_stream`` receive an instance. ``None``: a 1.0 model
            (options travel as keywords).
    """

    id: str
    name: str
    description: str
    dataset_kinds: tuple[str, ...]
    config_class: type
    trainer_factory: Callable[[Any, LoadedDataset, Any], Trainer]
    default_dataset: str | None = None
    presets: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    default_steps: int = 1000
    widget_factory: Callable[[Any], Any] | None = None
    sample_kind: str = "generic"
    sample_options: type | None = None

    def validate(self) -> None:
        """Raise ``ContributionError`` naming what is malformed."""
        _check_id("model", self.id)
        if self.sample_options is not None and not dataclasses.is_dataclass(self.sample_options):
            raise ContributionError(f"model {self.id}: sample_options must be a dataclass")
        if not dataclasses.is_dataclass(self.config_class):
            raise ContributionError(f"model {self.id}: config_class must be a dataclass")
        if not callable(self.trainer_factory):
            raise ContributionError(f"model {self.id}: trainer_factory must be callable")
        if not self.dataset_kinds:
            raise ContributionError(f"model {self.id}: dataset_kinds is empty")
        for fields in (self.config_class, self.sample_options):
            if fields is None:
                continue
            try:  # a wrong active_when: refused here, not when the form is built
                check_conditions(fields)
            except TypeError as exc:
                raise ContributionError(f"model {self.id}: {exc}") from None
        names = {f.name for f in dataclasses.fields(self.config_class)}
        for preset, values in self.presets.items():
            unknown = set(values) - names - ENGINE_PRESET_KEYS
            if unknown:
                raise ContributionError(
                    f"model {self.id}: preset {preset!r} sets unknown fields {sorted(unknown)}"
                )


@dataclass(frozen=True)
class DatasetSpec:
    """An embedded dataset: generated in code or shipped inside a package (no download).

    Attributes:
        id: stable identifier (``exponential-curve``).
        name, description: for the dataset browser.
        kind: what the data is (``points2d``, ``onehot-numbers``, ``images``,
            ``labelled-images``, ``text``, ``text-pairs``, ``music``...); models
            declare which kinds they accept.
        loader: ``() -> LoadedDataset``; import torch inside.
        items: number of items, if known without loading (shown in the browser).
        path, reader: set for a dataset read from the user's files (``id`` is then the
            path): where it is and the id of the reader that reads it. A run records
            both, so resuming reads the same files the same way.
    """

    id: str
    name: str
    description: str
    kind: str
    loader: Callable[[], LoadedDataset]
    items: int | None = None
    path: str | None = None
    reader: str | None = None

    def validate(self) -> None:
        """Raise ``ContributionError`` naming what is malformed."""
        _check_id("dataset", self.id)
        if not callable(self.loader):
            raise ContributionError(f"dataset {self.id}: loader must be callable")


@dataclass(frozen=True)
class ReaderSpec:
    """A dataset reader: turns a dropped path (folder, file, archive) into a dataset.

    Attributes:
        id: identifier (``image-folder``).
        name: shown when the user must choose between tied readers.
        kind: the dataset kind it produces.
        accepts: ``(path) -> bool``; cheap (look at names and a few bytes, not the data).
        load: ``(path) -> LoadedDataset``.
        priority: the highest priority among accepting readers wins; ties ask the user.
        patterns: file name patterns it understands (``*.png``), for messages and dialogs.
    """

    id: str
    name: str
    kind: str
    accepts: Callable[[Path], bool]
    load: Callable[[Path], LoadedDataset]
    priority: int = 0
    patterns: tuple[str, ...] = ()

    def validate(self) -> None:
        """Raise ``ContributionError`` naming what is malformed."""
        _check_id("reader", self.id)
        if not (callable(self.accepts) and callable(self.load)):
            raise ContributionError(f"reader {self.id}: accepts and load must be callable")


@dataclass(frozen=True)
class ExporterSpec:
    """An exporter: writes a trained run or a sample to another format.

    Attributes:
        id: identifier (``onnx``, ``png-grid``, ``midi``).
        name: menu text.
        suffix: the file suffix it writes (``.onnx``).
        applies_to: model ids or sample kinds it handles (empty: all).
        export: ``(source, path) -> None`` where ``source`` is a ``Sample`` or a
            ``Trainer`` holding trained weights.
    """

    id: str
    name: str
    suffix: str
    export: Callable[[Sample | Trainer, Path], None]
    applies_to: tuple[str, ...] = ()

    def validate(self) -> None:
        """Raise ``ContributionError`` naming what is malformed."""
        _check_id("exporter", self.id)
        if not callable(self.export):
            raise ContributionError(f"exporter {self.id}: export must be callable")


@dataclass(frozen=True)
class SampleKindSpec:
    """A sample kind (contract 1.1): what a model's ``sample()`` returns and what the
    run's ``samples/`` folder holds.

    Attributes:
        kind: the kind's name (``points``, ``piano-roll``); equal to
            ``sample_class.kind``. Models name it in ``ModelSpec.sample_kind``.
        sample_class: a ``studio.api.Sample`` subclass, Qt-free and torch-free, that
            writes itself to a file (``save(stem) -> Path``, with its ``suffix``) and
            reads itself back (``load(path)`` classmethod).
        description: one line for the plugin manager.
    """

    kind: str
    sample_class: type
    description: str = ""

    @property
    def id(self) -> str:
        """The kind: the key the plugin manager files it under."""
        return self.kind

    def validate(self) -> None:
        """Raise ``ContributionError`` naming what is malformed."""
        from studio.core.samples import Sample

        _check_id("sample kind", self.kind)
        if not (isinstance(self.sample_class, type) and issubclass(self.sample_class, Sample)):
            raise ContributionError(f"sample kind {self.kind}: sample_class must subclass Sample")
        if self.sample_class.kind != self.kind:
            raise ContributionError(
                f"sample kind {self.kind}: {self.sample_class.__name__}.kind is "
                f"{self.sample_class.kind!r}; the files it writes would name that kind"
            )


@dataclass(frozen=True)
class SampleViewSpec:
    """How the gallery, the compare view and Explore render a sample kind (1.1).

    Attributes:
        kind: the sample kind it renders (contributed by this plugin or another).
        factory: ``() -> SampleView`` (a ``studio.api_qt.SampleView`` subclass whose
            ``show_sample(sample)`` renders one sample); import Qt inside.
    """

    kind: str
    factory: Callable[[], Any]

    @property
    def id(self) -> str:
        """The kind: the key the plugin manager files it under."""
        return self.kind

    def validate(self) -> None:
        """Raise ``ContributionError`` naming what is malformed."""
        _check_id("sample view", self.kind)
        if not callable(self.factory):
            raise ContributionError(f"sample view {self.kind}: factory must be callable")
