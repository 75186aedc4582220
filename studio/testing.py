"""GenAI Studio's pytest plugin for plugin authors, registered by the app under the
``pytest11`` entry point: installing GenAI Studio is enough to get these fixtures.

Name the plugin(s) under test by entry point name, in ``pyproject.toml``::

    [tool.pytest.ini_options]
    genai_studio_plugins = ["flow2d"]

or per module/test with ``pytestmark = pytest.mark.studio_plugins("flow2d")``. Then:

- ``studio_manager``: a ``PluginManager`` with only those plugins loaded, plus the
  installed plugins they need (the built-in sample kinds, the plugin of a model's
  default dataset); every other installed plugin is blocked before it is imported;
- ``studio_datasets``: a tiny ``LoadedDataset`` of each kind the app reads
  (``points2d``, ``images``, ``labelled-images``, ``text``, ``text-pairs``, ``table``,
  ``music-pianoroll``), made by the built-in readers from files written to a
  temporary folder, exactly as when a user drops such files;
- ``studio_window``: the main window on a temporary workspace with only those plugins
  (needs pytest-qt);
- ``check_plugin_contract(manager, model_id, tmp_path)``: the standard checks: the
  plugin loaded cleanly, the config form builds, a few steps train through the
  engine, a sample comes out, a checkpoint is written and a resumed run continues;
- ``train_run(model_id, steps=..., ...) -> RunHandle``, ``sample_run(run, seed=...,
  options=...)`` and ``stream_run(...)``: train a run through the engine and sample
  it, for a plugin's learning tests, with no import of ``studio.core``.

This module is imported by every pytest run in an environment where GenAI Studio is
installed (the app's own test suite included), so importing it must stay cheap: torch,
Qt and the app's modules are imported inside the fixtures.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # pragma: no cover
    from studio.core.datasets import LoadedDataset
    from studio.plugins import PluginManager

INI_NAME = "genai_studio_plugins"
MARKER = "studio_plugins"
DATASET_KINDS = (
    "points2d",
    "images",
    "labelled-images",
    "text",
    "text-pairs",
    "table",
    "music-pianoroll",
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(INI_NAME, "entry point names of the GenAI Studio plugins under test", "args")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{MARKER}(*names): the GenAI Studio plugins (entry point names) to load"
    )


# --- loading ------------------------------------------------------------------------
def load_only(names: Iterable[str], needs: bool = True) -> PluginManager:
    """A plugin manager with only the named installed plugins loaded, plus (``needs``)
    the installed plugins they need: the built-in ``samples`` plugin (the sample kinds
    every app has) and whichever plugins provide their models' default datasets and
    sample kinds (a model whose default dataset is ``digits`` gets ``image_gans``).

    ``LookupError`` if a name is not an installed entry point (install the package
    first, e.g. ``pip install -e .``).
    """
    from importlib import metadata

    from studio.hookspecs import ENTRY_POINT_GROUP
    from studio.plugins import PluginManager

    wanted = list(names)
    installed = {ep.name for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)}
    missing = [n for n in wanted if n not in installed]
    if missing:
        raise LookupError(
            f"plugin(s) {', '.join(missing)} not installed under the entry point group "
            f"{ENTRY_POINT_GROUP} (installed: {', '.join(sorted(installed))}); "
            "pip install your package first"
        )
    if needs:
        wanted += sorted(needed_plugins(wanted) - set(wanted))
    manager = PluginManager(disabled=installed - set(wanted))
    manager.load_entry_points()
    return manager


def needed_plugins(names: Iterable[str]) -> set[str]:
    """The other installed plugins that the plugins ``names`` need: ``samples`` and
    the providers of their models' default datasets and sample kinds (and views)."""
    from studio.plugins import PluginManager

    names = set(names)
    every = PluginManager()  # hook modules are cheap to import: look at them all
    every.load_entry_points()
    need = {"samples"} & set(every.records)
    for model_id, spec in every.models.items():
        if every.owner("model", model_id) not in names:
            continue
        found = [every.provider("dataset", spec.default_dataset or "")]
        found += [every.provider(k, spec.sample_kind) for k in ("sample kind", "sample view")]
        need.update(name for name in found if name)
    return need


def _names(request: pytest.FixtureRequest) -> list[str]:
    marker = request.node.get_closest_marker(MARKER)
    names = list(marker.args) if marker else list(request.config.getini(INI_NAME) or [])
    if not names:
        pytest.fail(
            f"name the plugins under test: {INI_NAME} = [...] in the pytest settings "
            f"or @pytest.mark.{MARKER}('name')"
        )
    return names


@pytest.fixture
def studio_manager(request: pytest.FixtureRequest) -> PluginManager:
    """A plugin manager with only the plugins under test loaded."""
    return load_only(_names(request))


@pytest.fixture
def studio_window(request: pytest.FixtureRequest, tmp_path: Path, studio_manager):
    """The main window (offscreen under ``QT_QPA_PLATFORM=offscreen``) with only the
    plugins under test, on a temporary workspace and settings file; closed after the
    test (a run still training is stopped first).

    What the window trains is held by ``window.workbench`` (``studio.core.workbench``);
    the widgets show it. Select a model and train it as a user would::

        studio_window.workbench.set_model("my-model")  # the model box follows
        studio_window.form.steps.setValue(20)
        with qtbot.waitSignal(studio_window.session.finished, timeout=120_000) as done:
            studio_window.train_action.trigger()
        assert done.args[0].state == "finished"
        widget = studio_window.explore.currentWidget()  # the model's sampling widget

    ``window.workbench.select_dataset(id)`` selects an embedded dataset (a model that
    trains on it is picked if the current one does not); ``window.open_run(path)``
    shows a run and points the sampling widget at it."""
    qtbot = request.getfixturevalue("qtbot")  # pytest-qt
    from PySide6.QtCore import QSettings

    from studio.ui.main_window import MainWindow

    settings = QSettings(str(tmp_path / "studio-settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(studio_manager, settings, tmp_path / "studio-workspace")
    window.confirm_stop_on_close = lambda: True
    window.show()
    yield window
    close_windows(qtbot, [window])


@pytest.fixture(autouse=True)
def _studio_qt_deletes_before_gc(request: pytest.FixtureRequest):
    """Around a test that uses ``qtbot``: its widgets deleted before garbage is collected.

    pytest-qt closes a test's widgets with ``deleteLater`` and keeps only weak
    references. A pyqtgraph view holds reference cycles, so its Python wrappers wait
    for the garbage collector; if a collection runs before Qt has deleted the widgets,
    it clears the wrappers' attributes while their C++ objects still live, and the
    deletion then calls back into half-cleared objects (``'LabelItem' object has no
    attribute '_sizeHint'``, or a crash on a timer event to a freed object). Deleting
    first and collecting here, between tests, keeps both in that order."""
    if "qtbot" not in request.fixturenames:
        yield
        return
    # Before too: garbage that earlier tests left must not be collected in the middle of
    # this one's event processing (seen: a crash on a timer event to a freed object).
    _delete_then_collect()
    # pytest-qt keeps weak references only: an automatic collection between the end of
    # the test and the deletion would clear a widget's wrappers first. Hold them.
    qtbot = request.getfixturevalue("qtbot")
    held: dict[int, Any] = {}
    add_widget = qtbot.addWidget

    def add_and_hold(widget, *args, **kwargs):
        # Until Qt deletes it: a widget the test deleted itself is let go at once.
        key = id(widget)
        held[key] = widget

        def forget(*_destroyed: Any, key: int = key) -> None:
            held.pop(key, None)

        widget.destroyed.connect(forget)
        return add_widget(widget, *args, **kwargs)

    qtbot.addWidget = add_and_hold
    yield
    _delete_then_collect()
    held.clear()
    _delete_then_collect()


def _delete_then_collect() -> None:
    import gc

    from PySide6.QtCore import QCoreApplication, QEvent

    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()


def drop_paths(widget: Any, *paths: Path) -> None:
    """Drop files or folders on ``widget`` (the main window, the dataset browser) as a
    file manager would: a real ``QDropEvent`` carrying their URLs."""
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDropEvent

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    event = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    widget.dropEvent(event)


@pytest.fixture
def studio_one_thread():
    """Torch on one intra-op thread for the test: tiny networks train several times
    faster on one thread than on a busy machine's several (their per-op
    synchronisation costs more than the maths)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def close_windows(qtbot, windows: Iterable[Any]) -> None:
    """Stop training, let the device probe each window starts from a timer answer while
    the window is alive, then close and delete the windows. (pytest-qt's addWidget
    deletes widgets before fixtures end, which would deliver that answer to a deleted
    form.)"""
    from PySide6.QtCore import QThreadPool

    windows = list(windows)
    for w in windows:
        if w.session.is_running():
            w.session.stop()
            w.session.wait(60_000)
    qtbot.wait(10)
    QThreadPool.globalInstance().waitForDone(120_000)
    qtbot.wait(10)
    for w in windows:
        w.close()
        w.deleteLater()
    qtbot.wait(10)


# --- tiny datasets -------------------------------------------------------------------
def write_tiny_files(folder: Path) -> dict[str, Path]:
    """Write a tiny file (or folder) of each readable kind; returns kind -> path."""
    import mido
    import numpy as np
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    paths: dict[str, Path] = {}

    flat = folder / "images"
    flat.mkdir(exist_ok=True)
    for i in range(8):
        pixels = rng.integers(0, 256, (12, 12, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(flat / f"{i}.png")
    paths["images"] = flat

    classes = folder / "labelled"
    for label in ("circle", "square", "star"):  # two would also read as two domains
        (classes / label).mkdir(parents=True, exist_ok=True)
        for i in range(4):
            pixels = rng.integers(0, 256, (12, 12), dtype=np.uint8)
            Image.fromarray(pixels, mode="L").save(classes / label / f"{i}.png")
    paths["labelled-images"] = classes

    text = folder / "corpus.txt"
    text.write_text("the quick brown fox jumps over the lazy dog.\n" * 20, encoding="utf-8")
    paths["text"] = text

    pairs = folder / "pairs.tsv"
    pairs.write_text(
        "".join(f"i am {n} years old\tj'ai {n} ans\n" for n in range(20)), encoding="utf-8"
    )
    paths["text-pairs"] = pairs

    table = folder / "table.csv"
    rows = rng.normal(size=(32, 3))
    table.write_text("a,b,c\n" + "".join(",".join(f"{v:.4f}" for v in r) + "\n" for r in rows))
    paths["table"] = table

    midi = folder / "tune.mid"
    song = mido.MidiFile(ticks_per_beat=96)
    track = mido.MidiTrack()
    song.tracks.append(track)
    for note in (60, 62, 64, 65, 67, 69, 71, 72) * 2:
        track.append(mido.Message("note_on", note=note, velocity=80, time=0))
        track.append(mido.Message("note_off", note=note, velocity=0, time=96))
    song.save(midi)
    paths["music-pianoroll"] = midi
    return paths


def tiny_datasets(folder: Path) -> dict[str, LoadedDataset]:
    """A tiny ``LoadedDataset`` of each kind in ``DATASET_KINDS``, read from files in
    ``folder`` by the built-in readers (``points2d``, which no reader makes, is built)."""
    import torch

    from studio.core.datasets import LoadedDataset

    # The built-in readers only: another plugin's reader could claim the same files.
    readers = load_only(["readers"])
    out: dict[str, LoadedDataset] = {}
    for kind, path in write_tiny_files(folder).items():
        spec = readers.dataset_from_path(path)
        loaded = spec.loader()
        if loaded.kind != kind:  # a reader changed what it makes: say so plainly
            raise AssertionError(f"{path} was read as {loaded.kind}, not {kind}")
        out[kind] = loaded
    t = torch.linspace(-1, 1, 64)
    out["points2d"] = LoadedDataset(kind="points2d", train=(torch.stack([t, t**2], 1),))
    return {kind: out[kind] for kind in DATASET_KINDS}


@pytest.fixture
def studio_datasets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, LoadedDataset]:
    """A tiny dataset of each kind (see ``tiny_datasets``)."""
    return tiny_datasets(tmp_path_factory.mktemp("studio-datasets"))


# --- the contract checks ---------------------------------------------------------------
@dataclass
class ContractReport:
    """What ``check_plugin_contract`` did, for further assertions."""

    model_id: str
    plugin: str
    fields: list[str]
    run_path: Path
    steps: int
    sample: Any
    resumed_to: int
    checks: list[str] = field(default_factory=list)


def check_plugin_contract(
    manager: PluginManager,
    model_id: str,
    tmp_path: Path,
    steps: int = 3,
    dataset: Any = None,
    preset: str | None = None,
) -> ContractReport:
    """The standard checks a model plugin must pass; raises ``AssertionError`` naming
    the failed check.

    Loads (the owning plugin has no errors), builds the config form's fields and a
    config from its defaults and each preset, trains ``steps`` steps on the CPU
    through the engine on ``dataset`` (a ``DatasetSpec``; default: the model's default
    dataset), samples from the checkpoint, and resumes the run for ``steps`` more.
    """
    from studio.core import config as cfg
    from studio.core.rundir import RunDir
    from studio.core.samples import Sample
    from studio.core.session import RunSampler, TrainSettings, create_engine, resume_engine
    from studio.core.settings import split_settings

    checks: list[str] = []
    assert model_id in manager.models, (
        f"model {model_id!r} is not contributed by any loaded plugin "
        f"(models: {', '.join(sorted(manager.models)) or 'none'}); problems: "
        + "; ".join(f"{r.name}: {m}" for r in manager.problems() for m, _ in r.errors)
    )
    source = manager.model_source(model_id)
    record = manager.records[source.plugin]
    assert record.ok, f"plugin {record.name} has errors: {record.errors}"
    checks.append("loads")

    spec = source.spec
    infos = cfg.describe(spec.config_class)  # what the form and CLI flags are built from
    for name, values in {"defaults": {}, **spec.presets}.items():
        config_values, _ = split_settings(values)
        try:
            cfg.build(spec.config_class, config_values)
        except Exception as exc:
            raise AssertionError(f"preset {name!r} does not build a config: {exc}") from exc
    checks.append("form builds")
    config = cfg.build(spec.config_class, split_settings(spec.presets.get(preset, {}))[0])

    if dataset is None:
        assert spec.default_dataset, f"model {model_id} has no default dataset: pass one"
        dataset = manager.dataset(spec.default_dataset)
    run_path = Path(tmp_path) / f"contract-{model_id}"
    settings = TrainSettings(
        steps=steps, device="cpu", sample_every=steps, checkpoint_every=steps, seed=0
    )
    result = create_engine(source, dataset, config, settings, run_path).run()
    assert result.state == "finished", f"training failed: {result.message}"
    run = RunDir(run_path)

    def resolve(record):  # the dataset under test, even one the manager doesn't know
        return manager.model_source(record.model), dataset

    assert run.checkpoint_steps() == [steps], f"checkpoints: {run.checkpoint_steps()}"
    rows = run.read_metrics()
    assert [r["step"] for r in rows if r["step"] > 0] == list(range(1, steps + 1)), rows
    checks += ["trains", "checkpoints"]

    sample = RunSampler(run_path, resolve).sample(seed=0)
    assert isinstance(sample, Sample), f"sample() returned {type(sample).__name__}"
    again = RunSampler(run_path, resolve).sample(seed=0)
    first, second = sample.save(run_path / "check-a"), again.save(run_path / "check-b")
    assert first.read_bytes() == second.read_bytes(), "the same seed gave another sample"
    checks.append("samples")

    resumed = resume_engine(run_path, resolve, total_steps=2 * steps).run()
    assert resumed.state == "finished" and resumed.step == 2 * steps, resumed.message
    assert run.checkpoint_steps()[-1] == 2 * steps
    checks.append("resumes")
    return ContractReport(
        model_id, source.plugin, [i.name for i in infos], run_path, steps, sample, 2 * steps, checks
    )


@pytest.fixture
def studio_contract(studio_manager, tmp_path: Path):
    """``check_plugin_contract`` bound to ``studio_manager`` and a temporary folder:
    ``studio_contract("my-model")``."""

    def check(model_id: str, **kwargs: Any) -> ContractReport:
        return check_plugin_contract(studio_manager, model_id, tmp_path, **kwargs)

    return check


# Training and sampling runs in a plugin's tests (no import of studio.core needed).
from studio.testing_runs import manager_with, sample_run, stream_run, train_run  # noqa: E402

__all__ = [
    "check_plugin_contract",
    "load_only",
    "manager_with",
    "needed_plugins",
    "sample_run",
    "stream_run",
    "tiny_datasets",
    "train_run",
]
