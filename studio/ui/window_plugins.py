"""The main window's plugin side: the plugin manager dialog, the model box in the
book's order, and naming the plugin whose code raised on the GUI thread."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QComboBox, QWidget

from studio.core.contributions import ModelSpec
from studio.plugins import PluginManager
from studio.ui.plugin_dialog import PluginDialog
from studio.ui.plugin_errors import PluginErrorGuard
from studio.ui.window_host import WindowHost

# The built-in models in the book's order (chapter 3 first: quick to train, easy to
# see); other plugins' models follow in the order they were loaded.
BOOK_ORDER = ("gan-shape", "gan-numbers", "gan-mlp", "dcgan", "cgan", "lstm", "gpt")


def book_order(spec: ModelSpec) -> int:
    return BOOK_ORDER.index(spec.id) if spec.id in BOOK_ORDER else len(BOOK_ORDER)


class PluginsController:
    """Owns the plugin dialog (``dialog``, made on first use) and the error guard; calls
    ``on_change`` after a plugin was enabled, disabled, installed or uninstalled."""

    def __init__(
        self,
        host: WindowHost,
        plugins: PluginManager,
        settings: QSettings,
        parent: QWidget,
        on_change: Callable[[], None],
    ) -> None:
        self.host, self.plugins, self.settings, self._parent = host, plugins, settings, parent
        self._on_change = on_change
        self.dialog: PluginDialog | None = None
        # A raise in a plugin's code on the GUI thread (its sampling widget) is reported
        # with the plugin's name.
        self.guard = PluginErrorGuard(plugins, host.notify, parent)

    def show(self) -> PluginDialog:
        """Open the plugin manager (non-modal: training and sampling go on)."""
        if self.dialog is None:
            self.dialog = PluginDialog(self.plugins, self.settings, self._parent)
            self.dialog.plugins_changed.connect(self._on_change)
        self.dialog.refresh()
        self.dialog.show()
        self.dialog.raise_()
        return self.dialog

    def report_load_problems(self) -> None:
        """A message for each error a plugin met while loading."""
        for rec in self.plugins.problems():
            for message, details in rec.errors:
                self.host.notify("error", f"plugin {rec.name}: {message}", details)
        if not self.plugins.models:
            self.host.notify("error", "no model plugins are loaded; see Plugins for why")

    def unavailable(self, model_id: str, plugin: str) -> str:
        """Why a run's model cannot be used (its plugin disabled, failed or gone)."""
        record = self.plugins.records.get(plugin)
        if record is None:
            return f"model {model_id} comes from plugin {plugin}, which is not installed"
        if record.status != "loaded":
            return f"model {model_id} comes from plugin {plugin}, which is {record.status}"
        return f"plugin {plugin} no longer provides model {model_id}"


def fill_model_box(box: QComboBox, plugins: PluginManager, current: str | None) -> None:
    """The installed models in the book's order, ``current`` selected if still there
    (no change signal: the workbench decides what a change means)."""
    box.blockSignals(True)
    box.clear()
    for spec in sorted(plugins.models.values(), key=book_order):
        box.addItem(spec.name, spec.id)
    box.setCurrentIndex(max(0, box.findData(current)))
    box.blockSignals(False)
