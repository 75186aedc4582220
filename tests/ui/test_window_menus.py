"""The menu bar, its shortcuts, export from the window, the newcomer's empty state and
presets by device, the long-CPU-run question, and the dark theme."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from studio.ui import theme

WAIT = 120_000


@pytest.fixture(scope="module")
def dcgan_run(tmp_path_factory) -> Path:
    """A short DCGAN run written by the CLI: a model with ONNX and safetensors
    exporters."""
    from studio import cli

    run = tmp_path_factory.mktemp("menus") / "dcgan-run"
    args = ["train", "--model", "dcgan", "--preset", "quick CPU", "--steps", "2"]
    assert cli.main([*args, "--sample-every", "2", "--run-dir", str(run)]) == 0
    return run


def _menu_titles(w) -> dict[str, list[str]]:
    return {
        a.text().replace("&", ""): [x.text().replace("&", "") for x in a.menu().actions()]
        for a in w.menuBar().actions()
    }


def test_menu_bar_keys_and_theme(make_window):
    w = make_window()
    menus = _menu_titles(w)
    assert list(menus) == ["File", "Run", "View", "Help"]
    assert {"Quit", "Open run folder...", "Watch a folder of runs...", "Export"} <= set(
        menus["File"]
    )
    assert {"Train", "Pause", "Stop", "Resume", "Plugins"} <= set(menus["Run"])
    assert {"Datasets", "Runs", "Config", "Messages", "Theme"} <= set(menus["View"])
    assert {"User guide", "About GenAI Studio"} <= set(menus["Help"])
    keys = {name: [s.toString() for s in a.shortcuts()] for name, a in w.menus.actions.items()}
    assert keys["add_files"] == ["Ctrl+O"]
    assert keys["toggle_pause"] == ["Space"] and keys["pause"] == ["Ctrl+P"]
    assert keys["stop"] == ["Esc", "Ctrl+."] and keys["go"] == ["F5"]
    assert keys["quit"] == ["Ctrl+Q"] and keys["guide"] == ["F1"]
    # Every toolbar action is reachable from the menus (so from the keyboard).
    in_menus = {x for a in w.menuBar().actions() for x in a.menu().actions()}
    add_data = w.toolbar.add_data.menu().actions()
    assert {w.menus.actions["add_files"].text(), w.menus.actions["add_folder"].text()} == {
        "&Add data files or archive...",
        "Add data &folder...",
    } and len(add_data) == 2
    for action in (w.train_action, w.pause_action, w.stop_action, w.resume_action):
        assert action in in_menus
    assert w.toolbar.plugins in in_menus

    # View > Theme: dark, then light; remembered; the plots follow.
    w.menus.actions["theme_dark"].trigger()
    assert w.dark and w.settings.value("view/theme") == "dark"
    window_colour = QApplication.palette().color(QPalette.ColorRole.Window)
    assert window_colour.lightness() < 100
    assert w.loss_plot.plot.backgroundBrush().color().lightness() < 100
    w.menus.actions["theme_light"].trigger()
    assert not w.dark and theme.saved(w.settings) == "light"
    assert w.loss_plot.plot.backgroundBrush().color().lightness() > 200


def test_keys_train_pause_continue_and_stop(qtbot, make_window):
    w = make_window()
    w.workbench.set_model("gan-shape")
    w.form.steps.setValue(1_000_000)
    w.activateWindow()  # window shortcuts work in the active window
    qtbot.waitUntil(w.isActiveWindow, timeout=WAIT)
    w.loss_plot.setFocus()
    qtbot.keyClick(w, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: w.progress.value() > 5, timeout=WAIT)
    qtbot.keyClick(w, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: w.training.paused, timeout=WAIT)
    assert w.status.rate.text() == "paused"  # no stale steps/s while paused
    qtbot.keyClick(w, Qt.Key.Key_F5)  # F5 continues a paused run
    qtbot.waitUntil(lambda: not w.training.paused, timeout=WAIT)
    with qtbot.waitSignal(w.session.finished, timeout=WAIT) as blocker:
        qtbot.keyClick(w, Qt.Key.Key_Escape)
    assert blocker.args[0].state == "stopped"
    assert "steps/s" not in w.status.rate.text() and "it/s" not in w.status.rate.text()


def test_export_reaches_the_model_exporters_and_the_gif(qtbot, make_window, dcgan_run, tmp_path):
    import onnx
    from safetensors import safe_open

    w = make_window()
    assert w.exporters_for_run() == []  # no run open: nothing to export
    w.open_run(str(dcgan_run))
    ids = {e.id for e in w.exporters_for_run()}
    assert {"image-gan-onnx", "image-gan-safetensors"} <= ids
    w.menus.export_menu.aboutToShow.emit()
    texts = [a.text() for a in w.menus.export_menu.actions()]
    assert any("ONNX" in t for t in texts) and any("GIF" in t for t in texts)
    w.export_model("image-gan-onnx", tmp_path / "generator")
    w.export_model("image-gan-safetensors", tmp_path / "generator")
    onnx_file, weights = tmp_path / "generator.onnx", tmp_path / "generator.safetensors"
    qtbot.waitUntil(
        lambda: sum("written to" in m for m in w.notifications.messages()) == 2, timeout=WAIT
    )
    onnx.checker.check_model(onnx.load(str(onnx_file)))
    with safe_open(str(weights), "pt") as f:
        assert len(list(f.keys())) > 0

    # The samples over training as a GIF: the result is a message; the step label stays.
    assert w.gallery.gif_button.isEnabled()
    label = w.gallery.step_label.text()
    w.gallery.export_gif(tmp_path / "progress.gif")
    qtbot.waitUntil(lambda: any("saved" in m for m in w.notifications.messages()), timeout=WAIT)
    assert (tmp_path / "progress.gif").stat().st_size > 0
    assert w.gallery.step_label.text() == label


def test_a_newcomer_is_told_what_to_press_how_long_and_offered_the_quick_preset(qtbot, make_window):
    w = make_window()
    w.workbench.set_model("gan-shape")
    assert w.form.preset.currentText() == "book"  # devices not probed yet
    assert w.loss_plot.empty.isVisible() and not w.loss_plot.plot.isVisible()
    w.tabs.setCurrentWidget(w.explore)
    assert w.explore.hint.isVisible()
    w.tabs.setCurrentWidget(w.loss_plot)
    text = w.loss_plot.empty.text()
    assert "Press Train (F5)" in text and "GAN: exponential curve" in text
    assert "time left shows" in text  # nothing measured yet: no made-up time

    # No GPU: every model opens on its quick preset (a form the user has not touched).
    w.newcomer.devices_found(["cpu"])
    assert w.form.preset.currentText() == "quick CPU"
    assert w.settings.value("devices/gpu") == "false"
    w.workbench.set_model("gan-numbers")
    assert w.form.preset.currentText() == "quick CPU"
    w.workbench.set_model("gan-shape")

    # A run measures this computer: the empty state then gives the time.
    w.form.steps.setValue(60)
    with qtbot.waitSignal(w.session.finished, timeout=WAIT):
        w.train_action.trigger()
    assert not w.loss_plot.empty.isVisible()
    assert w.explore.hint.isHidden()  # a run to sample from
    w.run_view.close()
    w.run_shown()
    qtbot.waitUntil(lambda: "on this computer" in w.loss_plot.empty.text(), timeout=WAIT)
    assert w.loss_plot.empty.isVisible()
    w.tabs.setCurrentWidget(w.explore)
    assert w.explore.hint.isVisible() and "Press <b>Train</b>" in w.explore.hint.text()

    # A run estimated at over an hour on the CPU is questioned; the quick preset offered.
    rate = w.newcomer.rate(w.form.spec)
    assert rate and rate > 0
    w.form.steps.setValue(int(rate * 3600 * 2))
    asked = []
    w.newcomer.ask = lambda text, quick: asked.append((text, quick)) or "cancel"
    assert not w.start_training() and not w.session.is_running()
    assert "on this computer's CPU" in asked[0][0] and asked[0][1] == "quick CPU"
    w.newcomer.ask = lambda text, quick: "quick"
    assert w.start_training()
    assert w.workbench.preset == "quick CPU"
    with qtbot.waitSignal(w.session.finished, timeout=WAIT):
        w.stop_action.trigger()
