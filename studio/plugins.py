"""Plugin discovery and loading, wrapped around pluggy so that no plugin can take
the app down.

Built-in and third-party plugins come through the same entry point group
(``genai_studio.plugins``). Each entry point is loaded on its own: a plugin that
fails to import, declares an incompatible contract version, returns malformed
contributions or raises in a hook is recorded (name, error, traceback) and
skipped; the rest load. ``GENAI_STUDIO_DISABLE_PLUGINS`` (comma-separated names)
and the app's settings block plugins by name before they are imported.

Single-file plugins (a ``.py`` in the user plugin folder) load the same way, named
``file:<stem>``. In safe mode only the built-in plugins (distribution
``genai-studio``) are imported. Plugins can be enabled, disabled, discovered after a
``pip install`` and forgotten after an uninstall while the app runs.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from types import TracebackType
from typing import Any

import pluggy

from studio import hookspecs
from studio.core.contributions import (
    API_VERSION,
    ContributionError,
    DatasetSpec,
    ExporterSpec,
    ModelSpec,
    ReaderSpec,
    SampleKindSpec,
    SampleViewSpec,
)
from studio.core.session import ModelSource

DISABLE_ENV = "GENAI_STUDIO_DISABLE_PLUGINS"
BUILTIN_DIST = "genai-studio"
FILE_PREFIX = "file:"


@dataclass
class PluginRecord:
    """What the plugin manager knows of one plugin, shown in the UI and ``plugins`` CLI."""

    name: str
    source: str  # "built-in", "entry point (dist)", "file (path)", "registered"
    version: str = ""
    api_version: str = ""
    status: str = "loaded"  # loaded | failed | disabled | refused | safe mode
    errors: list[tuple[str, str]] = field(default_factory=list)  # (message, traceback)
    contributions: dict[str, list[str]] = field(default_factory=dict)
    dist: str = ""  # the distribution that installed it ("" for files and registered)
    module: str = ""  # its hook module, to attribute a traceback to the plugin
    path: str = ""  # a single-file plugin's file

    @property
    def builtin(self) -> bool:
        return self.dist == BUILTIN_DIST

    @property
    def ok(self) -> bool:
        return self.status == "loaded" and not self.errors


def disabled_from_env() -> set[str]:
    return {n.strip() for n in os.environ.get(DISABLE_ENV, "").split(",") if n.strip()}


def _api_compatible(declared: str) -> bool:
    try:
        major, minor = (int(x) for x in str(declared).split(".")[:2])
        our_major, our_minor = (int(x) for x in API_VERSION.split("."))
    except ValueError:
        return False
    return major == our_major and minor <= our_minor


# The contribution hooks: hook, kind (a record's contributions are listed under kind +
# "s"), the spec class its items must be, and the PluginManager table they go to.
CONTRIBUTION_TABLES: tuple[tuple[str, str, type, str], ...] = (
    ("studio_models", "model", ModelSpec, "models"),
    ("studio_datasets", "dataset", DatasetSpec, "datasets"),
    ("studio_dataset_readers", "reader", ReaderSpec, "readers"),
    ("studio_exporters", "exporter", ExporterSpec, "exporters"),
    ("studio_sample_kinds", "sample kind", SampleKindSpec, "sample_kinds"),
    ("studio_sample_views", "sample view", SampleViewSpec, "sample_views"),
)


class PluginManager:
    """Loads plugins and collects their contributions, capturing errors per plugin."""

    def __init__(self, disabled: Iterable[str] = (), safe_mode: bool = False) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.disabled = set(disabled) | disabled_from_env()
        self.safe_mode = safe_mode
        self._objects: dict[str, Any] = {}  # registered plugin objects, to re-enable
        self._entry_points: dict[str, metadata.EntryPoint] = {}
        self.records: dict[str, PluginRecord] = {}
        self.models: dict[str, ModelSpec] = {}
        self.datasets: dict[str, DatasetSpec] = {}
        self.readers: dict[str, ReaderSpec] = {}
        self.exporters: dict[str, ExporterSpec] = {}
        self.sample_kinds: dict[str, SampleKindSpec] = {}
        self.sample_views: dict[str, SampleViewSpec] = {}
        self._owner: dict[tuple[str, str], str] = {}
        # Which plugin provided a sample kind or model, kept after it is disabled, so
        # a run's samples can name the plugin to enable.
        self._last_owner: dict[tuple[str, str], str] = {}

    # --- loading ------------------------------------------------------------------
    def load_entry_points(self, group: str = hookspecs.ENTRY_POINT_GROUP) -> None:
        """Load every plugin registered under ``group``, each in isolation."""
        for ep in metadata.entry_points(group=group):
            dist = getattr(ep, "dist", None)
            dist_name = dist.name if dist else ""
            builtin = dist_name == "genai-studio"
            source = "built-in" if builtin else f"entry point ({dist_name or ep.value})"
            version = dist.version if dist else ""
            if ep.name in self.records:
                continue
            record = PluginRecord(ep.name, source, version, dist=dist_name, module=ep.module)
            self.records[ep.name] = record
            self._entry_points[ep.name] = ep
            if self.safe_mode and not builtin:
                record.status = "safe mode"
                continue
            if ep.name in self.disabled:
                record.status = "disabled"
                self.pm.set_blocked(ep.name)
                continue
            self._load_entry_point(record, ep)
        self.collect()

    def _load_entry_point(self, record: PluginRecord, ep: metadata.EntryPoint) -> None:
        try:
            plugin = ep.load()
        except BaseException as exc:  # a plugin's import may raise anything
            if isinstance(exc, KeyboardInterrupt):
                raise
            self._fail(record, f"failed to import {ep.value}: {type(exc).__name__}: {exc}")
            return
        self._register(record, plugin)

    def discover(self, group: str = hookspecs.ENTRY_POINT_GROUP) -> list[str]:
        """Load the plugins installed since the last look (after a ``pip install``);
        returns their names."""
        importlib.invalidate_caches()  # pip wrote new files; let the import system see them
        before = set(self.records)
        self.load_entry_points(group)
        return [name for name in self.records if name not in before]

    def load_file_plugins(self, folder: str | Path) -> list[str]:
        """Load every ``*.py`` in ``folder`` as the plugin ``file:<stem>``; returns the
        names of the plugins found there for the first time."""
        folder = Path(folder)
        new = []
        for path in sorted(folder.glob("*.py")) if folder.is_dir() else []:
            name = FILE_PREFIX + path.stem
            if name in self.records:
                continue
            record = PluginRecord(name, f"file ({path})", path=str(path))
            record.module = f"studio_file_plugin_{path.stem}"
            self.records[name] = record
            new.append(name)
            if self.safe_mode:
                record.status = "safe mode"
            elif name in self.disabled:
                record.status = "disabled"
            else:
                self._load_file(record)
        self.collect()
        return new

    def _load_file(self, record: PluginRecord) -> None:
        path = Path(record.path)
        if not path.stem.isidentifier():
            record.status = "refused"
            record.errors.append(
                (f"{path.name}: a plugin file's name must be a Python identifier", "")
            )
            return
        try:
            spec = importlib.util.spec_from_file_location(record.module, path)
            if spec is None or spec.loader is None:
                raise ImportError(f"cannot import {path}")
            module = importlib.util.module_from_spec(spec)
            sys.modules[record.module] = module  # for pickling, dataclasses, tracebacks
            spec.loader.exec_module(module)
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt):
                raise
            sys.modules.pop(record.module, None)
            self._fail(record, f"failed to import {path}: {type(exc).__name__}: {exc}")
            return
        record.version = str(getattr(module, "__version__", ""))
        self._register(record, module)

    def set_enabled(self, name: str, enabled: bool) -> None:
        """Enable or disable a plugin in the running app and re-collect contributions.

        A disabled plugin's hooks are no longer called; its modules stay imported (only
        a restart unloads code). Enabling imports it if it was blocked at start-up.
        """
        record = self.records[name]
        if enabled:
            self.disabled.discard(name)
            if record.status != "disabled":
                return
            record.status, record.errors = "loaded", []
            if self.pm.is_blocked(name):
                self.pm.unblock(name)
            if name in self._objects:
                self._register(record, self._objects[name])
            elif record.path:
                self._load_file(record)
            elif name in self._entry_points:
                self._load_entry_point(record, self._entry_points[name])
        else:
            self.disabled.add(name)
            if record.status == "safe mode":
                return
            if self.pm.has_plugin(name):
                self.pm.unregister(name=name)
            record.status, record.errors = "disabled", []
        self.collect()

    def forget(self, names: Iterable[str]) -> None:
        """Drop plugins whose package was uninstalled; their contributions go away."""
        for name in list(names):
            if self.pm.has_plugin(name):
                self.pm.unregister(name=name)
            self.records.pop(name, None)
            self._objects.pop(name, None)
            self._entry_points.pop(name, None)
        self.collect()

    def plugin_for_traceback(self, tb: TracebackType | None) -> str | None:
        """The plugin whose code raised: the innermost frame in a plugin's module."""
        frames = [frame.f_globals.get("__name__", "") for frame, _ in traceback.walk_tb(tb)]
        for module in reversed(frames):
            for record in self.records.values():
                if record.module and (
                    module == record.module or module.startswith(record.module + ".")
                ):
                    return record.name
        return None

    def register(self, plugin: Any, name: str, version: str = "") -> PluginRecord:
        """Register an already imported plugin object (tests, scripts, plugin folders)."""
        module = plugin.__name__ if isinstance(plugin, type(sys)) else plugin.__module__
        record = PluginRecord(name, "registered", version, module=module)
        self.records[name] = record
        if name in self.disabled:
            record.status = "disabled"
        else:
            self._register(record, plugin)
        self.collect()
        return record

    def _register(self, record: PluginRecord, plugin: Any) -> None:
        declared = getattr(plugin, "STUDIO_API", None)
        record.api_version = str(declared or "")
        if declared is None:
            record.status = "refused"
            record.errors.append(
                (
                    f"plugin {record.name} does not declare the contract version it was written "
                    f'for; add STUDIO_API = "{API_VERSION}" to its hook module',
                    "",
                )
            )
            return
        if not _api_compatible(declared):
            record.status = "refused"
            record.errors.append(
                (
                    f"plugin {record.name} was written for contract version {declared}, but "
                    f"this GenAI Studio provides {API_VERSION}; update the plugin or the app",
                    "",
                )
            )
            return
        try:
            self.pm.register(plugin, name=record.name)
            self.pm.check_pending()
        except Exception as exc:
            if self.pm.is_registered(plugin):
                self.pm.unregister(plugin)
            self._fail(record, f"invalid hooks: {exc}")
            return
        self._objects[record.name] = plugin

    def _fail(self, record: PluginRecord, message: str) -> None:
        record.status = "failed"
        record.errors.append((message, traceback.format_exc()))

    # --- contributions ------------------------------------------------------------
    def _call_each(self, hook_name: str, kind: str) -> list[tuple[str, Any]]:
        """Call a hook plugin by plugin; a raise is recorded against that plugin only."""
        out = []
        hook = getattr(self.pm.hook, hook_name)
        for impl in hook.get_hookimpls():  # registration order
            record = self.records.get(impl.plugin_name)
            try:
                result = impl.function(**{a: None for a in impl.argnames})
                if result is not None and not isinstance(result, (list, tuple)):
                    raise TypeError(f"returned {type(result).__name__}, not a list")
            except Exception as exc:
                if record:
                    self._fail(record, f"{hook_name} raised {type(exc).__name__}: {exc}")
                continue
            for item in result or ():
                out.append((impl.plugin_name, item))
        return out

    def collect(self) -> None:
        """(Re)build the tables of models, datasets, readers, exporters, sample kinds
        and sample views."""
        self.models, self.datasets, self.readers, self.exporters = {}, {}, {}, {}
        self.sample_kinds, self.sample_views = {}, {}
        self._owner = {}
        for record in self.records.values():
            record.contributions = {}
        for hook_name, kind, cls, attribute in CONTRIBUTION_TABLES:
            table = getattr(self, attribute)
            for plugin_name, item in self._call_each(hook_name, kind):
                record = self.records[plugin_name]
                try:
                    if not isinstance(item, cls):
                        raise ContributionError(
                            f"{hook_name} returned {type(item).__name__}, not {cls.__name__}"
                        )
                    item.validate()
                    if item.id in table:
                        other = self._owner[(kind, item.id)]
                        raise ContributionError(
                            f"{kind} id {item.id!r} is already provided by plugin {other}"
                        )
                except ContributionError as exc:
                    record.errors.append((str(exc), ""))
                    continue
                table[item.id] = item
                self._owner[(kind, item.id)] = plugin_name
                self._last_owner[(kind, item.id)] = plugin_name
                record.contributions.setdefault(kind + "s", []).append(item.id)

    # --- queries ------------------------------------------------------------------
    def owner(self, kind: str, item_id: str) -> str:
        return self._owner[(kind, item_id)]

    def provider(self, kind: str, item_id: str) -> str | None:
        """The loaded plugin providing ``item_id`` of ``kind`` (``model``, ``dataset``,
        ``sample kind``...), or ``None``."""
        return self._owner.get((kind, item_id))

    def sample_kind_plugin(self, kind: str, hint: str | None = None) -> str | None:
        """The plugin that provides (or, before it was disabled, provided) sample kind
        ``kind``; else ``hint`` (e.g. the plugin of the run that wrote the sample)."""
        return self._last_owner.get(("sample kind", kind)) or hint

    def missing_kind_message(self, kind: str, hint: str | None = None) -> str:
        """One line saying why samples of ``kind`` cannot be shown, naming the plugin."""
        plugin = self.sample_kind_plugin(kind, hint) if kind else hint
        what = f"sample kind {kind!r}" if kind else "this sample's kind"
        if plugin is None:
            return f"Unknown {what}: no installed plugin provides it."
        record = self.records.get(plugin)
        if record is None:
            state = "which is not installed"
        elif record.status == "loaded" and not record.errors:
            state = "which does not provide it"
        else:
            state = {
                "disabled": "which is disabled",
                "safe mode": "which safe mode does not load",
                "refused": "which was refused (see the plugin manager)",
            }.get(record.status, "which failed to load")
        return f"The {what} comes from plugin {plugin}, {state}; enable or install it to see it."

    def model_source(self, model_id: str) -> ModelSource:
        """The model's spec and plugin; ``KeyError`` with a helpful message if unknown."""
        if model_id not in self.models:
            known = ", ".join(sorted(self.models)) or "none"
            raise KeyError(f"unknown model {model_id!r}; installed models: {known}")
        plugin = self.owner("model", model_id)
        return ModelSource(self.models[model_id], plugin, self.records[plugin].version)

    def dataset(self, dataset_id: str) -> DatasetSpec:
        if dataset_id not in self.datasets:
            known = ", ".join(sorted(self.datasets)) or "none"
            raise KeyError(f"unknown dataset {dataset_id!r}; embedded datasets: {known}")
        return self.datasets[dataset_id]

    def dataset_from_path(self, path: str | Path, reader: str | None = None) -> DatasetSpec:
        """A dataset read from the user's files by ``reader`` (default: the installed
        reader that accepts the path with the highest priority).

        ``KeyError`` for an unknown reader; ``DatasetError`` when the path is missing,
        no reader accepts it, or readers tie (the message names them: pass one).
        """
        from studio.core.errors import DatasetError
        from studio.core.readers import best_readers, formats

        path = Path(path).expanduser().resolve()
        if not path.exists():
            raise DatasetError(f"{path}: no such file or folder")
        if reader is not None:
            if reader not in self.readers:
                known = ", ".join(sorted(self.readers)) or "none"
                raise KeyError(f"unknown reader {reader!r}; installed readers: {known}")
            spec = self.readers[reader]
        else:
            best = best_readers(self.readers.values(), path)
            if not best:
                understood = ", ".join(formats(self.readers.values()))
                raise DatasetError(
                    f"{path}: no installed reader understands it (formats understood: {understood})"
                )
            if len(best) > 1:
                ids = ", ".join(r.id for r in best)
                raise DatasetError(f"{path}: several readers fit ({ids}); choose one (--reader)")
            spec = best[0]
        load = spec.load
        return DatasetSpec(
            id=str(path),
            name=path.name,
            description=f"{spec.name}: {path}",
            kind=spec.kind,
            loader=lambda: load(path),
            path=str(path),
            reader=spec.id,
        )

    def dataset_for(self, value: str, reader: str | None = None) -> DatasetSpec:
        """An embedded dataset by id, or else a file or folder read by a reader."""
        if value in self.datasets and reader is None:
            return self.datasets[value]
        if reader is None and not Path(value).expanduser().exists():
            known = ", ".join(sorted(self.datasets)) or "none"
            raise KeyError(
                f"{value!r} is neither an embedded dataset ({known}) nor an existing path"
            )
        return self.dataset_from_path(value, reader)

    def resolve_run(
        self, record, trust_dataset_path: bool = False
    ) -> tuple[ModelSource, DatasetSpec]:
        """Model and dataset of a run's ``config.json`` (for resume and sampling).

        A dataset path is read only if this user made the run here, chose the path in
        the workspace, or says so (``trust_dataset_path``); never a system location
        from a run made elsewhere (``UntrustedDataset``, see ``core.dataset_trust``).
        """
        data = record.dataset
        if data.get("source") == "path":
            from studio.app_paths import workspace_from_env
            from studio.core.dataset_trust import check_run_dataset

            path = check_run_dataset(
                data,
                run=f"this run (model {record.model})",
                workspace=workspace_from_env(),
                trusted=trust_dataset_path,
            )
            dataset = self.dataset_from_path(path, data.get("reader"))
        else:
            dataset = self.dataset(data["id"])
        return self.model_source(record.model), dataset

    def problems(self) -> list[PluginRecord]:
        return [r for r in self.records.values() if r.errors]


def load_plugins(
    disabled: Iterable[str] = (), safe_mode: bool = False, plugin_dir: str | Path | None = None
) -> PluginManager:
    """A plugin manager with every installed plugin loaded (only the built-in ones in
    safe mode), then the single-file plugins of ``plugin_dir``."""
    manager = PluginManager(disabled, safe_mode=safe_mode)
    manager.load_entry_points()
    if plugin_dir is not None:
        manager.load_file_plugins(plugin_dir)
    return manager
