"""The main window's keyboard order. Tab walks the toolbar (Add data, the model box,
Train, Pause, Stop, Resume, Plugins), the Config dock, the tabs (the tab bar, then the
page shown), the Datasets dock, the Runs (or Recipes) dock and the Messages dock;
Shift+Tab walks back.

Qt's own order is the order in which widgets were made, so fields made later (the
config form is rebuilt for each model, a sampling widget appears with its model)
would go last. Here the order is read at each key press from the layouts as they are
now: each region's widgets in the order their layouts hold them (a row left to right,
a column top to bottom), which is the order they are seen in.
"""

from __future__ import annotations

from collections.abc import Iterator

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractScrollArea,
    QApplication,
    QDockWidget,
    QLayout,
    QMainWindow,
    QScrollArea,
    QTabBar,
    QWidget,
)


def window_regions(window) -> list[QWidget]:
    """Where Tab goes in the main window, in order: the toolbar, Config, the tabs, the
    Datasets and Runs docks, the tabs under Runs that bring Recipes forward, Recipes
    (when it is in front) and Messages."""
    return [
        window.toolbar,
        window.config_dock,
        window.tabs,
        window.dataset_dock,
        window.runs_dock,
        *dock_tab_bars(window),
        window.recipes.dock,
        window.messages_dock,
    ]


def dock_tab_bars(window: QMainWindow) -> list[QTabBar]:
    """The tab bars of docks that share a place (Runs and Recipes), made Tab stops:
    the arrow keys then bring the other dock forward."""
    bars = window.findChildren(QTabBar, options=Qt.FindChildOption.FindDirectChildrenOnly)
    for bar in bars:
        bar.setFocusPolicy(Qt.FocusPolicy.TabFocus)
    return bars


def takes_tab_focus(widget: QWidget, window: QWidget) -> bool:
    """Whether Tab may stop on ``widget``: enabled, shown, accepting Tab focus, and
    not one that hands its focus to another (a spin box's line edit)."""
    return (
        bool(widget.focusPolicy().value & Qt.FocusPolicy.TabFocus.value)
        and widget.isEnabled()
        and widget.isVisibleTo(window)
        and widget.focusProxy() is None
    )


def _layout_widgets(layout: QLayout) -> Iterator[QWidget]:
    """The widgets ``layout`` holds, nested layouts included, in the layout's order."""
    for i in range(layout.count()):
        item = layout.itemAt(i)
        if item is None:
            continue
        if item.widget() is not None:
            yield item.widget()
        elif item.layout() is not None:
            yield from _layout_widgets(item.layout())


def _children_in_order(widget: QWidget) -> list[QWidget]:
    """``widget``'s child widgets: those of its layout in the layout's order, then the
    others (a splitter's panes, a tab widget's bar and pages, a scroll area's
    viewport) top to bottom, left to right."""
    children = [c for c in widget.children() if isinstance(c, QWidget) and not c.isWindow()]
    ordered: list[QWidget] = []
    if widget.layout() is not None:
        ordered = [w for w in _layout_widgets(widget.layout()) if w in children]
    rest = [c for c in children if c not in ordered]
    rest.sort(key=lambda c: (c.y(), c.x()))
    return ordered + rest


def _is_scroll_container(widget: QWidget) -> bool:
    """A scroll area around other widgets (not a list, table or text box)."""
    return isinstance(widget, QAbstractScrollArea) and not isinstance(widget, QAbstractItemView)


def region_order(region: QWidget, window: QWidget) -> list[QWidget]:
    """The widgets in ``region`` (itself included) that Tab stops on, in the order
    they are seen. A scroll area holding fields is no stop of its own: its fields
    are, and it scrolls to each (one holding only a picture is: arrows scroll it)."""
    out: list[QWidget] = []

    def walk(widget: QWidget) -> None:
        start = len(out)
        if takes_tab_focus(widget, window):
            out.append(widget)
        for child in _children_in_order(widget):
            if child.isVisibleTo(window):  # a hidden page or dock: nothing in it
                walk(child)
        holds_fields = len(out) > start + 1 and out[start] is widget
        if holds_fields and _is_scroll_container(widget):
            del out[start]

    walk(region)
    return out


def _shown(region: QWidget, window: QWidget) -> bool:
    """Whether ``region`` is on screen: a dock behind another in a tab group is "visible"
    to Qt but moved out of the window."""
    if not region.isVisibleTo(window):
        return False
    if isinstance(region, QDockWidget) and not region.isFloating():
        return window.rect().intersects(region.geometry())
    return True


def focus_order(window, regions: list[QWidget]) -> list[QWidget]:
    """Every widget Tab stops on in ``window``, region after region."""
    out: list[QWidget] = []
    for region in regions:
        if region is not None and _shown(region, window):
            out += [w for w in region_order(region, window) if w not in out]
    return out


def _in_order(widget: QWidget | None, order: list[QWidget]) -> QWidget | None:
    """``widget`` or its nearest ancestor that is in ``order``."""
    while widget is not None:
        if widget in order:
            return widget
        widget = widget.parentWidget()
    return None


def move_focus(window: QWidget, regions: list[QWidget], forward: bool) -> bool:
    """Move the keyboard focus to the next (previous) widget in the window's order;
    False when the focus is somewhere the order does not cover (Qt's own order then)."""
    order = focus_order(window, regions)
    current = _in_order(QApplication.focusWidget(), order)
    if not order or current is None:
        return False
    step = 1 if forward else -1
    target = order[(order.index(current) + step) % len(order)]
    reason = Qt.FocusReason.TabFocusReason if forward else Qt.FocusReason.BacktabFocusReason
    target.setFocus(reason)
    _scroll_into_view(target)
    return True


def _scroll_into_view(widget: QWidget) -> None:
    """Scroll every scroll area holding ``widget`` so that it is in view (the form)."""
    parent = widget.parentWidget()
    while parent is not None:
        inner = parent.widget() if isinstance(parent, QScrollArea) else None
        if inner is not None and inner.isAncestorOf(widget):
            parent.ensureWidgetVisible(widget)
        parent = parent.parentWidget()
