"""The workbench's rules, without Qt: which dataset a model trains on, which model a
dataset selects, presets and values, the train request, and when and how far a run
resumes."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from studio.api import hookimpl
from studio.core.checkpoint import step_dir_name
from studio.core.config import ConfigError, param
from studio.core.contributions import DatasetSpec, ModelSpec, ReaderSpec
from studio.core.errors import DatasetError
from studio.core.rundir import RunDir, RunRecord
from studio.core.workbench import (
    CUSTOM,
    DatasetChanged,
    DatasetSelection,
    ModelChanged,
    Notice,
    PresetChanged,
    ValuesChanged,
    Workbench,
    WorkbenchError,
)
from studio.plugins import PluginManager


@dataclass
class PointsConfig:
    lr: float = param(1e-3, min=1e-6, max=1.0)
    width: int = param(8, min=1)


@dataclass
class ImagesConfig:
    size: int = param(32, choices=(16, 32, 64))


def _never(*_a):  # trainers and loaders are never called by these rules
    raise AssertionError("the workbench must not load data or build trainers")


class PointsPlugin:
    STUDIO_API = "1.0"

    @hookimpl
    def studio_models(self):
        return [
            ModelSpec(
                id="pts",
                name="Points",
                description="",
                dataset_kinds=("points2d",),
                config_class=PointsConfig,
                trainer_factory=_never,
                default_dataset="curve",
                presets={
                    "quick": {"lr": 0.5, "steps": 50, "keep_checkpoints": 5},
                    "slow": {"width": 4},
                },
                default_steps=700,
            )
        ]

    @hookimpl
    def studio_datasets(self):
        return [
            DatasetSpec("curve", "Curve", "", "points2d", loader=_never),
            DatasetSpec("poems", "Poems", "", "text", loader=_never),
        ]

    @hookimpl
    def studio_dataset_readers(self):
        return [
            ReaderSpec(
                "csv-points",
                "CSV points",
                "points2d",
                accepts=lambda p: p.suffix == ".csv",
                load=_never,
            )
        ]


class ImagesPlugin:
    STUDIO_API = "1.0"

    @hookimpl
    def studio_models(self):
        return [
            ModelSpec(
                id="img",
                name="Images",
                description="",
                dataset_kinds=("images",),
                config_class=ImagesConfig,
                trainer_factory=_never,
                default_dataset="digits",
            )
        ]

    @hookimpl
    def studio_datasets(self):
        return [DatasetSpec("digits", "Digits", "", "images", loader=_never)]

    @hookimpl
    def studio_dataset_readers(self):
        return [
            ReaderSpec(
                "image-folder", "Image folder", "images", accepts=lambda p: p.is_dir(), load=_never
            )
        ]


@pytest.fixture
def manager():
    m = PluginManager()
    m.register(PointsPlugin(), "points_plugin", "1.0")
    m.register(ImagesPlugin(), "images_plugin", "2.0")
    return m


@pytest.fixture
def bench(manager, tmp_path):
    wb = Workbench(manager, tmp_path / "ws")
    wb.events = []
    wb.subscribe(wb.events.append)
    return wb


@pytest.fixture
def image_folder(tmp_path) -> Path:
    folder = tmp_path / "my-images"
    folder.mkdir()
    (folder / "a.png").write_bytes(b"png")
    return folder


def test_the_core_workbench_imports_no_qt_and_no_torch():
    import subprocess

    code = (
        "import sys, studio.core.workbench; print('PySide6' in sys.modules, 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_set_model_applies_its_first_preset_default_steps_and_default_dataset(bench):
    bench.update_settings({"device": "cpu", "tensorboard": True})
    bench.events.clear()
    bench.set_model("pts")
    assert bench.model_id == "pts"
    assert bench.preset == "quick"
    assert bench.config_values == {"lr": 0.5}
    # the preset's engine settings, then what the user chose stays
    assert bench.settings.steps == 50 and bench.settings.keep_checkpoints == 5
    assert bench.settings.device == "cpu" and bench.settings.tensorboard is True
    assert bench.selection == DatasetSelection(id="curve", kind="points2d")
    kinds = [type(e) for e in bench.events]
    assert kinds == [ModelChanged, DatasetChanged, PresetChanged, ValuesChanged]


def test_a_model_without_presets_gets_its_default_steps_and_a_custom_preset(bench):
    bench.set_model("pts")
    bench.set_model("img")
    assert bench.preset == CUSTOM and bench.config_values == {}
    assert bench.settings.steps == 1000  # ModelSpec's default_steps
    assert bench.selection.id == "digits"  # the curve is no image data: its default


def test_selecting_a_dataset_of_another_kind_picks_a_model_that_trains_on_it(bench):
    bench.set_model("pts")
    bench.events.clear()
    bench.select_dataset("digits")
    assert bench.model_id == "img"
    assert bench.selection.id == "digits"  # kept: the new model trains on it
    assert any(isinstance(e, ModelChanged) and e.model_id == "img" for e in bench.events)


def test_a_dataset_no_model_trains_on_is_a_warning_and_training_on_it_is_refused(bench):
    bench.set_model("pts")
    bench.events.clear()
    bench.select_dataset("poems")
    assert bench.model_id == "pts"
    assert Notice("warning", "no installed model trains on text data") in bench.events
    with pytest.raises(DatasetError, match="poems holds text data, but model pts trains on"):
        bench.train_request()


def test_model_for_dataset_prefers_the_current_model(bench):
    assert bench.model_for_dataset("images") == "img"
    bench.set_model("pts")
    assert bench.model_for_dataset("points2d") == "pts"
    assert bench.model_for_dataset("music") is None


def test_a_dropped_dataset_is_what_the_model_trains_on(bench, image_folder):
    bench.set_model("pts")
    bench.select_dropped(image_folder, "image-folder", kind="images")
    assert bench.model_id == "img"  # followed the data
    dataset = bench.dataset_for_model()
    assert dataset.path == str(image_folder.resolve()) and dataset.reader == "image-folder"
    request = bench.train_request()
    assert request.dataset.path == str(image_folder.resolve())
    # switching to a model that cannot train on it falls back to that model's default
    bench.set_model("pts")
    assert bench.selection.id == "curve"


def test_an_unreadable_dropped_dataset_is_an_error_never_the_embedded_data(bench, image_folder):
    """Issue 14: a dropped folder that failed to read, selected, then Train on the
    conditional GAN trained on the embedded digits without a word."""
    bench.set_model("img")
    message = "partially initialized module 'torch' has no attribute 'Tensor'"
    bench.select_dropped(image_folder, "image-folder", error=message)
    with pytest.raises(DatasetError, match="cannot be read: partially initialized"):
        bench.dataset_for_model("img")
    with pytest.raises(DatasetError, match="partially initialized"):
        bench.train_request()
    bench.events.clear()
    bench.set_model("pts")  # a model change says so and keeps the selection
    assert bench.selection.path == str(image_folder)
    assert [e.level for e in bench.events if isinstance(e, Notice)] == ["error"]


def test_a_dropped_dataset_that_has_gone_or_lost_its_reader_is_an_error(
    bench, manager, image_folder
):
    bench.select_dropped(image_folder, "image-folder", kind="images")
    assert bench.model_id == "img"
    manager.set_enabled("images_plugin", False)
    with pytest.raises(DatasetError, match="reader 'image-folder' is not installed"):
        bench.selected_dataset()
    manager.set_enabled("images_plugin", True)
    image_folder.joinpath("a.png").unlink()
    image_folder.rmdir()
    with pytest.raises(DatasetError, match="no such file or folder"):
        bench.train_request()


def test_presets_values_and_settings(bench):
    bench.set_model("pts")
    bench.set_preset("slow")
    assert bench.config_values == {"width": 4}
    assert bench.settings.steps == 50  # "slow" names no steps: they stay
    bench.events.clear()
    bench.update_config({"lr": 0.25})
    assert bench.preset == CUSTOM
    assert [type(e) for e in bench.events] == [PresetChanged, ValuesChanged]
    assert bench.config().lr == 0.25 and bench.config().width == 4
    with pytest.raises(ConfigError, match=r"^lr: 5.0 is above the maximum 1.0"):
        bench.update_config({"lr": 5.0})
    with pytest.raises(ConfigError, match=r"^steps: -5 is below the minimum 1"):
        bench.update_settings({"steps": -5})
    with pytest.raises(ConfigError, match=r"^keep_checkpoints: 0 is below the minimum 1"):
        bench.update_settings({"keep_checkpoints": 0})
    assert bench.settings.steps == 50  # a refused value changes nothing
    with pytest.raises(WorkbenchError, match="preset 'nope': model pts has presets 'quick'"):
        bench.set_preset("nope")


def test_the_train_request_holds_what_create_engine_needs(bench, tmp_path):
    bench.set_model("pts")
    bench.update_settings({"checkpoint_minutes": 2.5, "seed": 7})
    request = bench.train_request()
    assert request.source.spec.id == "pts" and request.source.plugin == "points_plugin"
    assert request.dataset.id == "curve"
    assert request.config == PointsConfig(lr=0.5)
    assert request.settings.seed == 7 and request.settings.checkpoint_minutes == 2.5
    assert request.run_path.parent == tmp_path / "ws" / "runs"
    assert request.run_path.name.startswith("pts-")
    explicit = bench.train_request(tmp_path / "mine")
    assert explicit.run_path == tmp_path / "mine"
    bench.set_config_values({"lr": "abc"})
    with pytest.raises(ConfigError, match=r"^lr: 'abc' is not a valid float"):
        bench.train_request()


def test_no_model_no_request(bench):
    with pytest.raises(WorkbenchError, match="choose a model"):
        bench.train_request()
    with pytest.raises(WorkbenchError, match="unknown model 'nope'"):
        bench.set_model("nope")


# --- resume -------------------------------------------------------------------------
def make_run(
    root: Path, model="pts", plugin="points_plugin", checkpoints=(10,), steps=20, dataset=None
):
    record = RunRecord(
        model=model,
        plugin=plugin,
        plugin_version="1.0",
        config={"lr": 0.5},
        dataset=dataset or {"id": "curve", "source": "embedded", "kind": "points2d"},
        settings={"steps": steps, "seed": 3, "device": "cpu", "precision": "fp32"},
    )
    run = RunDir.create(root, record)
    for step in checkpoints:
        folder = run.checkpoints_dir / step_dir_name(step)
        folder.mkdir()
        (folder / "model.safetensors").write_bytes(b"x")
    return run


def test_resume_continues_to_the_form_steps_or_that_many_more(bench, tmp_path):
    run = make_run(tmp_path / "r")
    request = bench.resume_request(run.path, 25)
    assert (request.done, request.target) == (10, 25)
    assert bench.resume_request(run.path, 4).target == 14  # not beyond: 4 more steps
    assert bench.resume_request(run.path, 10).target == 20
    assert bench.resume_request(run.path).target == 20  # the run's own target
    # the CLI's rule: an explicit target below the run's step is refused
    with pytest.raises(WorkbenchError, match="target step 4 is below the run's step 10"):
        bench.resume_request(run.path, 4, extend=False)
    assert bench.resume_request(run.path, 10, extend=False).target == 10


def test_resume_is_refused_while_live_and_restarts_without_a_checkpoint(bench, tmp_path):
    run = make_run(tmp_path / "r", checkpoints=())
    # killed before its first checkpoint: not stuck, it starts again from step 0
    assert bench.resume_problem(run.path) is None
    assert bench.resume_request(run.path, 5).done == 0
    live = make_run(tmp_path / "live")
    live.write_status("running", 10)  # this very process: alive
    assert "is training in another process" in bench.resume_problem(live.path)
    assert bench.resume_problem(tmp_path / "nothing").endswith("(no config.json)")


def test_resume_names_the_disabled_plugin_not_a_dataset_key(bench, manager, tmp_path):
    """Issue 14: resuming a run whose plugin was disabled said
    KeyError: "unknown dataset 'exponential-curve'"."""
    run = make_run(tmp_path / "r")
    assert bench.resume_problem(run.path) is None
    manager.set_enabled("points_plugin", False)
    problem = bench.resume_problem(run.path)
    assert problem == (
        "r was trained with model pts of plugin points_plugin, which is disabled "
        "(enable it in Plugins)"
    )
    gone = make_run(tmp_path / "gone", model="vae", plugin="vae_plugin")
    assert bench.resume_problem(gone.path).endswith("of plugin vae_plugin, which is not installed")


def test_resume_names_missing_data(bench, tmp_path):
    run = make_run(
        tmp_path / "r",
        dataset={
            "id": str(tmp_path / "gone.csv"),
            "source": "path",
            "kind": "points2d",
            "path": str(tmp_path / "gone.csv"),
            "reader": "csv-points",
        },
    )
    assert bench.resume_problem(run.path).startswith("r cannot read its data: ")
    other = make_run(tmp_path / "o", dataset={"id": "moons", "source": "embedded"})
    assert "dataset 'moons', which no enabled plugin provides" in bench.resume_problem(other.path)


def test_show_run_repeats_its_settings_but_keeps_the_users_device(bench, tmp_path):
    run = make_run(tmp_path / "r", steps=80)
    bench.update_settings({"device": "cuda", "tensorboard": True})
    bench.show_run(run.record())
    assert bench.model_id == "pts" and bench.preset == CUSTOM
    assert bench.config_values == {"lr": 0.5}
    assert bench.settings.steps == 80 and bench.settings.seed == 3
    assert bench.settings.device == "cuda" and bench.settings.tensorboard is True
    assert bench.selection.id == "curve"


def test_selection_while_training_changes_no_model_until_it_ends(bench):
    bench.set_model("pts")
    bench.set_training(True)
    bench.select_dataset("digits")
    assert bench.model_id == "pts"
    with pytest.raises(WorkbenchError, match="stop the current training"):
        bench.set_model("img")
    bench.set_training(False)
    assert bench.model_id == "img"


def test_unsubscribe(bench, manager, tmp_path):
    seen = []
    stop = bench.subscribe(seen.append)
    bench.set_model("pts")
    stop()
    count = len(seen)
    bench.set_model("img")
    assert len(seen) == count > 0
    json.dumps([type(e).__name__ for e in seen])  # plain values


def test_a_form_showing_the_presets_values_keeps_the_preset(bench):
    """A form sends every field, as text: the same config is no edit."""
    bench.set_model("pts")
    bench.set_config_values({"lr": "0.5", "width": "8"})
    assert bench.preset == "quick"
    bench.update_config({"width": 8})
    assert bench.preset == "quick"
    bench.set_config_values({"lr": "0.5", "width": "9"})
    assert bench.preset == CUSTOM and bench.config().width == 9
