"""Train and sample runs in a plugin's tests, through the engine and the run sampler
exactly as the app does, with no import of ``studio.core``::

    from studio.testing import sample_run, train_run

    def test_learns(tmp_path):
        run = train_run("my-model", steps=200, path=tmp_path / "run", plugins=["mine"])
        sample = sample_run(run, seed=0, options={"temperature": 0.5})
        assert sample.metrics["quality"] > 0.8

Re-exported by ``studio.testing`` (the pytest plugin). Cheap to import: torch and the
app's modules are imported inside the functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from studio.core.run_handle import RunHandle
    from studio.core.samples import Sample
    from studio.core.sampling import CancelToken
    from studio.plugins import PluginManager

# Datasets given to train_run that no plugin provides, by run folder, so that
# sample_run can rebuild the run's trainer on the same data.
_RUN_DATASETS: dict[Path, Any] = {}


def manager_with(plugins: Mapping[str, Any], installed: Iterable[str] = ()) -> PluginManager:
    """A plugin manager with the plugin objects ``plugins`` (name -> hook module)
    registered, for a plugin that is not installed (tested from its source folder, a
    single file), plus the installed plugins ``installed`` and the built-in ``samples``
    plugin (the sample kinds every app has)."""
    from studio.testing import load_only

    manager = load_only(["samples", *installed])
    for name, module in plugins.items():
        record = manager.register(module, name, str(getattr(module, "__version__", "")))
        if not record.ok:
            raise AssertionError(f"plugin {name} did not load: {record.errors}")
    return manager


def _manager_for(plugins: Iterable[str] | None, manager: PluginManager | None) -> PluginManager:
    from studio.plugins import load_plugins
    from studio.testing import load_only

    if manager is not None:
        return manager
    if plugins is not None:
        return load_only(plugins)
    return load_plugins()  # every installed plugin, as the app loads them


def _dataset_spec(manager: PluginManager, dataset: Any, model_id: str):
    from studio.core.contributions import DatasetSpec
    from studio.core.datasets import LoadedDataset

    if dataset is None:
        spec = manager.models[model_id]
        if not spec.default_dataset:
            raise ValueError(f"model {model_id} has no default dataset: pass dataset=")
        return manager.dataset(spec.default_dataset)
    if isinstance(dataset, DatasetSpec):
        return dataset
    if isinstance(dataset, LoadedDataset):
        loaded = dataset
        return DatasetSpec(f"test-{loaded.kind}", "test data", "", loaded.kind, lambda: loaded)
    return manager.dataset_for(str(dataset))  # an embedded dataset's id, or a path


def train_run(
    model_id: str,
    steps: int = 3,
    *,
    path: str | Path | None = None,
    dataset: Any = None,
    config: Mapping[str, Any] | Any = None,
    preset: str | None = None,
    plugins: Iterable[str] | None = None,
    manager: PluginManager | None = None,
    **settings: Any,
) -> RunHandle:
    """Train ``model_id`` for ``steps`` steps on the CPU through the engine, as the app
    does, and return the finished run's ``RunHandle``.

    ``dataset``: an embedded dataset id, a path a reader reads, a ``DatasetSpec`` or a
    ``LoadedDataset`` (default: the model's default dataset). ``config``: a dict of
    config values (checked like the form's) or a config instance; ``preset`` first
    applies one of the model's presets. ``plugins``: the plugins to load (with what
    they need, see ``load_only``; default: every installed plugin), or pass
    ``manager`` (e.g. the ``studio_manager`` fixture). ``settings`` are engine
    settings (``seed``, ``sample_every``, ``checkpoint_every``...; by default no
    previews and one checkpoint at the end). ``path``: the run folder (default: a new
    temporary one). ``RuntimeError`` if training does not finish.
    """
    import dataclasses
    import tempfile

    from studio.core import config as cfg
    from studio.core.run_handle import RunHandle
    from studio.core.session import create_engine
    from studio.core.settings import build_settings, split_settings

    manager = _manager_for(plugins, manager)
    source = manager.model_source(model_id)
    spec = source.spec
    data = _dataset_spec(manager, dataset, model_id)
    config_preset, engine_preset = split_settings(spec.presets[preset] if preset else {})
    if dataclasses.is_dataclass(config) and not isinstance(config, type):
        built = config
    else:
        built = cfg.build(spec.config_class, {**config_preset, **dict(config or {})})
    quiet = {"sample_every": 0, "checkpoint_every": 0, "device": "cpu", "seed": 0}
    # ConfigError naming the setting for an unknown or out-of-range one.
    engine_settings = build_settings(quiet, engine_preset, settings, {"steps": steps})
    run_path = Path(path) if path is not None else Path(tempfile.mkdtemp(prefix="studio-run-"))
    if path is None:
        run_path = run_path / model_id
    result = create_engine(source, data, built, engine_settings, run_path).run()
    if result.state != "finished":
        raise RuntimeError(f"training {model_id} did not finish: {result.message}")
    if data.id not in manager.datasets:
        _RUN_DATASETS[run_path.resolve()] = data
    return RunHandle.open(run_path, spec)


def _sampler(run: RunHandle | str | Path, plugins, manager):
    from studio.core.session import RunSampler

    path = Path(getattr(run, "path", run))
    manager = _manager_for(plugins, manager)
    own = _RUN_DATASETS.get(path.resolve())

    def resolve(rec):
        if own is not None:
            return manager.model_source(rec.model), own
        return manager.resolve_run(rec)

    return RunSampler(path, resolve)


def sample_run(
    run: RunHandle | str | Path,
    seed: int = 0,
    options: Mapping[str, Any] | Any = None,
    n: int | None = None,
    *,
    plugins: Iterable[str] | None = None,
    manager: PluginManager | None = None,
) -> Sample:
    """A sample from the run's latest checkpoint, as Explore and ``sample`` draw it.

    ``options``: a dict of sampling options (checked against the model's
    ``sample_options``; a 1.0 model gets them as keywords) or an options instance.
    The same seed gives the same sample. ``plugins``/``manager`` as for ``train_run``.
    """
    return _sampler(run, plugins, manager).sample(seed=seed, n=n, options=options)


def stream_run(
    run: RunHandle | str | Path,
    seed: int = 0,
    options: Mapping[str, Any] | Any = None,
    n: int | None = None,
    cancel: CancelToken | None = None,
    *,
    plugins: Iterable[str] | None = None,
    manager: PluginManager | None = None,
) -> Iterator[Sample]:
    """The partial samples of one sampling call (the last is final), as the window
    streams them; ``SamplingCancelled`` once ``cancel`` is cancelled."""
    return _sampler(run, plugins, manager).stream(seed=seed, n=n, options=options, cancel=cancel)
