"""The workbench: what the user is about to train, and the rules that decide it.

Qt-free state behind the window (and the CLI's ``train``): the current model, the
selected dataset (an embedded id, or a dropped path and its reader), the preset, the
config values and the engine settings. Its rules:

- ``dataset_for_model``: the selected dataset if the model trains on its kind, else
  the model's default; a selected dropped dataset that cannot be read is an error
  (``DatasetError``), never a silent fallback to other data.
- ``model_for_dataset``: the current model if it trains on a kind, else the first
  installed model that does.
- ``train_request``: everything ``create_engine`` needs, checked.
- ``resume_problem`` / ``resume_request``: whether a run can be continued, and to
  which step.

Observers ``subscribe`` and receive plain frozen event dataclasses after each change
(state is already updated when they run).
"""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from studio.core import config as cfg
from studio.core.contributions import DatasetSpec, ModelSpec
from studio.core.errors import DatasetError
from studio.core.rundir import RunDir, RunDirError, RunRecord, new_run_path
from studio.core.settings import EngineSettings, build_settings, split_settings
from studio.core.workbench_types import (
    DatasetChanged,
    DatasetSelection,
    Event,
    ModelChanged,
    Notice,
    Plugins,
    PresetChanged,
    ResumeRequest,
    TrainRequest,
    ValuesChanged,
    WorkbenchError,
    selection_of,
)

__all__ = [
    "CUSTOM",
    "DatasetChanged",
    "DatasetSelection",
    "Event",
    "ModelChanged",
    "Notice",
    "PresetChanged",
    "ResumeRequest",
    "TrainRequest",
    "ValuesChanged",
    "Workbench",
    "WorkbenchError",
    "selection_of",
]

CUSTOM = "custom"  # the preset name once values were edited by hand
FIRST = object()  # ``set_model(preset=FIRST)``: the model's first preset
LIVE_STATES = ("running", "paused")


# --- the workbench ------------------------------------------------------------------
class Workbench:
    """The model, dataset, preset, config values and settings about to be trained."""

    def __init__(self, manager: Plugins, workspace: Path | str | None = None) -> None:
        self.manager = manager
        self.workspace = Path(workspace) if workspace is not None else None
        self.model_id: str | None = None
        self.selection: DatasetSelection | None = None
        self.preset: str = CUSTOM
        self.config_values: dict[str, Any] = {}
        self.settings = EngineSettings()
        self.training = False
        self._subscribers: list[Callable[[Event], None]] = []

    # --- observers ------------------------------------------------------------------
    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        """Call ``callback(event)`` after every change; returns the unsubscribe function."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    def _emit(self, *events: Event) -> None:
        for event in events:
            for callback in list(self._subscribers):
                callback(event)

    def _values_changed(self) -> ValuesChanged:
        return ValuesChanged(dict(self.config_values), self.settings)

    # --- the model ------------------------------------------------------------------
    @property
    def spec(self) -> ModelSpec | None:
        return self.manager.models.get(self.model_id or "")

    def _spec(self, model_id: str | None = None) -> ModelSpec:
        model_id = model_id or self.model_id
        if model_id is None:
            raise WorkbenchError("choose a model first")
        try:
            return self.manager.model_source(model_id).spec
        except KeyError as exc:
            raise WorkbenchError(str(exc.args[0])) from None

    def set_model(self, model_id: str, preset: Any = FIRST) -> None:
        """Make ``model_id`` current: its default steps, then ``preset`` (default: its
        first preset; ``CUSTOM``: the config's defaults), and the dataset it trains on
        (``dataset_for_model``). Raises ``WorkbenchError`` for an unknown model or
        preset, or while training."""
        if self.training:
            raise WorkbenchError("stop the current training before changing the model")
        spec = self._spec(model_id)
        if preset is FIRST:
            preset = next(iter(spec.presets), CUSTOM)
        self._check_preset(spec, preset)
        self.model_id = spec.id
        self.settings = dataclasses.replace(self.settings, steps=spec.default_steps)
        self._apply_preset(spec, preset)
        events: list[Event] = [ModelChanged(spec.id)]
        try:
            dataset = self.dataset_for_model(spec.id)
        except DatasetError as exc:
            events.append(Notice("error", str(exc)))
        else:
            if dataset is not None and not self._is_selected(dataset):
                self.selection = selection_of(dataset)  # the model's default
                events.append(DatasetChanged(self.selection))
        self._emit(*events, PresetChanged(self.preset), self._values_changed())

    def model_for_dataset(self, kind: str) -> str | None:
        """The current model if it trains on ``kind`` data, else the first installed
        model that does, else ``None``."""
        spec = self.spec
        if spec is not None and kind in spec.dataset_kinds:
            return spec.id
        for model in self.manager.models.values():
            if kind in model.dataset_kinds:
                return model.id
        return None

    # --- the dataset ----------------------------------------------------------------
    def select_dataset(self, dataset_id: str, follow: bool = True) -> None:
        """Select an embedded dataset. With ``follow``, a current model that does not
        train on its kind is replaced by one that does (``model_for_dataset``)."""
        if dataset_id not in self.manager.datasets:
            known = ", ".join(sorted(self.manager.datasets)) or "none"
            raise WorkbenchError(f"unknown dataset {dataset_id!r}; embedded datasets: {known}")
        kind = self.manager.datasets[dataset_id].kind
        self._select(DatasetSelection(id=dataset_id, kind=kind), follow)

    def select_dropped(
        self,
        path: str | Path,
        reader: str | None = None,
        kind: str | None = None,
        error: str | None = None,
        follow: bool = True,
    ) -> None:
        """Select a dropped dataset: ``kind`` once it was read, ``error`` when reading
        it failed (training on it is then refused, with that reason)."""
        selection = DatasetSelection(path=str(path), reader=reader, kind=kind, error=error)
        self._select(selection, follow and error is None and kind is not None)

    def select(self, value: str, reader: str | None = None, follow: bool = True) -> DatasetSpec:
        """Select an embedded dataset id or a path (as the CLI's ``--dataset``), and
        return its spec; ``KeyError``/``DatasetError`` name what is wrong."""
        dataset = self.manager.dataset_for(value, reader)
        self._select(selection_of(dataset), follow)
        return dataset

    def _select(self, selection: DatasetSelection, follow: bool) -> None:
        self.selection = selection
        events: list[Event] = [DatasetChanged(selection)]
        kind = selection.kind
        if follow and not self.training and kind is not None:
            spec = self.spec
            if spec is None or kind not in spec.dataset_kinds:
                model = self.model_for_dataset(kind)
                if model is None:
                    events.append(Notice("warning", f"no installed model trains on {kind} data"))
                else:
                    self._emit(*events)
                    self.set_model(model)  # keeps the selection: the model trains on it
                    return
        self._emit(*events)

    def _is_selected(self, dataset: DatasetSpec) -> bool:
        selection = self.selection
        if selection is None:
            return False
        if dataset.path is None:
            return not selection.dropped and selection.id == dataset.id
        return selection.dropped and Path(selection.path or "").resolve() == Path(dataset.path)

    def _dropped_spec(self, selection: DatasetSelection) -> DatasetSpec:
        path = selection.path or ""
        if selection.error:
            raise DatasetError(f"{path}: cannot be read: {selection.error}")
        try:
            dataset = self.manager.dataset_from_path(path, selection.reader)
        except KeyError:
            raise DatasetError(
                f"{path}: its reader {selection.reader!r} is not installed or its plugin "
                "is disabled"
            ) from None
        return dataset

    def selected_dataset(self) -> DatasetSpec | None:
        """The selected dataset's spec (``None``: nothing selected); ``DatasetError``
        when it is a dropped one that cannot be read, or an embedded one that is gone."""
        selection = self.selection
        if selection is None:
            return None
        if selection.dropped:
            return self._dropped_spec(selection)
        if selection.id not in self.manager.datasets:
            raise DatasetError(
                f"dataset {selection.id!r} is not available: no enabled plugin provides it"
            )
        return self.manager.datasets[selection.id]

    def dataset_for_model(self, model_id: str | None = None) -> DatasetSpec | None:
        """The selected dataset if the model trains on its kind, else the model's
        default (``None`` if it has none). An unreadable or missing selected dropped
        dataset raises ``DatasetError``: it is never silently replaced."""
        spec = self._spec(model_id)
        selection = self.selection
        if selection is not None and selection.dropped:
            dataset = self._dropped_spec(selection)
            if dataset.kind in spec.dataset_kinds:
                return dataset
        elif selection is not None and selection.id in self.manager.datasets:
            dataset = self.manager.datasets[selection.id]
            if dataset.kind in spec.dataset_kinds:
                return dataset
        if not spec.default_dataset:
            return None
        if spec.default_dataset not in self.manager.datasets:
            raise DatasetError(
                f"model {spec.id} trains by default on dataset {spec.default_dataset!r}, "
                "which no enabled plugin provides"
            )
        return self.manager.datasets[spec.default_dataset]

    # --- presets, config values, settings ---------------------------------------------
    @staticmethod
    def _check_preset(spec: ModelSpec, name: str) -> None:
        if name != CUSTOM and name not in spec.presets:
            names = ", ".join(map(repr, spec.presets)) or "none"
            raise WorkbenchError(f"preset {name!r}: model {spec.id} has presets {names}")

    def _apply_preset(self, spec: ModelSpec, name: str) -> None:
        self.preset = name
        if name == CUSTOM:
            self.config_values = {}
            return
        self.config_values, engine = split_settings(spec.presets[name])
        self.settings = build_settings(engine, base=self.settings)

    def set_preset(self, name: str) -> None:
        """Apply a preset of the current model: its config fields over the config's
        defaults, and the engine settings it names (the others stay as they are).
        ``CUSTOM`` keeps the values and only names them custom."""
        spec = self._spec()
        self._check_preset(spec, name)
        if name == CUSTOM:
            self.preset = CUSTOM
            self._emit(PresetChanged(CUSTOM))
            return
        self._apply_preset(spec, name)
        self._emit(PresetChanged(name), self._values_changed())

    def _edited(self) -> list[Event]:
        if self.preset == CUSTOM:
            return []
        self.preset = CUSTOM
        return [PresetChanged(CUSTOM)]

    def _same_config(self, values: Mapping[str, Any]) -> bool:
        """Whether ``values`` make the same config as the current ones (``"0.5"`` and
        ``0.5``, or a default named or left out, are the same)."""
        spec = self._spec()
        try:
            return cfg.build(spec.config_class, values) == self.config()
        except cfg.ConfigError:
            return False

    def update_config(self, values: Mapping[str, Any]) -> None:
        """Set config fields (by name); the preset becomes ``custom`` if the config
        changes. Raises ``ConfigError`` (its message starts with the field's name) for
        a wrong value."""
        spec = self._spec()
        merged = {**self.config_values, **values}
        cfg.build(spec.config_class, merged)  # check before keeping
        if self._same_config(merged):
            self.config_values = merged
            return
        self.config_values = merged
        self._emit(*self._edited(), self._values_changed())

    def set_config_values(self, values: Mapping[str, Any]) -> None:
        """Replace every config value at once (what a form shows); not checked here:
        ``config()`` and ``train_request`` report a wrong value. The preset becomes
        ``custom`` only if the config changes."""
        if dict(values) == self.config_values:
            return
        same = self._same_config(values)
        self.config_values = dict(values)
        if not same:
            self._emit(*self._edited(), self._values_changed())

    def update_settings(self, values: Mapping[str, Any] | EngineSettings) -> None:
        """Set engine settings (by name, or all from an ``EngineSettings``); raises
        ``ConfigError`` (message starting with the setting's name) for a wrong value."""
        if isinstance(values, EngineSettings):
            values = dataclasses.asdict(values)
        settings = build_settings(values, base=self.settings)
        if settings == self.settings:
            return
        self.settings = settings
        self._emit(*self._edited(), self._values_changed())

    def config(self) -> Any:
        """The current model's config instance; ``ConfigError`` for a wrong value."""
        return cfg.build(self._spec().config_class, self.config_values)

    def show_run(self, record: RunRecord) -> None:
        """Show what a run was trained with (preset ``custom``), so a new run repeats
        it; the device and TensorBoard choice stay the user's."""
        spec = self._spec(record.model)
        names = {i.name for i in cfg.describe(spec.config_class)}
        self.model_id = spec.id
        self.preset = CUSTOM
        self.config_values = {k: v for k, v in record.config.items() if k in names}
        saved = record.engine_settings()
        self.settings = dataclasses.replace(
            saved, device=self.settings.device, tensorboard=self.settings.tensorboard
        )
        data = record.dataset
        if data.get("source") == "path":
            self.selection = DatasetSelection(
                path=data.get("path"), reader=data.get("reader"), kind=data.get("kind")
            )
        else:
            self.selection = DatasetSelection(id=data.get("id"), kind=data.get("kind"))
        self._emit(
            ModelChanged(spec.id),
            DatasetChanged(self.selection),
            PresetChanged(CUSTOM),
            self._values_changed(),
        )

    def set_training(self, training: bool) -> None:
        """While a run trains, selecting data changes neither the model nor the values;
        when it ends, a selection made meanwhile is followed."""
        was, self.training = self.training, training
        if was and not training and self.selection is not None:
            self._select(self.selection, follow=True)

    # --- training -------------------------------------------------------------------
    def train_request(self, run_path: Path | str | None = None) -> TrainRequest:
        """Everything a new run needs, checked: the model, the selected dataset (or the
        model's default when none is selected), the config and the settings, and the
        run folder (default: a new one in the workspace). Raises ``WorkbenchError``,
        ``DatasetError`` or ``ConfigError`` with a one-line message."""
        spec = self._spec()
        dataset = self.selected_dataset() if self.selection is not None else None
        if dataset is None:
            dataset = self.dataset_for_model(spec.id)
        if dataset is None:
            raise WorkbenchError(f"{spec.id}: choose a dataset it can train on")
        if dataset.kind not in spec.dataset_kinds:
            raise DatasetError(
                f"{dataset.id} holds {dataset.kind} data, but model {spec.id} trains on "
                f"{', '.join(spec.dataset_kinds)} data"
            )
        config = self.config()
        if run_path is None:
            if self.workspace is None:
                raise WorkbenchError("no run folder: give one")
            run_path = new_run_path(self.workspace, spec.id)
        source = self.manager.model_source(spec.id)
        resolve = getattr(self.manager, "resolve_run", None)  # loads a run named as judge
        return TrainRequest(source, dataset, config, self.settings, Path(run_path), resolve)

    # --- resuming -------------------------------------------------------------------
    def _missing_model(self, run: RunDir, record: RunRecord) -> str:
        plugin = self.manager.records.get(record.plugin)
        head = f"{run.name} was trained with model {record.model} of plugin {record.plugin}"
        if plugin is None:
            return f"{head}, which is not installed"
        if plugin.status == "disabled":
            return f"{head}, which is disabled (enable it in Plugins)"
        if plugin.status == "safe mode":
            return f"{head}, which safe mode does not load"
        if plugin.status in ("failed", "refused"):
            reason = plugin.errors[0][0] if plugin.errors else plugin.status
            return f"{head}, which failed to load: {reason}"
        return f"{head}, which no longer provides that model"

    def _missing_dataset(self, run: RunDir, record: RunRecord, exc: Exception) -> str:
        data = record.dataset
        if data.get("source") == "path":
            reason = exc.args[0] if exc.args else exc
            return f"{run.name} cannot read its data: {reason}"
        disabled = sorted(n for n, r in self.manager.records.items() if r.status == "disabled")
        hint = f" (disabled plugins: {', '.join(disabled)})" if disabled else ""
        return (
            f"{run.name} trained on dataset {data.get('id')!r}, which no enabled plugin "
            f"provides{hint}"
        )

    def resume_problem(self, run_path: Path | str, trust_dataset_path: bool = False) -> str | None:
        """Why the run cannot be continued now (one line), or ``None`` if it can: it is
        unreadable, training (here or in another process), its model or data is
        missing, or its dataset path is not trusted (``core.dataset_trust``). A run
        with no checkpoint yet (killed before its first) starts again from step 0."""
        run = RunDir(run_path)
        try:
            record = run.record()
        except RunDirError as exc:
            return str(exc)
        # Under torchrun only rank 0 writes (and locks) the run: the other ranks of the
        # same job would otherwise find it "training in another process".
        if run.live_state() in LIVE_STATES and os.environ.get("RANK", "0") == "0":
            pid = run.writer_pid() or run.status().get("pid")
            return f"{run.name} is training in another process" + (f" (pid {pid})" if pid else "")
        if record.model not in self.manager.models:
            return self._missing_model(run, record)
        try:
            self.manager.resolve_run(record, trust_dataset_path=trust_dataset_path)
        except (KeyError, DatasetError) as exc:
            return self._missing_dataset(run, record, exc)
        return None

    def resume_request(
        self,
        run_path: Path | str,
        steps: int | None = None,
        *,
        extend: bool = True,
        device: str | None = None,
        trust_dataset_path: bool = False,
    ) -> ResumeRequest:
        """A checked request to continue a run from its latest checkpoint.

        ``steps`` is the target step (``None``: the run's own). With ``extend`` (the
        window's rule) a target not beyond the checkpoint's step means that many more
        steps; without it (the CLI's ``--steps``) a target below it is refused.
        Raises ``WorkbenchError`` with the reason it cannot be resumed.
        """
        if self.training:
            raise WorkbenchError("a run is training: stop it first")
        problem = self.resume_problem(run_path, trust_dataset_path)
        if problem is not None:
            raise WorkbenchError(problem)
        run = RunDir(run_path)
        record = run.record()
        done = max(run.checkpoint_steps(), default=0)
        if steps is None:
            target = max(int(record.steps), done)
        elif int(steps) < 1:
            raise WorkbenchError(f"target step {steps} is below the minimum 1")
        elif extend and steps <= done:
            target = done + int(steps)
        elif not extend and steps < done:
            raise WorkbenchError(
                f"target step {steps} is below the run's step {done} (its latest checkpoint)"
            )
        else:
            target = int(steps)
        resolve = functools.partial(self.manager.resolve_run, trust_dataset_path=trust_dataset_path)
        return ResumeRequest(run.path, record, done, target, resolve, device)
