"""The run directory: the single source of truth shared by the GUI, the CLI and torchrun.

::

    <run>/config.json       what was trained: plugin, model, config, dataset, seed, device
    <run>/status.json       state (running, paused, finished, stopped, failed, nan), step, message
    <run>/metrics.jsonl     one JSON object a line: step, time, named scalars
    <run>/events.log        human-readable log
    <run>/samples/step_NNNNNNN.{json,png}
    <run>/checkpoints/step_NNNNNNN/
"""

from __future__ import annotations

import errno
import json
import math
import os
import socket
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from studio.core.atomic import atomic_write_text
from studio.core.checkpoint import latest_checkpoint, list_checkpoints
from studio.core.settings import EngineSettings, settings_from_record, settings_to_dict

STATES = ("created", "running", "paused", "finished", "stopped", "failed", "nan")
# Not written by anyone: what ``live_state`` reports for a run whose process is gone
# (killed, crashed, power cut) while nobody holds its lock and its status still says
# running or paused.
INTERRUPTED = "interrupted"


class RunDirError(RuntimeError):
    """The folder is not a run, or its config.json is unreadable."""


# The engine settings an old config.json (before one ``settings`` record) kept at its
# top level, and those it kept in ``extra``.
_OLD_TOP_SETTINGS = ("seed", "device", "precision", "steps", "sample_every", "checkpoint_every")
_OLD_EXTRA_SETTINGS = ("epochs", "validate_every", "keep_checkpoints", "tensorboard")


def _setting(name: str, doc: str) -> property:
    """A read/write view of one engine setting, for code written against the old fields."""

    def get(self: RunRecord) -> Any:
        return self.settings.get(name, getattr(EngineSettings, name))

    def set_(self: RunRecord, value: Any) -> None:
        self.settings[name] = value

    return property(get, set_, doc=doc)


@dataclass(init=False)
class RunRecord:
    """The content of ``config.json``: what was trained (plugin, model, its config, the
    dataset) and how (``settings``: the ``EngineSettings`` as a dict; ``device`` is the
    one the run was trained on). ``extra`` holds facts that are not settings
    (``world_size``).

    ``record.steps``, ``record.seed``... read and write ``settings``; an old
    ``config.json`` (those at the top level, the rest in ``extra``) reads the same.
    """

    model: str
    plugin: str
    plugin_version: str
    config: dict[str, Any]
    dataset: dict[str, Any]
    settings: dict[str, Any]
    studio_version: str
    api_version: str
    created: str
    extra: dict[str, Any]

    def __init__(
        self,
        model: str,
        plugin: str,
        plugin_version: str,
        config: dict[str, Any],
        dataset: dict[str, Any],
        settings: dict[str, Any] | EngineSettings | None = None,
        studio_version: str = "",
        api_version: str = "",
        created: str | None = None,
        extra: dict[str, Any] | None = None,
        **old_settings: Any,
    ) -> None:
        unknown = set(old_settings) - set(_OLD_TOP_SETTINGS) - set(_OLD_EXTRA_SETTINGS)
        if unknown:
            raise TypeError(f"RunRecord() got unexpected arguments {sorted(unknown)}")
        self.model = model
        self.plugin = plugin
        self.plugin_version = plugin_version
        self.config = config
        self.dataset = dataset
        if isinstance(settings, EngineSettings):
            settings = settings_to_dict(settings)
        self.settings = {**old_settings, **(settings or {})}
        self.studio_version = studio_version
        self.api_version = api_version
        self.created = created or datetime.now(UTC).isoformat(timespec="seconds")
        self.extra = dict(extra or {})

    steps = _setting("steps", "Train until this step.")
    epochs = _setting("epochs", "Passes over the data (0: ``steps`` decides).")
    seed = _setting("seed", "The run's seed.")
    device = _setting("device", "The device the run was trained on.")
    precision = _setting("precision", "fp32, bf16 or fp16.")
    sample_every = _setting("sample_every", "Preview samples every N steps.")
    checkpoint_every = _setting("checkpoint_every", "Checkpoint every N steps.")
    checkpoint_minutes = _setting("checkpoint_minutes", "Also checkpoint every N minutes.")
    validate_every = _setting("validate_every", "Validation metrics every N steps.")
    keep_checkpoints = _setting("keep_checkpoints", "How many checkpoints are kept.")
    tensorboard = _setting("tensorboard", "Whether TensorBoard files are written.")

    def engine_settings(self) -> EngineSettings:
        """The settings as ``EngineSettings`` (defaults for what an older run lacks)."""
        return settings_from_record(self.settings)

    def to_dict(self) -> dict[str, Any]:
        """What ``config.json`` holds."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunRecord:
        """A record from ``config.json``, in today's format or the older one."""
        known = {f for f in cls.__dataclass_fields__}
        kwargs = {k: v for k, v in data.items() if k in known}
        if not isinstance(kwargs.get("settings"), dict):
            extra = data.get("extra") if isinstance(data.get("extra"), dict) else {}
            old = {k: data[k] for k in _OLD_TOP_SETTINGS if k in data}
            old.update({k: extra[k] for k in _OLD_EXTRA_SETTINGS if k in extra})
            kwargs["settings"] = old
        for name in ("model", "plugin", "plugin_version", "config", "dataset"):
            if name not in kwargs:
                raise TypeError(f"missing {name!r}")
        return cls(**kwargs)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class RunDir:
    """Reads and writes one run directory."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    # --- layout -------------------------------------------------------------
    @property
    def config_path(self) -> Path:
        return self.path / "config.json"

    @property
    def status_path(self) -> Path:
        return self.path / "status.json"

    @property
    def metrics_path(self) -> Path:
        return self.path / "metrics.jsonl"

    @property
    def events_path(self) -> Path:
        return self.path / "events.log"

    @property
    def samples_dir(self) -> Path:
        return self.path / "samples"

    @property
    def checkpoints_dir(self) -> Path:
        return self.path / "checkpoints"

    @property
    def name(self) -> str:
        return self.path.name

    def is_run(self) -> bool:
        return self.config_path.is_file()

    # --- config -------------------------------------------------------------
    @classmethod
    def create(cls, path: Path | str, record: RunRecord) -> RunDir:
        run = cls(path)
        if run.path.exists() and not run.path.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, "is a file, not a run folder", str(run.path))
        if run.is_run():
            raise RunDirError(
                f"{run.path} already holds a run; use --resume to continue it "
                "or choose another folder"
            )
        run.path.mkdir(parents=True, exist_ok=True)
        run.samples_dir.mkdir(exist_ok=True)
        run.checkpoints_dir.mkdir(exist_ok=True)
        run.write_record(record)
        run.write_status("created", 0)
        return run

    def write_record(self, record: RunRecord) -> None:
        atomic_write_text(self.config_path, json.dumps(asdict(record), indent=2) + "\n")

    def record(self) -> RunRecord:
        try:
            return RunRecord.from_dict(json.loads(self.config_path.read_text()))
        except FileNotFoundError:
            raise RunDirError(f"{self.path} is not a run folder (no config.json)") from None
        except NotADirectoryError:
            raise NotADirectoryError(
                errno.ENOTDIR, "is a file, not a run folder", str(self.path)
            ) from None
        except (OSError, ValueError, TypeError) as exc:
            raise RunDirError(f"{self.config_path} is unreadable: {exc}") from exc

    # --- status -------------------------------------------------------------
    def write_status(self, state: str, step: int, message: str = "", **extra: Any) -> None:
        assert state in STATES, state
        doc = {
            "state": state,
            "step": step,
            "message": message,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "updated": _now(),
            **extra,
        }
        atomic_write_text(self.status_path, json.dumps(doc) + "\n")

    def status(self) -> dict[str, Any]:
        try:
            return json.loads(self.status_path.read_text())
        except (OSError, ValueError):
            return {"state": "created" if self.is_run() else "unknown", "step": 0, "message": ""}

    def live_state(self) -> str:
        """The state; ``running`` (or ``paused``) while a process holds the run's lock,
        whatever status.json says yet; ``interrupted`` when the status says
        running/paused but nobody holds the lock and the process that wrote it (on this
        machine) no longer exists."""
        from studio.core.runlock import holder

        status = self.status()
        state = status.get("state", "unknown")
        if holder(self.path) is not None:
            return state if state == "paused" else "running"
        here = status.get("host") == socket.gethostname()
        if state in ("running", "paused") and here and not _pid_alive(status.get("pid")):
            return INTERRUPTED
        return state

    def writer_pid(self) -> int | None:
        """The pid of the process training this run now (``0``: unknown), or ``None``."""
        from studio.core.runlock import holder

        return holder(self.path)

    # --- metrics and events ------------------------------------------------------
    def append_metrics(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        with open(self.metrics_path, "a", encoding="utf-8") as fh:
            fh.write("".join(_metrics_line(r) for r in rows))

    def read_metrics(self) -> list[dict[str, Any]]:
        """All complete metric rows (a partly written last line is ignored)."""
        return self.read_metrics_from(0)[0]

    def read_metrics_from(self, offset: int) -> tuple[list[dict[str, Any]], int]:
        """Complete rows written after byte ``offset``, and the offset to continue from
        (to follow a run another process is writing)."""
        rows = []
        try:
            with open(self.metrics_path, "rb") as fh:
                fh.seek(offset)
                data = fh.read()
        except FileNotFoundError:
            return rows, offset
        end = data.rfind(b"\n") + 1
        for line in data[:end].splitlines():
            try:
                row = json.loads(line)  # also reads the bare NaN older releases wrote
            except ValueError:
                continue
            if isinstance(row, dict):
                rows.append(_decode_row(row))
        return rows, offset + end

    def truncate_metrics_after(self, step: int) -> None:
        """Drop rows past ``step`` (written after the checkpoint a resume starts from)."""
        rows = [r for r in self.read_metrics() if r.get("step", 0) <= step]
        atomic_write_text(self.metrics_path, "".join(_metrics_line(r) for r in rows))

    def log_event(self, message: str, level: str = "INFO") -> None:
        with open(self.events_path, "a", encoding="utf-8") as fh:
            for line in message.rstrip("\n").splitlines() or [""]:
                fh.write(f"{_now()} {level:<5} {line}\n")

    def events(self) -> str:
        try:
            return self.events_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return ""

    # --- samples and checkpoints ---------------------------------------------------
    def sample_stem(self, step: int) -> Path:
        return self.samples_dir / f"step_{step:07d}"

    def sample_files(self) -> list[tuple[int, Path]]:
        out = []
        if self.samples_dir.is_dir():
            for p in self.samples_dir.iterdir():
                if p.name.startswith("step_") and not p.name.startswith("."):
                    try:
                        out.append((int(p.stem[5:]), p))
                    except ValueError:
                        continue
        return sorted(out)

    def latest_checkpoint(self) -> Path | None:
        return latest_checkpoint(self.checkpoints_dir)

    def checkpoint_steps(self) -> list[int]:
        return [s for s, _ in list_checkpoints(self.checkpoints_dir)]


# A NaN or infinite metric is written as one of these strings: JSON has no NaN, and
# metrics.jsonl must stay readable by any JSON tool. Readers turn them back into floats.
_NONFINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _encode_value(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value


def _metrics_line(row: dict[str, Any]) -> str:
    return json.dumps({k: _encode_value(v) for k, v in row.items()}, allow_nan=False) + "\n"


def _decode_row(row: dict[str, Any]) -> dict[str, Any]:
    for key, value in row.items():
        if value is None and key not in ("step", "time", "epoch"):
            row[key] = math.nan  # a writer that stores a bad value as null
        elif isinstance(value, str) and value in _NONFINITE:
            row[key] = _NONFINITE[value]
    return row


def _pid_alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists but belongs to someone else
        return True
    return True


def new_run_path(workspace: Path, model_id: str) -> Path:
    """A fresh, readable, sortable folder name under ``workspace/runs``."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = Path(workspace) / "runs" / f"{model_id}-{stamp}"
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path


def list_runs(workspace: Path) -> list[RunDir]:
    """Runs under ``workspace/runs``, newest first."""
    root = Path(workspace) / "runs"
    if not root.is_dir():
        return []
    runs = [RunDir(p) for p in root.iterdir() if (p / "config.json").is_file()]
    return sorted(runs, key=lambda r: r.config_path.stat().st_mtime, reverse=True)


def find_runs(folder: Path) -> list[RunDir]:
    """Runs in a folder the user watches: the folder itself if it is a run, else its
    sub-folders that are runs (one level: a shared folder of torchrun jobs), newest
    first. A folder that cannot be read holds no runs."""
    folder = Path(folder)
    if (folder / "config.json").is_file():
        return [RunDir(folder)]
    try:
        runs = [RunDir(p) for p in folder.iterdir() if (p / "config.json").is_file()]
    except OSError:
        return []
    return sorted(runs, key=lambda r: r.config_path.stat().st_mtime, reverse=True)
