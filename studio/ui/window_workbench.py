"""The window's view of the workbench (``studio.core.workbench``): the model box, the
config form and the dataset highlight show the workbench's state, and the user's
choices in them go to the workbench, whose rules decide what follows (the dataset a
model trains on, the model a dataset selects, what a train request holds)."""

from __future__ import annotations

import contextlib

from PySide6.QtWidgets import QComboBox

from studio.core.config import ConfigError
from studio.core.dataset_trust import UntrustedDataset
from studio.core.errors import DatasetError
from studio.core.rundir import RunRecord
from studio.core.workbench import (
    CUSTOM,
    DatasetChanged,
    DatasetSelection,
    Event,
    ModelChanged,
    Notice,
    Workbench,
    WorkbenchError,
    selection_of,
)
from studio.plugins import PluginManager
from studio.ui.config_form import ConfigForm
from studio.ui.dataset_browser import ROLE_PATH, DatasetBrowser
from studio.ui.window_host import WindowHost
from studio.ui.window_plugins import fill_model_box


class WorkbenchView:
    """Keeps ``box`` (models), ``form`` and ``datasets`` (the highlight) showing
    ``workbench``, and passes the user's picks to it. The form edits the values: they
    are passed on as they change (``push_form``)."""

    def __init__(
        self,
        host: WindowHost,
        workbench: Workbench,
        plugins: PluginManager,
        box: QComboBox,
        form: ConfigForm,
        datasets: DatasetBrowser,
    ) -> None:
        self.host, self.workbench, self.plugins = host, workbench, plugins
        self.box, self.form, self.datasets = box, form, datasets
        self._syncing = False  # showing the workbench: the widgets' signals are echoes
        self._wanted: str | None = None  # the model whose plugin went away
        workbench.subscribe(self._on_event)
        box.currentIndexChanged.connect(self._on_box)
        form.changed.connect(self.push_form)
        datasets.dataset_selected.connect(self._on_dataset)
        datasets.unreadable_selected.connect(self._on_unreadable)

    # --- the user's picks -> the workbench --------------------------------------------
    def select_model(self, model_id: str) -> bool:
        """Make ``model_id`` current (what picking it in the box does)."""
        try:
            self.workbench.set_model(model_id)
        except WorkbenchError as exc:
            self.host.notify("error", str(exc))
            self.show_models()
            return False
        return True

    def _on_box(self, index: int) -> None:
        model_id = self.box.itemData(index)
        if model_id is not None and not self._syncing and model_id != self.workbench.model_id:
            self._wanted = None  # the user chose another model
            self.select_model(model_id)

    def _on_dataset(self, dataset_id: str) -> None:
        if not self._syncing:
            self.workbench.select_dataset(dataset_id)

    def _on_unreadable(self, path: str, reason: str) -> None:
        if not self._syncing:
            self.workbench.select_dropped(path, error=reason)

    def select_dropped(self, path: str, reader: str, kind: str) -> None:
        """A dropped dataset that has been read was selected."""
        if not self._syncing:
            self.workbench.select_dropped(path, reader, kind)

    def show_run(self, record: RunRecord) -> None:
        """Show what a run was trained with, so a new run repeats it; but a dataset
        path named by a run made elsewhere is not trained on until the user adds it."""
        self.workbench.show_run(record)
        data = record.dataset
        try:
            self.plugins.resolve_run(record)
        except UntrustedDataset as exc:
            reason = str(exc) if exc.refused else "named by a run made elsewhere; add it first"
            kind, reader = data.get("kind"), data.get("reader")
            self.workbench.select_dropped(exc.path, reader, kind, error=reason, follow=False)
        except Exception:  # other problems are the resume rules' to name
            pass

    def push_form(self) -> None:
        """The form's preset, config values and settings into the workbench (a wrong
        value is reported when training is asked for)."""
        if self._syncing or self.workbench.spec is None or self.form.spec is None:
            return
        if self.form.spec.id != self.workbench.model_id:
            return
        preset = self.form.preset.currentText()
        self.workbench.set_preset(preset if preset in self.form.spec.presets else CUSTOM)
        self.workbench.set_config_values(self.form.raw_config())
        with contextlib.suppress(ConfigError):  # reported when training is asked for
            self.workbench.update_settings(self.form.raw_settings())

    def checked_values(self) -> bool:
        """Push the form, then check it; a wrong value is reported (False)."""
        try:
            self.form.values()
        except ConfigError as exc:
            self.host.notify("error", f"invalid setting: {exc}")
            return False
        self.push_form()
        return True

    # --- the workbench -> the widgets -------------------------------------------------
    def show_models(self) -> None:
        """The installed models in the box, the workbench's selected."""
        self._syncing = True
        try:
            fill_model_box(self.box, self.plugins, self.workbench.model_id)
        finally:
            self._syncing = False

    def plugins_changed(self) -> None:
        """Plugins were enabled, disabled, installed or uninstalled: the models now
        installed; the current one if it is still there (rebuilt if its plugin was
        reloaded), else the first one."""
        self.show_models()
        if self.workbench.training:
            return
        wanted = self._wanted
        if wanted in self.plugins.models and wanted != self.workbench.model_id:
            # Its plugin is back (disabled, then enabled again): the user's model.
            self._wanted = None
            self.select_model(wanted)
            return
        spec = self.plugins.models.get(self.workbench.model_id or "")
        if spec is None:
            self._wanted = self.workbench.model_id  # to come back to with its plugin
            first = self.box.itemData(0)
            if first is not None:
                self.select_model(first)
            else:
                self.host.run_shown()
        elif self.form.spec is not spec:
            self.select_model(spec.id)

    def _form_dataset(self) -> tuple[str, str | None]:
        """What the form's command line names for the current model."""
        selection = self.workbench.selection
        try:
            dataset = self.workbench.dataset_for_model()
        except (DatasetError, WorkbenchError):  # the selection, though it cannot be read
            dataset = None
        if dataset is None:
            if selection is None:
                return "", None
            return selection.name, selection.reader
        chosen = selection_of(dataset)
        return chosen.name, chosen.reader

    def _on_event(self, event: Event) -> None:
        self._syncing = True
        try:
            if isinstance(event, ModelChanged):
                spec = self.plugins.models[event.model_id]
                self.box.setCurrentIndex(self.box.findData(event.model_id))
                self.form.set_model(spec, *self._form_dataset())
                self.host.run_shown()
                self.host.update_actions()
            elif isinstance(event, DatasetChanged) and event.selection is not None:
                self.form.set_dataset(event.selection.name, event.selection.reader)
                self._highlight(event.selection)
            elif isinstance(event, Notice):
                self.host.notify(event.level, event.text)
        finally:
            self._syncing = False

    def _highlight(self, selection: DatasetSelection) -> None:
        """Highlight the selected dataset in the browser, unless it already is."""
        item = self.datasets.tree.currentItem()
        if selection.dropped:
            shown = item is not None and item.data(0, ROLE_PATH) == selection.path
        else:
            shown = self.datasets.selected_id() == selection.id
        if not shown:
            self.datasets.show_current(
                {"source": "path", "path": selection.path}
                if selection.dropped
                else {"source": "embedded", "id": selection.id}
            )
