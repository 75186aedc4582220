"""What the app tells a sampling widget about the current run (Qt-free, read-only).

A widget never reads run folders itself: it gets a ``RunHandle`` with the run's
record, its model config (an instance of the model's ``config_class``), the dataset
reference, the class names when the data had classes, and ways to list checkpoints
and preview samples and to load one.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.core import config as cfg
from studio.core.contributions import ModelSpec
from studio.core.rundir import RunDir, RunRecord
from studio.core.samples import Sample, SampleFormatError, load_sample


def run_config(config_class: type, values: dict[str, Any]) -> Any:
    """The model config of a run: ``cfg.build``, except that keys the model no longer
    has are left out (a run written by an older release of the plugin still opens)."""
    known = {f.name for f in dataclasses.fields(config_class)}
    return cfg.build(config_class, {k: v for k, v in values.items() if k in known})


def moved_settings(config_class: type, values: dict[str, Any]) -> dict[str, Any]:
    """Engine settings that an older run kept in its model config: a config class lists
    such keys in a ``moved_to_engine`` class attribute (old key -> engine setting)."""
    moved = getattr(config_class, "moved_to_engine", None) or {}
    return {setting: values[old] for old, setting in moved.items() if old in values}


def _class_names(run: RunDir, record: RunRecord) -> list[str] | None:
    """The run's class names: recorded with its dataset (``classes``, or in the
    model's ``prep`` record), else the labels of its latest labelled preview."""
    data = record.dataset if isinstance(record.dataset, dict) else {}
    for source in (data, data.get("prep") if isinstance(data.get("prep"), dict) else {}):
        names = source.get("classes")
        if isinstance(names, list) and names:
            return [str(n) for n in names]
    files = run.sample_files()
    if not files:
        return None
    try:
        sample = load_sample(files[-1][1])
    except (SampleFormatError, OSError, ValueError):
        return None
    labels = getattr(sample, "labels", None)
    if not labels:
        return None
    return list(dict.fromkeys(str(x) for x in labels))  # unique, in order of appearance


@dataclass(frozen=True)
class RunHandle:
    """A run as a sampling widget sees it. Build it with ``RunHandle.open(path, spec)``.

    Attributes:
        path: the run folder.
        name: its name (the folder's name).
        model_id: the model that trained it.
        record: the run's ``config.json`` (``RunRecord``).
        config: the model config, an instance of the model's ``config_class``.
        dataset: the dataset reference recorded with the run (id, source, kind...).
        class_names: the classes of the data it was trained on, if it had classes.
    """

    path: Path
    name: str
    model_id: str
    record: RunRecord
    config: Any
    dataset: dict[str, Any]
    class_names: list[str] | None = None
    sample_kind: str = ""  # the model's sample kind, when the handle was given the model

    @classmethod
    def open(cls, path: Path | str, spec: ModelSpec | None = None) -> RunHandle:
        """Read the run at ``path``; ``spec`` (the run's model) types its config.

        Raises ``RunDirError`` when ``path`` holds no readable run.
        """
        run = RunDir(path)
        record = run.record()
        config: Any = dict(record.config)
        if spec is not None:
            try:
                config = run_config(spec.config_class, record.config)
            except cfg.ConfigError:
                config = dict(record.config)  # a value out of today's range: raw values
        return cls(
            path=run.path,
            name=run.name,
            model_id=record.model,
            record=record,
            config=config,
            dataset=dict(record.dataset) if isinstance(record.dataset, dict) else {},
            class_names=_class_names(run, record),
            sample_kind=spec.sample_kind if spec is not None else "",
        )

    @property
    def _run(self) -> RunDir:
        return RunDir(self.path)

    def checkpoint_steps(self) -> list[int]:
        """Steps of the run's checkpoints, oldest first."""
        return self._run.checkpoint_steps()

    def sample_files(self) -> list[tuple[int, Path]]:
        """(step, file) of the preview samples written during training, by step."""
        return self._run.sample_files()

    def load_sample(self, step: int) -> Sample:
        """The preview sample written at ``step`` (``KeyError`` if there is none)."""
        for at, path in self.sample_files():
            if at == step:
                return load_sample(path, prefer=self.sample_kind)
        raise KeyError(f"run {self.name} has no sample at step {step}")

    def status(self) -> dict[str, Any]:
        """The run's ``status.json`` (state, step, message...)."""
        return self._run.status()


__all__ = ["RunHandle", "moved_settings", "run_config"]
