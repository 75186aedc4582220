"""The plugin manager dialog with a real window, real settings and real pip runs (into
a throwaway environment, offline)."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt

from studio import api
from studio.core.contributions import API_VERSION
from studio.plugins import load_plugins
from studio.ui.plugin_dialog import COLUMNS, PluginDialog

OFFLINE = ("--no-index", "--no-deps", "--no-build-isolation")


class Raising:
    STUDIO_API = "1.0"

    @staticmethod
    @api.hookimpl
    def studio_datasets():
        raise RuntimeError("the dataset list exploded")


def _row(dialog: PluginDialog, name: str) -> int:
    return [r.name for r in dialog.records].index(name)


def test_every_plugin_is_listed_with_its_status_and_traceback(qtbot, tmp_path):
    manager = load_plugins()
    manager.register(Raising, "raising_plugin", "2.5")
    dialog = PluginDialog(manager, QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(dialog)
    assert [dialog.table.horizontalHeaderItem(i).text() for i in range(len(COLUMNS))] == COLUMNS
    row = _row(dialog, "shapes_gan")
    cells = [dialog.table.item(row, c).text() for c in range(1, len(COLUMNS))]
    declared = manager.records["shapes_gan"].api_version  # the STUDIO_API it declares
    assert declared and cells[:5] == ["shapes_gan", "0.1.0", declared, "loaded", "built-in"]
    assert "models: gan-shape, gan-numbers" in cells[5]
    assert dialog.table.item(_row(dialog, "flow2d"), 5).text() == "entry point (studio-flow2d)"
    row = _row(dialog, "raising_plugin")
    assert dialog.table.item(row, 4).text() == "failed"
    dialog.select("raising_plugin")
    details = dialog.details.toPlainText()
    assert "studio_datasets raised RuntimeError: the dataset list exploded" in details
    assert "Traceback (most recent call last)" in details
    assert not dialog.uninstall_button.isEnabled()  # a registered plugin has no package
    dialog.select("shapes_gan")
    assert not dialog.uninstall_button.isEnabled()  # built-in
    dialog.select("flow2d")
    assert dialog.uninstall_button.isEnabled()


def test_disabling_is_live_and_remembered(qtbot, make_window, tmp_path):
    w = make_window(load_plugins())
    dialog = w.show_plugins()
    check = dialog.table.item(_row(dialog, "shapes_gan"), 0)
    check.setCheckState(Qt.CheckState.Unchecked)
    models = [w.model_combo.itemData(i) for i in range(w.model_combo.count())]
    assert "gan-shape" not in models and "gan-shape" not in w.plugins.models
    assert w.model_id is not None and w.train_action.isEnabled()
    assert w.settings.value("plugins/disabled") == ["shapes_gan"]
    assert "exponential-curve" not in w.plugins.datasets
    check = dialog.table.item(_row(dialog, "shapes_gan"), 0)
    check.setCheckState(Qt.CheckState.Checked)
    assert w.model_combo.findData("gan-shape") >= 0
    assert not w.settings.value("plugins/disabled")


def test_a_single_file_plugin_installs_and_uninstalls_live(qtbot, make_window, tmp_path):
    source = tmp_path / "tiny_toy.py"
    source.write_text(
        "from dataclasses import dataclass\nfrom studio import api\nSTUDIO_API = '1.0'\n"
        "@dataclass\nclass Cfg:\n    batch_size: int = 4\n"
        "@api.hookimpl\ndef studio_models():\n"
        "    return [api.ModelSpec(id='tiny-toy', name='Tiny toy', description='',\n"
        "        dataset_kinds=('points2d',), config_class=Cfg,\n"
        "        trainer_factory=lambda c, d, dev: None)]\n"
    )
    w = make_window(load_plugins())
    dialog = w.show_plugins()
    dialog.plugin_dir = tmp_path / "user-plugins"
    dialog.install(str(source))
    assert (tmp_path / "user-plugins" / "tiny_toy.py").exists()
    assert w.model_combo.findData("tiny-toy") >= 0
    assert "Installed tiny_toy.py" in dialog.result.text()
    assert dialog.selected().name == "file:tiny_toy"
    dialog.confirm_uninstall = lambda what: True
    dialog.uninstall_selected()
    assert w.model_combo.findData("tiny-toy") < 0
    assert not (tmp_path / "user-plugins" / "tiny_toy.py").exists()


def test_pip_installs_a_project_folder_then_uninstalls_it(
    qtbot, make_window, project, throwaway_env
):
    python, site = throwaway_env
    folder = project("studio-tiny-flow", "tiny-flow")
    w = make_window(load_plugins())
    dialog = w.show_plugins()
    dialog.python, dialog.pip_options = python, OFFLINE
    plans = []
    dialog.confirm_plan = lambda plan: plans.append(plan) or True
    dialog.install(str(folder))
    assert dialog.is_busy() and dialog.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: not dialog.is_busy(), timeout=120_000)
    assert dialog.result.text().startswith("Installed studio-tiny-flow 1.0"), dialog.result.text()
    [plan] = plans
    assert [p.describe() for p in plan.packages] == ["studio-tiny-flow 1.0 (new)"]
    assert plan.plugins[0].api_version == "1.0" and not plan.protected_changes
    output = dialog.output.toPlainText()
    assert "Successfully installed studio-tiny-flow-1.0" in output  # pip's own words
    assert list(site.glob("studio_tiny_flow-1.0.dist-info"))
    assert w.model_combo.findData("tiny-flow") >= 0  # no restart
    rec = w.plugins.records["studio_tiny_flow"]
    assert rec.ok and rec.dist == "studio-tiny-flow" and dialog.selected() is rec

    dialog.confirm_uninstall = lambda what: True
    dialog.uninstall_selected()
    qtbot.waitUntil(lambda: not dialog.is_busy(), timeout=60_000)
    assert dialog.result.text().startswith("Uninstalled studio-tiny-flow"), dialog.result.text()
    assert not list(site.glob("studio_tiny_flow-1.0.dist-info"))
    assert w.model_combo.findData("tiny-flow") < 0
    assert "studio_tiny_flow" not in w.plugins.records


def test_a_plugin_for_another_contract_is_refused_before_pip_installs(
    qtbot, project, throwaway_env
):
    python, site = throwaway_env
    folder = project("studio-future", "future-model", api="2.0")
    dialog = PluginDialog(load_plugins(), python=python, pip_options=OFFLINE)
    qtbot.addWidget(dialog)
    dialog.confirm_plan = lambda plan: (_ for _ in ()).throw(AssertionError("not asked"))
    dialog.install(str(folder))
    qtbot.waitUntil(lambda: not dialog.is_busy(), timeout=60_000)
    assert dialog.result.text() == (
        "Refused: plugin studio_future was written for contract version 2.0, but this "
        f"GenAI Studio provides {API_VERSION}; it was not installed"
    )
    assert not list(site.glob("studio_future*"))


def test_a_running_pip_can_be_cancelled_and_errors_are_reported(qtbot, throwaway_env):
    python, _site = throwaway_env
    dialog = PluginDialog(load_plugins(), python=python, pip_options=OFFLINE)
    qtbot.addWidget(dialog)
    dialog.install("studio-not-on-any-index==9.9")
    dialog.cancel()
    qtbot.waitUntil(lambda: not dialog.is_busy(), timeout=30_000)
    assert dialog.result.text().startswith("Cancelled.")
    dialog.install("studio-not-on-any-index==9.9")
    qtbot.waitUntil(lambda: not dialog.is_busy(), timeout=60_000)
    assert dialog.result.text().startswith("pip could not resolve the requirement")
    assert "No matching distribution" in dialog.output.toPlainText()
    dialog.install("not a requirement !!")
    assert dialog.result.text().startswith("Cannot install:")
