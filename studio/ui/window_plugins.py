"""The main window's plugin side: the plugin manager dialog, showing plugins that
were enabled, disabled, installed or uninstalled, and naming the plugin whose code
failed. A mixin of ``MainWindow``, kept apart because it is one responsibility."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Slot

from studio.core.listener import EngineResult
from studio.ui.plugin_dialog import PluginDialog
from studio.ui.plugin_errors import PluginErrorGuard

# The built-in models in the book's order (chapter 3 first: quick to train, easy to
# see); other plugins' models follow in the order they were loaded.
BOOK_ORDER = ("gan-shape", "gan-numbers", "gan-mlp", "dcgan", "cgan", "lstm", "gpt")


def book_order(spec) -> int:
    return BOOK_ORDER.index(spec.id) if spec.id in BOOK_ORDER else len(BOOK_ORDER)


class PluginsMixin:
    # --- plugins: the manager dialog, live changes, plugin errors --------------------
    def _wire_plugins(self) -> None:
        self.plugin_dialog: PluginDialog | None = None
        self._last_error_event = ""
        # A raise in a plugin's code on the GUI thread (its sampling widget) is reported
        # with the plugin's name; a trainer's raise ends its run and is reported too.
        self.plugin_guard = PluginErrorGuard(self.plugins, self.notify, self)
        self.session.updates.connect(self._remember_error_event)
        self.session.finished.connect(self._report_plugin_failure)

    def show_plugins(self) -> PluginDialog:
        """Open the plugin manager (non-modal: training and sampling go on)."""
        if self.plugin_dialog is None:
            self.plugin_dialog = PluginDialog(self.plugins, self.settings, self)
            self.plugin_dialog.plugins_changed.connect(self.refresh_plugins)
        self.plugin_dialog.refresh()
        self.plugin_dialog.show()
        self.plugin_dialog.raise_()
        return self.plugin_dialog

    def fill_model_combo(self, current: str | None = None) -> None:
        """The installed models in the book's order, ``current`` selected if still there
        (no change signal: callers decide what a change means)."""
        self.model_combo.blockSignals(True)
        self.model_combo.clear()
        for spec in sorted(self.plugins.models.values(), key=book_order):
            self.model_combo.addItem(spec.name, spec.id)
        self.model_combo.setCurrentIndex(max(0, self.model_combo.findData(current)))
        self.model_combo.blockSignals(False)

    def refresh_plugins(self) -> None:
        """Show the models, datasets and readers of the plugins as they are now (after
        a plugin was enabled, disabled, installed or uninstalled)."""
        current = self.model_id
        self.datasets.set_datasets(self.plugins.datasets)
        self.datasets.readers = self.plugins.readers
        for model_id in [m for m in self.sampling_widgets if m not in self.plugins.models]:
            widget = self.sampling_widgets.pop(model_id)
            if widget is not None:
                self.explore.removeWidget(widget)
                widget.deleteLater()
        self.fill_model_combo(current)
        spec = self.plugins.models.get(self.model_id or "")
        if spec is None:
            self.explore.setCurrentWidget(self.explore_placeholder)
        elif not self.session.is_running() and self.form.spec is not spec:
            self._on_model_changed(self.model_combo.currentIndex())
        self._set_running(self.session.is_running())

    @Slot(dict)
    def _remember_error_event(self, batch: dict[str, Any]) -> None:
        for message, level in batch["events"]:
            if level == "ERROR":
                self._last_error_event = message

    @Slot(object)
    def _report_plugin_failure(self, result: EngineResult) -> None:
        """Name the plugin whose model failed, and record it in the plugin manager."""
        details, self._last_error_event = self._last_error_event, ""
        if result.state != "failed" or self.model_id not in self.plugins.models:
            return
        name = self.plugins.owner("model", self.model_id)
        self.plugins.records[name].errors.append((f"{self.model_id}: {result.message}", details))
        self.notify("error", f"plugin {name} failed while training {self.model_id}", details)
