"""The main window's keyboard order: Tab walks the toolbar (every action a stop), the
Config dock, the tabs, then the Datasets, Runs and Messages docks, and Shift+Tab walks
back; the tabs under Runs bring Recipes forward; the model box answers Alt+M."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from studio.ui.window_focus import dock_tab_bars


def _walk(qtbot, w, key, start, limit: int = 300) -> list:
    """Press ``key`` from ``start`` until the focus comes back to it: where it went."""
    start.setFocus(Qt.FocusReason.OtherFocusReason)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is start, timeout=60_000)
    seen = []
    for _ in range(limit):
        qtbot.keyClick(QApplication.focusWidget(), key)
        focus = QApplication.focusWidget()
        if focus is start:
            return seen
        assert focus is not None and focus not in seen, f"Tab went back to {focus!r}"
        seen.append(focus)
    raise AssertionError(f"Tab never came back to the first control after {limit} presses")


def _region(w, widget) -> int:
    for i, region in enumerate(w.focus_regions()):
        if region is widget or region.isAncestorOf(widget):
            return i
    return -1


def test_tab_walks_toolbar_config_tabs_then_docks_and_back(qtbot, make_window):
    w = make_window()
    w.resize(1366, 768)
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow, timeout=60_000)
    tb = w.toolbar
    add_data = tb.widgetForAction(tb.add_data)
    forward = [add_data, *_walk(qtbot, w, Qt.Key.Key_Tab, add_data)]
    regions = [_region(w, x) for x in forward]
    assert -1 not in regions, [x for x, r in zip(forward, regions, strict=True) if r < 0]
    # Region after region, each visited once, in the window's order: toolbar, Config,
    # tabs, Datasets, Runs, the tabs that bring Recipes (behind Runs) forward, Messages.
    assert regions == sorted(regions)
    bars = dock_tab_bars(w)
    assert len(bars) == 1 and bars[0].count() == 2  # Runs | Recipes
    visited = [w.focus_regions()[i] for i in sorted(set(regions))]
    assert visited == [
        tb,
        w.config_dock,
        w.tabs,
        w.dataset_dock,
        w.runs_dock,
        bars[0],
        w.messages_dock,
    ]

    # The toolbar: every enabled action, in the order shown; the disabled ones (Pause
    # and Stop with no run) are skipped, and reachable from the Run menu.
    buttons = [x for x in forward if _region(w, x) == 0]
    expected = [add_data, tb.model_box, tb.widgetForAction(tb.train)]
    expected.append(tb.widgetForAction(tb.plugins))
    assert [b for b in buttons if b is not tb.widgetForAction(tb.resume)] == expected
    # The Config dock: the preset first, the form's fields top to bottom.
    config = [x for x in forward if _region(w, x) == 1]
    assert config[0] is w.form.preset
    tops = [x.mapTo(w.form, x.rect().topLeft()).y() for x in config if w.form.isAncestorOf(x)]
    assert tops == sorted(tops)
    # The tabs: the tab bar, then the page shown.
    tabs = [x for x in forward if _region(w, x) == 2]
    assert tabs[0] is w.tabs.tabBar()
    assert all(w.tabs.currentWidget().isAncestorOf(x) for x in tabs[1:])
    assert w.runs.tree in forward and forward.index(w.runs.tree) > forward.index(tabs[-1])

    # A toolbar button pressed from the keyboard does what a click does.
    plugins_button = tb.widgetForAction(tb.plugins)
    plugins_button.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(plugins_button.hasFocus, timeout=60_000)
    qtbot.keyClick(plugins_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: w.plugin_side.dialog is not None, timeout=60_000)
    qtbot.waitUntil(w.plugin_side.dialog.isVisible, timeout=60_000)
    w.plugin_side.dialog.close()

    # The tabs under Runs: an arrow key brings Recipes forward, and Tab goes into it.
    bars[0].setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(bars[0].hasFocus, timeout=60_000)
    qtbot.keyClick(bars[0], Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: w.recipes.view.isVisible(), timeout=60_000)
    qtbot.keyClick(bars[0], Qt.Key.Key_Tab)
    assert w.recipes.dock.isAncestorOf(QApplication.focusWidget())
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Backtab)
    assert QApplication.focusWidget() is bars[0]
    qtbot.keyClick(bars[0], Qt.Key.Key_Left)  # Runs in front again
    qtbot.waitUntil(w.runs.tree.isVisible, timeout=60_000)

    # Shift+Tab walks the same way back.
    backward = _walk(qtbot, w, Qt.Key.Key_Backtab, add_data)
    assert backward == forward[1:][::-1]

    # Another model rebuilds the form: its fields still come right after the preset.
    w.bench_view.select_model("gpt")
    qtbot.waitUntil(lambda: w.model_id == "gpt", timeout=60_000)
    forward = _walk(qtbot, w, Qt.Key.Key_Tab, add_data)
    config = [x for x in forward if _region(w, x) == 1]
    assert config[0] is w.form.preset
    tops = [x.mapTo(w.form, x.rect().topLeft()).y() for x in config if w.form.isAncestorOf(x)]
    assert tops == sorted(tops)


def test_alt_m_goes_to_the_model_box(qtbot, make_window):
    w = make_window()
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow, timeout=60_000)
    w.tabs.tabBar().setFocus()
    qtbot.waitUntil(w.tabs.tabBar().hasFocus, timeout=60_000)
    qtbot.keyClick(w.tabs.tabBar(), Qt.Key.Key_M, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(w.toolbar.model_box.hasFocus, timeout=60_000)
