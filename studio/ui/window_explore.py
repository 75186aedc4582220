"""The Explore tab: each model's own sampling widget, built on first use, or a page
that says why there is none (the model has no widget, or its widget failed to build)."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from studio.api_qt import SamplingContext
from studio.plugins import PluginManager
from studio.ui.layout_fit import CurrentPageStack

NO_WIDGET = "This model has no sampling widget."
NO_RUN_YET = (
    "<b>Nothing to sample from yet.</b> Press <b>Train</b> (F5), or double-click a run in "
    "the Runs list: this tab then samples from the run's newest checkpoint (Generate), "
    "or from one it saved earlier (Checkpoint)."
)
Notify = Callable[[str, str, str], None]


class ExploreStack(QWidget):
    """A stack of sampling widgets, one per model (``widgets``: model id -> widget, or
    ``None`` once known to have none), and ``placeholder`` for models without one.

    The stack is as small as the widget shown, and sits in a scroll area: a plugin's
    wide widget scrolls inside the tab instead of widening the window past the screen."""

    def __init__(self, plugins: PluginManager, notify: Notify) -> None:
        super().__init__()
        self.stack = CurrentPageStack()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        # The empty state: what to do before there is anything to sample from.
        self.hint = QLabel(NO_RUN_YET)
        self.hint.setWordWrap(True)
        self.hint.setMargin(8)
        self.hint.setStyleSheet("background: palette(alternate-base); border-radius: 4px;")
        self.hint.hide()
        layout.addWidget(self.hint)
        layout.addWidget(self.stack.in_scroll_area(), 1)
        self.plugins = plugins
        self._notify = notify
        self.widgets: dict[str, QWidget | None] = {}
        self.failures: dict[str, str] = {}  # model id -> why its widget did not build
        self.placeholder = QLabel(NO_WIDGET, alignment=Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setMargin(24)
        self.addWidget(self.placeholder)

    def widget_for(self, model_id: str) -> QWidget | None:
        """The model's sampling widget, built on first use; a factory that raises is
        reported once, naming the plugin, and remembered with its reason."""
        if model_id in self.widgets:
            return self.widgets[model_id]
        spec = self.plugins.models[model_id]
        widget = None
        if spec.widget_factory is not None:
            try:
                widget = spec.widget_factory(SamplingContext(spec, self.plugins.resolve_run))
            except Exception as exc:
                plugin = self.plugins.owner("model", spec.id)
                reason = (
                    f"the sampling widget of {spec.id} (plugin {plugin}) failed to build: "
                    f"{type(exc).__name__}: {exc}"
                )
                self.failures[model_id] = reason
                self._notify("error", reason, traceback.format_exc())
        if widget is not None:
            self.addWidget(widget)
        self.widgets[model_id] = widget
        return widget

    def show_for(self, model_id: str | None, run: Path | None) -> None:
        """Show the model's widget sampling from ``run`` (a run of that model, or None),
        or the placeholder saying why there is no widget."""
        widget = self.widget_for(model_id) if model_id in self.plugins.models else None
        self.hint.setVisible(widget is not None and run is None)
        if widget is None:
            self.placeholder.setText(self.failures.get(model_id or "", NO_WIDGET))
            self.setCurrentWidget(self.placeholder)
            return
        self.setCurrentWidget(widget)
        if hasattr(widget, "set_run"):
            widget.set_run(run)

    def drop_missing(self) -> None:
        """Forget the widgets of models no longer provided (a plugin was disabled or
        uninstalled); a re-enabled plugin builds them afresh."""
        for model_id in [m for m in self.widgets if m not in self.plugins.models]:
            widget = self.widgets.pop(model_id)
            self.failures.pop(model_id, None)
            if widget is not None:
                self.removeWidget(widget)
                widget.deleteLater()

    # The stack's API, so that the tab reads as the stack it shows.
    def addWidget(self, widget: QWidget) -> int:
        return self.stack.addWidget(widget)

    def removeWidget(self, widget: QWidget) -> None:
        self.stack.removeWidget(widget)

    def currentWidget(self) -> QWidget | None:
        return self.stack.currentWidget()

    def setCurrentWidget(self, widget: QWidget) -> None:
        self.stack.setCurrentWidget(widget)
        self.stack.updateGeometry()
