"""A plugin adds a new sample kind and its view with no change under studio/: the
engine saves its samples, the gallery and the compare view list and render them with
its view, and with the plugin disabled they show a generic view naming it."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from studio.core.rundir import RunDir
from studio.core.samples import UnknownSampleKind, load_sample
from studio.plugins import PluginManager
from studio.testing import load_only, train_run
from studio.ui.compare_view import CompareView
from studio.ui.sample_gallery import SampleGallery
from studio.ui.sample_views import GenericView

HERE = Path(__file__).resolve().parent


@pytest.fixture
def histogram(monkeypatch):
    monkeypatch.syspath_prepend(str(HERE))
    import studio_histogram

    yield studio_histogram
    for name in [k for k in sys.modules if k.startswith("studio_histogram")]:
        del sys.modules[name]


def _manager(plugin, disabled=()) -> PluginManager:
    manager = load_only(["samples"])  # the app's built-in kinds, nothing else
    manager.disabled |= set(disabled)
    manager.register(plugin, "histo_plugin", "0.1")
    return manager


@pytest.fixture
def run(histogram, tmp_path):
    manager = _manager(histogram)
    assert manager.records["histo_plugin"].ok, manager.records["histo_plugin"].errors
    assert manager.records["histo_plugin"].contributions["sample kinds"] == ["histogram"]
    handle = train_run(
        "hist-model",
        4,
        path=tmp_path / "hist",
        config={"lr": 0.2},
        sample_every=2,
        manager=manager,
    )
    return manager, handle.path


def test_the_engine_saves_the_new_kind_and_load_sample_reads_it(run):
    manager, path = run
    files = RunDir(path).sample_files()
    assert [(step, p.suffix) for step, p in files] == [(0, ".npz"), (2, ".npz"), (4, ".npz")]
    first = load_sample(files[0][1], manager.sample_kinds)
    last = load_sample(files[-1][1], manager.sample_kinds)
    assert first.kind == "histogram" and int(first.counts.sum()) == 200
    assert last.metrics["mean"] > first.metrics["mean"] + 0.5  # it learned the shift
    # Without the plugin, its files are an unknown kind, not a crash.
    builtin_only = load_only(["samples"])
    with pytest.raises(UnknownSampleKind) as err:
        load_sample(files[0][1], builtin_only.sample_kinds)
    assert "no registered sample kind reads .npz files" in str(err.value)


def test_the_gallery_renders_it_with_its_view_until_the_plugin_is_disabled(run, qtbot):
    manager, path = run
    gallery = SampleGallery(registry=manager)
    qtbot.addWidget(gallery)
    gallery.load_run(RunDir(path).sample_files())
    assert gallery.slider.maximum() == 2
    view = gallery.view
    assert type(view).__name__ == "HistogramView"
    assert sum(view.heights) == 200 and gallery.step_label.text().startswith("Step 4")
    gallery.slider.setValue(0)  # another step: the same view shows it
    assert gallery.view is view and gallery.step_label.text().startswith("Step 0")

    manager.set_enabled("histo_plugin", False)
    gallery.plugins_changed()
    assert isinstance(gallery.view, GenericView)
    message = gallery.view.message.text()
    assert "histo_plugin" in message and "disabled" in message, message
    assert "mean" not in message  # the message names the plugin; metrics are beside it

    manager.set_enabled("histo_plugin", True)
    gallery.plugins_changed()
    assert type(gallery.view).__name__ == "HistogramView"


def test_a_plugin_disabled_from_the_start_is_named_from_the_run(run, histogram, qtbot):
    _, path = run
    manager = _manager(histogram, disabled={"histo_plugin"})
    assert manager.records["histo_plugin"].status == "disabled"
    gallery = SampleGallery(registry=manager)
    qtbot.addWidget(gallery)
    gallery.load_run(RunDir(path).sample_files())
    assert isinstance(gallery.view, GenericView)
    assert "plugin histo_plugin, which is disabled" in gallery.view.message.text()

    compare = CompareView(registry=manager)
    qtbot.addWidget(compare)
    compare.set_runs([path])
    compare.timer.stop()
    _, view = compare.views[0]
    assert isinstance(view, GenericView)
    assert "histo_plugin" in view.message.text()


def test_the_compare_view_renders_the_new_kind(run, qtbot):
    manager, path = run
    compare = CompareView(registry=manager)
    qtbot.addWidget(compare)
    compare.set_runs([path, path])
    compare.timer.stop()
    assert [type(v).__name__ for _, v in compare.views] == ["HistogramView"] * 2
    assert np.sum(compare.views[0][1].heights) == 200
