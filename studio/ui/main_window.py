"""The main window: datasets and runs on the left, training curves, samples and the
model's own sampling widget in the middle, the config form on the right.

The window builds the widgets and wires them; its collaborators do the work, each
with its own state: ``RunView`` (the run on screen), ``TrainingController`` (the
window's own run), ``ExploreStack`` (sampling widgets), ``PluginsController``."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QMainWindow,
    QMessageBox,
    QTabWidget,
    QWidget,
)

from studio.core.rundir import RunDir, RunDirError
from studio.core.workbench import Workbench
from studio.plugins import PluginManager
from studio.ui import theme
from studio.ui.compare_view import CompareView
from studio.ui.config_form import ConfigForm
from studio.ui.dataset_browser import DatasetBrowser
from studio.ui.dataset_preview import DatasetPreview
from studio.ui.layout_fit import VerticalScrollArea
from studio.ui.loss_plot import LossPlot
from studio.ui.notifications import Notifications
from studio.ui.plugin_dialog import PluginDialog
from studio.ui.run_list import RunList
from studio.ui.sample_gallery import SampleGallery
from studio.ui.tasks import run_in_thread
from studio.ui.window_explore import ExploreStack
from studio.ui.window_export import export_run, exporters_for
from studio.ui.window_focus import move_focus, window_regions
from studio.ui.window_menu import WindowMenus, add_data_menu, pick_data_files
from studio.ui.window_newcomer import Newcomer
from studio.ui.window_plugins import PluginsController
from studio.ui.window_recipes import RecipesDock
from studio.ui.window_run_manager import RunManager
from studio.ui.window_runs import RunView
from studio.ui.window_status import RunStatus
from studio.ui.window_toolbar import MainToolbar
from studio.ui.window_training import TrainingController
from studio.ui.window_workbench import WorkbenchView


class MainWindow(QMainWindow):
    closed = Signal()  # the window has closed (after a run it trained has stopped)

    def __init__(self, plugins: PluginManager, settings: QSettings, workspace: Path) -> None:
        super().__init__()
        self.plugins = plugins
        self.settings = settings
        self.workspace = Path(workspace)
        self.workspace.mkdir(parents=True, exist_ok=True)
        self._closing = False
        # What is about to be trained, and its rules; the widgets show it.
        self.workbench = Workbench(plugins, self.workspace)
        self.setWindowTitle("GenAI Studio")
        self.setAcceptDrops(True)
        self.setDockNestingEnabled(True)
        self._build_central()
        self._build_docks()
        self.toolbar = MainToolbar(
            self,
            add_data=self.add_data_files,
            train=self.start_training,
            pause=lambda: self.training.set_paused(True),
            stop=self.stop_training,
            resume=self.resume,
            plugins=self.show_plugins,
        )
        self.addToolBar(self.toolbar)
        add_data_menu(self, self.toolbar.add_data)
        bar = self.toolbar
        self.model_combo, self.train_action, self.pause_action = bar.model_box, bar.train, bar.pause
        self.stop_action, self.resume_action = bar.stop, bar.resume
        self.status = RunStatus(self.statusBar())
        self.progress, self.run_label = self.status.progress, self.status.label
        self.rate_label, self.device_label = self.status.rate, self.status.device
        self.run_view = RunView(self.loss_plot, self.gallery, self.status)
        self.training = TrainingController(self, plugins, self.workbench, self.run_view, self)
        self.session = self.training.session
        self.plugin_side = PluginsController(self, plugins, settings, self, self.refresh_plugins)
        self.bench_view = WorkbenchView(
            self, self.workbench, plugins, self.model_combo, self.form, self.datasets
        )
        self.menus = WindowMenus(self)
        self.newcomer = Newcomer(self)
        self.run_manager = RunManager(self)
        self.recipes = RecipesDock(self)
        self.theme_mode = theme.saved(settings)
        self.dark = theme.apply(self.theme_mode, self)
        app = QApplication.instance()
        app.styleHints().colorSchemeChanged.connect(self._system_theme_changed)
        self.datasets.set_datasets(plugins.datasets)
        self.datasets.readers = plugins.readers
        self.datasets.restore_registered()
        self.bench_view.show_models()
        self.plugin_side.report_load_problems()
        self._restore_settings()
        self.update_actions()
        self.follow_timer = QTimer(self, interval=1000)
        self.follow_timer.timeout.connect(self._follow_run)
        self.follow_timer.start()
        QTimer.singleShot(0, self._warm_up)

    # --- construction ------------------------------------------------------------
    def _build_central(self) -> None:
        self.tabs = QTabWidget()
        self.loss_plot = LossPlot()
        self.gallery = SampleGallery(registry=self.plugins)
        self.gallery.message.connect(self.notify)
        self.explore = ExploreStack(self.plugins, self.notify)
        self.explore_placeholder = self.explore.placeholder
        self.sampling_widgets = self.explore.widgets
        self.data_preview = DatasetPreview()
        self.compare = CompareView(registry=self.plugins)
        for widget, title in (
            (self.loss_plot, "Training"),
            (self.gallery, "Samples"),
            (self.explore, "Explore"),
            (self.data_preview, "Data"),
            (self.compare, "Compare"),
        ):
            self.tabs.addTab(widget, title)
        self.setCentralWidget(self.tabs)

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{title.lower()}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_docks(self) -> None:
        self.datasets = DatasetBrowser(self.workspace, self.settings)
        self.datasets.dropped_selected.connect(self.show_dropped)
        self.datasets.listing.connect(self._show_listing)
        self.datasets.message.connect(self.notify)
        watched = self.settings.value("runs/folders", [], type=list) or []
        self.runs = RunList(self.workspace, [str(f) for f in watched])
        self.runs.run_opened.connect(self.open_run)
        self.runs.folders_changed.connect(lambda f: self.settings.setValue("runs/folders", f))
        self.runs.compare_requested.connect(self.compare_runs)
        self.form = ConfigForm()
        tensorboard = self.settings.value("training/tensorboard", False, type=bool)
        self.form.tensorboard.setChecked(tensorboard)
        self.form.tensorboard.toggled.connect(
            lambda on: self.settings.setValue("training/tensorboard", on)
        )
        # Long forms scroll vertically only; the dock is never narrower than the form.
        scroll = VerticalScrollArea(self.form)
        self.notifications = Notifications()
        left = Qt.DockWidgetArea.LeftDockWidgetArea
        self.dataset_dock = self._dock("Datasets", self.datasets, left)
        self.runs_dock = self._dock("Runs", self.runs, left)
        self.config_dock = self._dock("Config", scroll, Qt.DockWidgetArea.RightDockWidgetArea)
        bottom = Qt.DockWidgetArea.BottomDockWidgetArea
        self.messages_dock = self._dock("Messages", self.notifications, bottom)
        self.datasets.setMinimumWidth(200)
        self.runs.setMinimumWidth(200)
        horizontal = Qt.Orientation.Horizontal
        self.resizeDocks([self.dataset_dock, self.config_dock], [280, 320], horizontal)
        self.resizeDocks([self.messages_dock], [110], Qt.Orientation.Vertical)

    def _restore_settings(self) -> None:
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1400, 860)
        state = self.settings.value("window/state")
        if state is not None:
            self.restoreState(state)
        else:  # the docks' first widths, once the window has its size
            QTimer.singleShot(0, self._first_dock_sizes)
        last = str(self.settings.value("last_model", "") or "")
        first = self.model_combo.itemData(0)
        if last in self.plugins.models or first is not None:
            self.bench_view.select_model(last if last in self.plugins.models else first)
        self.run_manager.reopen_last()

    def _first_dock_sizes(self) -> None:
        horizontal = Qt.Orientation.Horizontal
        self.resizeDocks([self.dataset_dock, self.config_dock], [300, 330], horizontal)
        self.resizeDocks([self.messages_dock], [90], Qt.Orientation.Vertical)

    def _save_settings(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        if self.model_id:
            self.settings.setValue("last_model", self.model_id)
        self.settings.sync()

    def _warm_up(self) -> None:
        """List devices off the GUI thread, after the window shows, in a child process:
        torch is loaded into the window's process only when a run or sampling starts.
        The answer takes seconds: it is dropped if the window is gone by then."""
        from studio.core.devices_names import probe_devices

        def found(devices: list[str]) -> None:
            self.form.set_devices(devices)
            self.newcomer.devices_found(devices)

        run_in_thread(
            probe_devices,
            found,
            lambda msg, details: self.notify("error", f"torch failed to load: {msg}", details),
            receiver=(self, self.form, self.form.device),
        )

    # --- keyboard ------------------------------------------------------------------
    def focus_regions(self) -> list[QWidget]:
        """Where Tab goes, in order (window_focus)."""
        return window_regions(self)

    def focusNextPrevChild(self, next: bool) -> bool:
        return move_focus(self, self.focus_regions(), next) or super().focusNextPrevChild(next)

    # --- the host side of the collaborators (WindowHost) ---------------------------
    @Slot(str, str, str)
    def notify(self, level: str, text: str, details: str = "") -> None:
        self.notifications.notify(level, text, details)
        self.statusBar().showMessage(text, 8000)

    def update_actions(self) -> None:
        running = self.training.is_running()
        problem = None if running else self._resume_problem()
        can_train = self.model_id in self.plugins.models
        self.toolbar.set_state(running, running and self.training.paused, can_train, problem)
        self.form.setEnabled(not running)

    def run_shown(self) -> None:
        """Show the current model's sampling widget, sampling from the run on screen.
        The run on screen is always of the model in the box: after another model was
        picked, no run is shown (Resume would continue a run of another model)."""
        run = self.run_view.path
        if run is not None and self.run_view.model_id() != self.model_id:
            if not self.training.is_running():
                self.run_view.close()
            run = None
        self.explore.show_for(self.model_id, run)

    def training_ended(self) -> None:
        self.runs.refresh()
        self.newcomer.forget_rates()  # the run just measured this computer again
        if self._closing:
            self.session.wait(30_000)
            self.close()

    # --- state ---------------------------------------------------------------------
    @property
    def model_id(self) -> str | None:
        """The workbench's current model."""
        return self.workbench.model_id

    @property
    def current_run(self) -> Path | None:
        """The run on screen (trained here, opened, or followed)."""
        return self.run_view.path

    def _resume_problem(self) -> str | None:
        """Why the run on screen cannot be continued (None: it can). The run's dataset
        path is checked when Resume is pressed: the user is asked then."""
        if self.run_view.path is None:
            return "open a run to continue it"
        return self.workbench.resume_problem(self.run_view.path, trust_dataset_path=True)

    # --- data --------------------------------------------------------------------------
    @Slot(str)
    def show_dropped(self, path: str) -> None:
        """Preview a dropped dataset in the Data tab and select it (the workbench picks
        a model that trains on it if the current one does not)."""
        reader, loaded, size = self.datasets.loaded[path]
        models = [m for m in self.plugins.models.values() if loaded.kind in m.dataset_kinds]
        self.data_preview.show_dataset(path, reader, loaded, [m.name for m in models], size)
        self.tabs.setCurrentWidget(self.data_preview)
        self.bench_view.select_dropped(path, reader.id, loaded.kind)

    @Slot(list)
    def compare_runs(self, paths: list) -> None:
        """Overlay the curves of several runs and show their samples side by side."""
        self.compare.set_runs(paths)
        self.tabs.setCurrentWidget(self.compare)

    @Slot(str, list)
    def _show_listing(self, path: str, paths: list) -> None:
        self.data_preview.show_listing(path, paths)
        self.tabs.setCurrentWidget(self.data_preview)

    def add_data_files(self) -> None:
        """Pick data files or an archive (.txt, .tsv, .json, .zip...) to add."""
        paths = pick_data_files(self)
        if paths:
            self.datasets.add_paths(paths)

    def add_data_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Add a dataset folder")
        if path:
            self.datasets.add_paths([Path(path)])

    # --- view ---------------------------------------------------------------------------
    def set_theme(self, mode: str) -> None:
        """Light, dark, or the system's (remembered); the plots follow."""
        self.theme_mode = mode
        self.settings.setValue(theme.KEY, mode)
        self.dark = theme.apply(mode, self)

    def _system_theme_changed(self, *_args) -> None:
        if self.theme_mode == "system":
            self.dark = theme.apply("system", self)

    # --- export --------------------------------------------------------------------------
    def exporters_for_run(self) -> list:
        """The model exporters that apply to the run on screen."""
        return exporters_for(self.plugins, self.current_run)

    def choose_export(self, exporter_id: str) -> None:
        exporter = self.plugins.exporters[exporter_id]
        name = f"{self.current_run.name}{exporter.suffix}"
        path, _ = QFileDialog.getSaveFileName(
            self, f"Export as {exporter.name}", name, f"{exporter.name} (*{exporter.suffix})"
        )
        if path:
            self.export_model(exporter_id, Path(path))

    def export_model(self, exporter_id: str, path: Path) -> None:
        """Write the run on screen with a model exporter (off the GUI thread); the
        result is a message."""
        if self.current_run is None:
            self.notify("error", "open a run to export its model")
            return
        self.notify("info", f"exporting {self.current_run.name} to {path}...")
        export_run(
            self.plugins,
            self.current_run,
            self.plugins.exporters[exporter_id],
            path,
            lambda message: self.notify("info", message),
            lambda message, details: self.notify("error", f"export failed: {message}", details),
            receiver=self,
        )

    def choose_run(self) -> None:
        """File > Open run folder."""
        path = QFileDialog.getExistingDirectory(self, "Open a run folder", str(self.workspace))
        if path:
            self.open_run(path)

    # A drop anywhere on the window is a drop on the dataset browser.
    def dragEnterEvent(self, event) -> None:
        self.datasets.dragEnterEvent(event)

    def dropEvent(self, event) -> None:
        self.datasets.dropEvent(event)

    # --- plugins and runs ---------------------------------------------------------
    def show_plugins(self) -> PluginDialog:
        """Open the plugin manager (non-modal: training and sampling go on)."""
        return self.plugin_side.show()

    def refresh_plugins(self) -> None:
        """Show the models, datasets and readers of the plugins as they are now (after
        a plugin was enabled, disabled, installed or uninstalled)."""
        self.recipes.plugins_changed()
        self.datasets.set_datasets(self.plugins.datasets)
        self.datasets.readers = self.plugins.readers
        self.explore.drop_missing()
        self.gallery.plugins_changed()  # a sample kind's plugin may have come or gone
        if not self.training.is_running():
            shown = self.run_view.record()
            if shown is not None and shown.model not in self.plugins.models:
                # The model box cannot show its model: show no run rather than a run
                # of one model beside another model's box.
                reason = self.plugin_side.unavailable(shown.model, shown.plugin)
                self.notify("warning", f"{self.run_view.path.name}: {reason}")
                self.run_view.close(f"No run ({reason})")
        self.bench_view.plugins_changed()
        self.update_actions()

    @Slot(str)
    def open_run(self, path: str) -> None:
        """Show a run's curves and samples (finished, or live in another process)."""
        if self.training.is_running():
            self.notify("warning", "stop the current training before opening another run")
            return
        try:
            record = RunDir(path).record()
        except RunDirError as exc:
            self.notify("error", str(exc))
            return
        if record.model not in self.plugins.models:
            reason = self.plugin_side.unavailable(record.model, record.plugin)
            self.notify("error", f"{Path(path).name} cannot be shown: {reason}")
            return
        self.run_view.open(path)
        self.run_manager.shown(path)
        self.bench_view.show_run(record)
        self.form.show_run(record)
        self.run_shown()
        self.update_actions()

    def _follow_run(self) -> None:
        if not self.training.is_running():
            self.run_view.follow()

    # --- training --------------------------------------------------------------------
    def start_training(self) -> bool:
        """Train a new run on what the workbench holds (False: refused, and why)."""
        if self.training.is_running() or self.model_id is None:
            return False
        if not self.bench_view.checked_values() or not self.newcomer.long_run_ok():
            return False
        if not self.training.train():
            return False
        self.tabs.setCurrentWidget(self.loss_plot)
        self.settings.setValue("last_model", self.model_id)
        return True

    def confirm_dataset_path(self, run: str, path: str) -> bool:
        """Ask before reading a dataset path named by a run made elsewhere."""
        answer = QMessageBox.question(
            self,
            "Dataset of a run made elsewhere",
            f"{run} was not made here. It reads its data from:\n\n{path}\n\nRead it?",
        )
        return answer == QMessageBox.StandardButton.Yes

    def resume(self) -> None:
        """Unpause a paused run, or continue the run on screen from its checkpoint."""
        if self.training.is_running():
            self.training.set_paused(False)
            return
        run = self.run_view.run
        steps = self.form.steps.value()
        if run and self.training.resume(run, steps, self.confirm_dataset_path):
            self.tabs.setCurrentWidget(self.loss_plot)
        self.update_actions()

    def stop_training(self) -> None:
        self.training.stop()
        self.stop_action.setEnabled(False)

    # --- closing ----------------------------------------------------------------------
    def confirm_stop_on_close(self) -> bool:
        answer = QMessageBox.question(
            self,
            "Training in progress",
            "A run is training. Stop it (a checkpoint is written first) and quit?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def stop_and_close(self) -> None:
        """Close without asking: a run in progress stops at the end of its step and
        checkpoints first (what SIGTERM and Ctrl-C do)."""
        self._closing = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.training.is_running():
            if self._closing or self.confirm_stop_on_close():
                # Stop, let the engine checkpoint, and close when it reports back.
                self._closing = True
                self.training.stop()
                self.run_label.setText("stopping: writing a checkpoint...")
            event.ignore()
            return
        self.session.wait(30_000)
        self._save_settings()
        self.follow_timer.stop()
        self.runs.timer.stop()
        super().closeEvent(event)
        self.closed.emit()
