"""Broken third-party plugins: each failure is shown with the plugin's name and
traceback and the rest of the app goes on. Safe mode loads the built-ins only."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from studio.core.rundir import RunDir
from studio.plugins import PluginManager, load_plugins


def _widget_plugin(name: str, factory_raises: bool = False, show_raises: bool = False):
    """A plugin (a real module, so tracebacks point into it) whose model's sampling
    widget fails to build or fails to show a sample."""
    import types

    from studio import api

    module = types.ModuleType(f"broken_widget_{name}")
    module.STUDIO_API = "1.0"
    code = f'''
from dataclasses import dataclass
from studio import api

@dataclass
class Cfg:
    batch_size: int = 4

def _widget(context):
    if {factory_raises}:
        raise RuntimeError("the widget factory broke")
    from studio.api_qt import SamplingWidget

    class W(SamplingWidget):
        def show_sample(self, sample):
            raise ValueError("show_sample broke")
    return W(context)

def studio_models():
    return [api.ModelSpec(id="{name}", name="{name}", description="", dataset_kinds=("toy",),
                          config_class=Cfg, trainer_factory=lambda c, d, dev: None,
                          widget_factory=_widget)]
'''
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(code, f"<{module.__name__}>", "exec"), module.__dict__)
    module.studio_models = api.hookimpl(module.studio_models)
    return module


def test_safe_mode_imports_only_the_built_in_plugins(tmp_path):
    (tmp_path / "mine.py").write_text("raise SystemExit('a file plugin must not load')\n")
    manager = load_plugins(safe_mode=True, plugin_dir=tmp_path)
    assert manager.records["shapes_gan"].status == "loaded"
    assert manager.records["flow2d"].status == "safe mode"  # the installed example
    assert manager.records["file:mine"].status == "safe mode"
    assert "flow2d" not in manager.models and "gan-shape" in manager.models


def test_the_app_starts_in_safe_mode(tmp_path):
    """The real start-up path (``studio.app.main``) in a child process, with a user
    plugin folder holding a plugin that would crash the app at import."""
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "crash.py").write_text("import os\nos._exit(3)\n")
    script = """
import json, sys
from PySide6.QtWidgets import QApplication
QApplication.exec = lambda self: 0  # start, then report instead of running the loop
from studio import app
code = app.main(sys.argv[1:])
window = next(w for w in QApplication.topLevelWidgets() if w.objectName() == "" and
              hasattr(w, "plugins"))
print(json.dumps({"code": code, "title": window.windowTitle(),
                  "status": {n: r.status for n, r in window.plugins.records.items()}}))
"""
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        GENAI_STUDIO_PLUGIN_DIR=str(plugins),
    )
    args = [sys.executable, "-c", script, "--workspace", str(tmp_path / "ws"), "--safe-mode"]
    out = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["code"] == 0 and "safe mode" in result["title"]
    assert result["status"]["file:crash"] == "safe mode"
    assert result["status"]["shapes_gan"] == "loaded"


def test_single_file_plugins_load_in_isolation(tmp_path):
    (tmp_path / "good.py").write_text(
        "from studio import api\nSTUDIO_API = '1.0'\n__version__ = '0.3'\n"
        "@api.hookimpl\ndef studio_datasets():\n"
        "    return [api.DatasetSpec('file-data', 'F', '', 'toy', lambda: None)]\n"
    )
    (tmp_path / "bad.py").write_text("raise ImportError('no luck')\n")
    (tmp_path / "bad-name.py").write_text("STUDIO_API = '1.0'\n")
    manager = PluginManager()
    assert manager.load_file_plugins(tmp_path) == ["file:bad-name", "file:bad", "file:good"]
    good, bad = manager.records["file:good"], manager.records["file:bad"]
    assert good.ok and good.version == "0.3" and "file-data" in manager.datasets
    assert bad.status == "failed" and "no luck" in bad.errors[0][0]
    assert "ImportError" in bad.errors[0][1]
    assert "must be a Python identifier" in manager.records["file:bad-name"].errors[0][0]
    assert manager.load_file_plugins(tmp_path) == []  # already known


def test_enable_and_disable_take_effect_live(tmp_path):
    (tmp_path / "later.py").write_text(
        "from studio import api\nSTUDIO_API = '1.0'\nLOADED = True\n"
        "@api.hookimpl\ndef studio_datasets():\n"
        "    return [api.DatasetSpec('later-data', 'L', '', 'toy', lambda: None)]\n"
    )
    manager = load_plugins(disabled=["shapes_gan", "file:later"], plugin_dir=tmp_path)
    assert "gan-shape" not in manager.models and "later-data" not in manager.datasets
    assert "studio_file_plugin_later" not in sys.modules  # blocked before import
    manager.set_enabled("shapes_gan", True)
    manager.set_enabled("file:later", True)
    assert "gan-shape" in manager.models and "later-data" in manager.datasets
    manager.set_enabled("shapes_gan", False)
    assert "gan-shape" not in manager.models and manager.records["shapes_gan"].status == "disabled"
    manager.set_enabled("shapes_gan", True)
    assert manager.records["shapes_gan"].ok and "gan-shape" in manager.models


def test_a_trainer_raising_on_the_qthread_names_the_plugin_and_keeps_its_checkpoint(
    qtbot, make_window, toy
):
    manager = toy.manager(toy.trainer_class(fail_at=12, message="the toy exploded"), True)
    w = make_window(manager)
    w.model_combo.setCurrentIndex(w.model_combo.findData("toy"))
    w.form.steps.setValue(100)
    w.form.checkpoint_every.setValue(5)
    with qtbot.waitSignal(w.session.finished, timeout=60_000) as blocker:
        w.train_action.trigger()
    assert blocker.args[0].state == "failed" and blocker.args[0].step == 12
    [message] = [m for m in w.notifications.messages() if "plugin toy_plugin failed" in m]
    assert "while training toy" in message
    error, details = manager.records["toy_plugin"].errors[-1]
    assert "the toy exploded" in error and "Traceback" in details and "train_step" in details
    run = RunDir(w.current_run)
    assert run.checkpoint_steps()[-1] == 10  # the last good one, to resume from
    assert w.resume_action.isEnabled() and w.train_action.isEnabled()
    dialog = w.show_plugins()
    dialog.select("toy_plugin")
    assert "the toy exploded" in dialog.details.toPlainText()
    assert "Traceback" in dialog.details.toPlainText()


def test_a_sampling_widget_that_fails_to_build_is_reported(make_window):
    manager = load_plugins()
    manager.register(_widget_plugin("bad-factory", factory_raises=True), "bad_factory")
    w = make_window(manager)
    w.model_combo.setCurrentIndex(w.model_combo.findData("bad-factory"))
    assert w.explore.currentWidget() is w.explore_placeholder
    [message] = [m for m in w.notifications.messages() if "failed to build" in m]
    assert "the widget factory broke" in message and "plugin bad_factory" in message
    # The Explore tab says so too (not "This model has no sampling widget").
    reason = (
        "the sampling widget of bad-factory (plugin bad_factory) failed to build: "
        "RuntimeError: the widget factory broke"
    )
    assert w.explore_placeholder.text() == reason
    w.model_combo.setCurrentIndex(w.model_combo.findData("gan-shape"))
    assert w.explore.currentWidget() is w.sampling_widgets["gan-shape"]
    w.workbench.set_model("bad-factory")  # reported once, shown each time
    assert w.explore_placeholder.text() == reason
    assert len([m for m in w.notifications.messages() if "failed to build" in m]) == 1


@pytest.mark.qt_no_exception_capture  # the guard reports, then hands on to the default hook
def test_show_sample_raising_on_the_gui_thread_names_the_plugin(qtbot, make_window, capsys):
    from studio.api import Numbers

    manager = load_plugins()
    manager.register(_widget_plugin("bad-show", show_raises=True), "bad_show")
    w = make_window(manager)
    w.model_combo.setCurrentIndex(w.model_combo.findData("bad-show"))
    widget = w.sampling_widgets["bad-show"]
    from PySide6.QtCore import QTimer

    # What sampling does once the model has sampled: show it from the GUI thread's loop.
    QTimer.singleShot(0, lambda: widget.show_sample(Numbers(values=[1])))
    qtbot.waitUntil(lambda: any("plugin bad_show raised" in m for m in w.notifications.messages()))
    error, details = manager.records["bad_show"].errors[-1]
    assert "show_sample broke" in error and "show_sample" in details
    assert w.model_combo.isEnabled() and w.train_action.isEnabled()  # the app goes on
