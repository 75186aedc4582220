"""The main window: datasets and runs on the left, training curves, samples and the
model's own sampling widget in the middle, the config form on the right."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QSettings, Qt, QTimer, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QScrollArea,
    QStackedWidget,
    QTabWidget,
    QToolBar,
    QWidget,
)

from studio.api_qt import SamplingContext
from studio.core.config import ConfigError
from studio.core.contributions import DatasetSpec
from studio.core.errors import DatasetError
from studio.core.listener import EngineResult
from studio.core.rundir import RunDir, RunDirError, new_run_path
from studio.core.session import create_engine, resume_engine
from studio.core.timefmt import format_eta
from studio.plugins import PluginManager
from studio.ui.compare_view import CompareView
from studio.ui.config_form import ConfigForm
from studio.ui.dataset_browser import DatasetBrowser
from studio.ui.dataset_preview import DatasetPreview
from studio.ui.loss_plot import LossPlot
from studio.ui.notifications import Notifications
from studio.ui.run_list import RunList
from studio.ui.sample_gallery import SampleGallery
from studio.ui.tasks import run_in_thread
from studio.ui.training_bridge import TrainingSession
from studio.ui.window_plugins import PluginsMixin
from studio.ui.window_runs import RunsMixin


class MainWindow(RunsMixin, PluginsMixin, QMainWindow):
    def __init__(self, plugins: PluginManager, settings: QSettings, workspace: Path) -> None:
        super().__init__()
        self.plugins = plugins
        self.settings = settings
        self.workspace = Path(workspace)
        self.workspace.mkdir(parents=True, exist_ok=True)
        self.session = TrainingSession(self)
        self.session.updates.connect(self._on_updates)
        self.session.started.connect(self._on_started)
        self.session.finished.connect(self._on_finished)
        self.current_run: Path | None = None
        self._follow_offset = 0
        self._follow_samples: set[int] = set()
        self._closing = False
        self._last_status = 0.0
        self.sampling_widgets: dict[str, QWidget] = {}
        self.setWindowTitle("GenAI Studio")
        self.setAcceptDrops(True)
        self.setDockNestingEnabled(True)
        self._build_central()
        self._build_docks()
        self._build_toolbar()
        self._build_status()
        self._populate()
        self._restore_settings()
        self._set_running(False)
        self.follow_timer = QTimer(self, interval=1000)
        self.follow_timer.timeout.connect(self._follow_run)
        self.follow_timer.start()
        QTimer.singleShot(0, self._warm_up)

    # --- construction ------------------------------------------------------------
    def _build_central(self) -> None:
        self.tabs = QTabWidget()
        self.loss_plot = LossPlot()
        self.gallery = SampleGallery()
        self.explore = QStackedWidget()
        self.explore_placeholder = QLabel(
            "This model has no sampling widget.", alignment=Qt.AlignmentFlag.AlignCenter
        )
        self.explore.addWidget(self.explore_placeholder)
        self.tabs.addTab(self.loss_plot, "Training")
        self.tabs.addTab(self.gallery, "Samples")
        self.tabs.addTab(self.explore, "Explore")
        self.data_preview = DatasetPreview()
        self.tabs.addTab(self.data_preview, "Data")
        self.compare = CompareView()
        self.tabs.addTab(self.compare, "Compare")
        self.setCentralWidget(self.tabs)

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{title.lower()}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_docks(self) -> None:
        self.datasets = DatasetBrowser(self.workspace, self.settings)
        self.datasets.dataset_selected.connect(self._on_dataset_selected)
        self.datasets.dropped_selected.connect(self.show_dropped)
        self.datasets.listing.connect(self._show_listing)
        self.datasets.message.connect(self.notify)
        watched = self.settings.value("runs/folders", [], type=list) or []
        self.runs = RunList(self.workspace, [str(f) for f in watched])
        self.runs.run_opened.connect(self.open_run)
        self.runs.folders_changed.connect(lambda f: self.settings.setValue("runs/folders", f))
        self.runs.compare_requested.connect(self.compare_runs)
        self.form = ConfigForm()
        self.form.tensorboard.setChecked(
            self.settings.value("training/tensorboard", False, type=bool)
        )
        self.form.tensorboard.toggled.connect(
            lambda on: self.settings.setValue("training/tensorboard", on)
        )
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form)
        scroll.setMinimumWidth(300)
        self.notifications = Notifications()
        left = Qt.DockWidgetArea.LeftDockWidgetArea
        self.dataset_dock = self._dock("Datasets", self.datasets, left)
        self.runs_dock = self._dock("Runs", self.runs, left)
        self.config_dock = self._dock("Config", scroll, Qt.DockWidgetArea.RightDockWidgetArea)
        self.messages_dock = self._dock(
            "Messages", self.notifications, Qt.DockWidgetArea.BottomDockWidgetArea
        )
        self.datasets.setMinimumWidth(220)
        self.runs.setMinimumWidth(220)
        self.resizeDocks(
            [self.dataset_dock, self.config_dock], [290, 320], Qt.Orientation.Horizontal
        )
        self.resizeDocks([self.messages_dock], [110], Qt.Orientation.Vertical)

    def _build_toolbar(self) -> None:
        bar = QToolBar("Main")
        bar.setObjectName("toolbar-main")
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.addToolBar(bar)
        self.add_data_action = QAction("Add data...", self)
        self.add_data_action.triggered.connect(self._add_data)
        bar.addAction(self.add_data_action)
        bar.addSeparator()
        bar.addWidget(QLabel(" Model "))
        self.model_combo = QComboBox()
        self.model_combo.setMinimumWidth(220)
        self.model_combo.currentIndexChanged.connect(self._on_model_changed)
        bar.addWidget(self.model_combo)
        bar.addSeparator()
        self.train_action = QAction("Train", self, shortcut=QKeySequence("Ctrl+T"))
        self.train_action.triggered.connect(self.start_training)
        self.pause_action = QAction("Pause", self)
        self.pause_action.triggered.connect(lambda: self._pause(True))
        self.stop_action = QAction("Stop", self)
        self.stop_action.triggered.connect(self.stop_training)
        self.resume_action = QAction("Resume", self)
        self.resume_action.triggered.connect(self.resume)
        for action in (self.train_action, self.pause_action, self.stop_action, self.resume_action):
            bar.addAction(action)
        bar.addSeparator()
        self.plugins_action = QAction("Plugins", self)
        self.plugins_action.triggered.connect(self.show_plugins)
        bar.addAction(self.plugins_action)
        self._wire_plugins()

    def _build_status(self) -> None:
        sb = self.statusBar()
        self.run_label = QLabel("No run")
        self.progress = QProgressBar()
        self.progress.setFixedWidth(320)
        self.progress.setFormat("step %v / %m")
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.rate_label = QLabel("")
        self.rate_label.setFixedWidth(230)
        self.run_label.setMinimumWidth(200)
        self.device_label = QLabel("device: auto")
        sb.addWidget(self.run_label)
        sb.addWidget(self.progress)
        sb.addWidget(self.rate_label)
        sb.addPermanentWidget(self.device_label)

    def _populate(self) -> None:
        self.datasets.set_datasets(self.plugins.datasets)
        self.datasets.readers = self.plugins.readers
        self.datasets.restore_registered()
        self.fill_model_combo()
        for rec in self.plugins.problems():
            for message, details in rec.errors:
                self.notify("error", f"plugin {rec.name}: {message}", details)
        if not self.plugins.models:
            self.notify("error", "no model plugins are loaded; see Plugins for why", "")

    def _restore_settings(self) -> None:
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1400, 860)
        state = self.settings.value("window/state")
        if state is not None:
            self.restoreState(state)
        last = self.settings.value("last_model", "")
        index = self.model_combo.findData(last) if last else -1
        self.model_combo.setCurrentIndex(max(0, index))
        self._on_model_changed(self.model_combo.currentIndex())

    def _save_settings(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        if self.model_id:
            self.settings.setValue("last_model", self.model_id)
        self.settings.sync()

    def _warm_up(self) -> None:
        """List devices off the GUI thread, after the window shows, in a child process:
        torch is loaded into the window's process only when a run or sampling starts."""
        from studio.core.devices_names import probe_devices

        run_in_thread(probe_devices, self._devices_probed, self._probe_failed)

    # The probe takes seconds; the window may have been closed and deleted by then.
    def _devices_probed(self, devices: list[str]) -> None:
        if shiboken6.isValid(self) and shiboken6.isValid(self.form.device):
            self.form.set_devices(devices)

    def _probe_failed(self, message: str, details: str) -> None:
        if shiboken6.isValid(self):
            self.notify("error", f"torch failed to load: {message}", details)

    # --- helpers -------------------------------------------------------------------
    @property
    def model_id(self) -> str | None:
        return self.model_combo.currentData()

    @Slot(str, str, str)
    def notify(self, level: str, text: str, details: str = "") -> None:
        self.notifications.notify(level, text, details)
        self.statusBar().showMessage(text, 8000)

    def _set_running(self, running: bool, paused: bool = False) -> None:
        self.train_action.setEnabled(not running and self.model_id is not None)
        self.pause_action.setEnabled(running and not paused)
        self.stop_action.setEnabled(running)
        self.resume_action.setEnabled(paused or (not running and self._resumable()))
        self.model_combo.setEnabled(not running)
        self.form.setEnabled(not running)

    def _resumable(self) -> bool:
        if self.current_run is None:
            return False
        run = RunDir(self.current_run)
        live = run.live_state() not in ("running", "paused")
        return run.latest_checkpoint() is not None and live

    def _dataset_for(self, model_id: str) -> DatasetSpec | None:
        """The selected dataset (embedded or dropped) if the model trains on it, else
        the model's default. Raises ``DatasetError`` if a dropped path has gone."""
        spec = self.plugins.models[model_id]
        selected = self.datasets.selected_id()
        datasets = self.plugins.datasets
        if selected in datasets and datasets[selected].kind in spec.dataset_kinds:
            return datasets[selected]
        path = self.datasets.selected_path()
        if path is not None:
            reader, loaded, _size = self.datasets.loaded[path]
            if loaded.kind in spec.dataset_kinds and reader.id in self.plugins.readers:
                return self.plugins.dataset_from_path(path, reader.id)
        return datasets.get(spec.default_dataset or "")

    def sampling_widget(self, model_id: str) -> QWidget | None:
        """The model's sampling widget, built on first use (errors are reported)."""
        if model_id in self.sampling_widgets:
            return self.sampling_widgets[model_id]
        spec = self.plugins.models[model_id]
        widget = None
        if spec.widget_factory is not None:
            try:
                widget = spec.widget_factory(SamplingContext(spec, self.plugins.resolve_run))
            except Exception as exc:
                import traceback

                self.notify(
                    "error",
                    f"plugin {self.plugins.owner('model', spec.id)}: the sampling widget of "
                    f"{spec.id} failed to build: {exc}",
                    traceback.format_exc(),
                )
        if widget is not None:
            self.explore.addWidget(widget)
        self.sampling_widgets[model_id] = widget
        return widget

    def _show_widget_for(self, model_id: str) -> None:
        widget = self.sampling_widget(model_id)
        self.explore.setCurrentWidget(widget or self.explore_placeholder)
        if widget is not None and hasattr(widget, "set_run"):
            run = self.current_run
            if run is not None:
                try:
                    if RunDir(run).record().model != model_id:
                        run = None
                except RunDirError:
                    run = None
            widget.set_run(run)

    # --- slots: model, data ----------------------------------------------------------
    def _on_model_changed(self, index: int) -> None:
        model_id = self.model_combo.itemData(index)
        if model_id is None:
            return
        spec = self.plugins.models[model_id]
        try:
            dataset = self._dataset_for(model_id)
        except DatasetError as exc:
            self.notify("error", str(exc))
            dataset = None
        if dataset is None:
            self.form.set_model(spec, "")
        else:
            self.form.set_model(spec, dataset.id, dataset.reader)
            if dataset.path is None:
                self.datasets.select(dataset.id)
        self._show_widget_for(model_id)
        self._set_running(self.session.is_running())

    def _on_dataset_selected(self, dataset_id: str) -> None:
        spec = self.plugins.models.get(self.model_id or "")
        if spec is None or self.session.is_running():
            return
        kind = self.plugins.datasets[dataset_id].kind
        if kind in spec.dataset_kinds:
            self.form.set_dataset(dataset_id)
            return
        for model in self.plugins.models.values():  # pick a model that trains on it
            if kind in model.dataset_kinds:
                self.model_combo.setCurrentIndex(self.model_combo.findData(model.id))
                self.form.set_dataset(dataset_id)
                return
        self.notify("warning", f"no installed model trains on {kind} data")

    @Slot(str)
    def show_dropped(self, path: str) -> None:
        """Preview a dropped dataset in the Data tab and make it the training data of
        the current model, or of a model that trains on it."""
        reader, loaded, size = self.datasets.loaded[path]
        models = [m for m in self.plugins.models.values() if loaded.kind in m.dataset_kinds]
        self.data_preview.show_dataset(path, reader, loaded, [m.name for m in models], size)
        self.tabs.setCurrentWidget(self.data_preview)
        if self.session.is_running() or not models:
            return
        spec = self.plugins.models.get(self.model_id or "")
        if spec is not None and loaded.kind in spec.dataset_kinds:
            self.form.set_dataset(path, reader.id)
        else:  # the model change picks the selected dropped dataset up
            self.model_combo.setCurrentIndex(self.model_combo.findData(models[0].id))

    @Slot(list)
    def compare_runs(self, paths: list) -> None:
        """Overlay the curves of several runs and show their samples side by side."""
        self.compare.set_runs(paths)
        self.tabs.setCurrentWidget(self.compare)

    @Slot(str, list)
    def _show_listing(self, path: str, paths: list) -> None:
        self.data_preview.show_listing(path, paths)
        self.tabs.setCurrentWidget(self.data_preview)

    def _add_data(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Add a dataset folder")
        if path:
            self.datasets.add_paths([Path(path)])

    # A drop anywhere on the window is a drop on the dataset browser.
    def dragEnterEvent(self, event) -> None:
        self.datasets.dragEnterEvent(event)

    def dropEvent(self, event) -> None:
        self.datasets.dropEvent(event)

    # --- training --------------------------------------------------------------------
    def start_training(self) -> bool:
        if self.session.is_running() or self.model_id is None:
            return False
        model_id = self.model_id
        try:
            dataset = self._dataset_for(model_id)
        except DatasetError as exc:
            self.notify("error", f"cannot train on the selected data: {exc}")
            return False
        if dataset is None:
            self.notify("error", f"{model_id}: choose a dataset it can train on")
            return False
        try:
            config, settings = self.form.values()
        except ConfigError as exc:
            self.notify("error", f"invalid setting: {exc}")
            return False
        source = self.plugins.model_source(model_id)
        run_path = new_run_path(self.workspace, model_id)
        self._begin(f"{run_path.name}: starting...", settings.steps)

        def make_engine(listener):
            return create_engine(source, dataset, config, settings, run_path, listener)

        self.session.start(make_engine)
        self.settings.setValue("last_model", model_id)
        return True

    def _begin(self, label: str, total: int) -> None:
        self.loss_plot.clear()
        self.loss_plot.set_total(total)
        self.gallery.clear()
        self.run_label.setText(label)
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(0)
        self.rate_label.setText("")
        self._set_running(True)
        self.tabs.setCurrentWidget(self.loss_plot)

    def resume(self) -> None:
        """Unpause a paused run, or continue the current run from its last checkpoint."""
        if self.session.is_running():
            self._pause(False)
            return
        if self.current_run is None:
            return
        run = RunDir(self.current_run)
        try:
            record = run.record()
        except RunDirError as exc:
            self.notify("error", str(exc))
            return
        done = run.checkpoint_steps()[-1] if run.checkpoint_steps() else 0
        target = self.form.steps.value()
        if target <= done:
            target = done + target
        self._begin(f"{run.name}: resuming...", target)
        path = run.path

        def make_engine(listener):
            return resume_engine(
                path, self.plugins.resolve_run, total_steps=target, listener=listener
            )

        self.session.start(make_engine)
        # What the run logged past its checkpoint is redone by the resumed engine.
        self.loss_plot.add_rows([r for r in run.read_metrics() if r.get("step", 0) <= done])
        self.gallery.load_run([(s, p) for s, p in run.sample_files() if s <= done])
        self.notify("info", f"resuming {run.name} ({record.model}) from step {done} to {target}")

    def _pause(self, paused: bool) -> None:
        self.session.set_paused(paused)

    def stop_training(self) -> None:
        self.session.stop()
        self.stop_action.setEnabled(False)

    @Slot(str)
    def _on_started(self, path: str) -> None:
        self.current_run = Path(path)
        self.run_label.setText(self.current_run.name)
        if self.model_id:
            self._show_widget_for(self.model_id)
        self.runs.refresh()

    @Slot(dict)
    def _on_updates(self, batch: dict[str, Any]) -> None:
        if batch["metrics"]:
            self.loss_plot.add_rows(batch["metrics"])
        run = RunDir(self.current_run) if self.current_run else None
        for step, sample in batch["samples"]:
            path = run.sample_stem(step).with_suffix(sample.suffix) if run else None
            self.gallery.add_sample(step, sample, path)
        for message, level in batch["events"]:
            if level in ("ERROR", "WARNING"):
                first, _, rest = message.partition("\n")
                self.notify(level.lower(), first, rest)
        for state, _step, _message in batch["states"]:
            if state == "paused":
                self._set_running(True, paused=True)
                self.rate_label.setText("paused")
            elif state == "running":
                self._set_running(True)
        step, total = batch["step"], batch["total"]
        now = time.perf_counter()
        # Data arrives ~15 times a second; text that a person reads changes 4 times.
        if step is not None and total and (now - self._last_status > 0.25 or batch["states"]):
            self._last_status = now
            self.progress.setRange(0, total)
            self.progress.setValue(step)
            rate = batch["rate"]
            if rate > 0 and self.pause_action.isEnabled():
                self.rate_label.setText(
                    f"{rate:,.1f} it/s   ETA {format_eta((total - step) / rate)}"
                )
                self.loss_plot.rate_label.setText(f"{rate:,.1f} steps/s")

    @Slot(object)
    def _on_finished(self, result: EngineResult) -> None:
        level = "info" if result.state in ("finished", "stopped") else "error"
        name = self.current_run.name if self.current_run else "run"
        self.notify(level, f"{name}: {result.message}")
        self._set_running(False)
        self.rate_label.setText(result.state)
        self.runs.refresh()
        if self.model_id:
            self._show_widget_for(self.model_id)
        if self._closing:
            self.session.wait(30_000)
            self.close()

    # --- dialogs and closing ------------------------------------------------------
    def confirm_stop_on_close(self) -> bool:
        answer = QMessageBox.question(
            self,
            "Training in progress",
            "A run is training. Stop it (a checkpoint is written first) and quit?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.session.is_running():
            if self._closing or self.confirm_stop_on_close():
                # Stop, let the engine checkpoint, and close when it reports back.
                self._closing = True
                self.session.stop()
                self.run_label.setText("stopping: writing a checkpoint...")
                event.ignore()
                return
            event.ignore()
            return
        self.session.wait(30_000)
        self._save_settings()
        self.follow_timer.stop()
        self.runs.timer.stop()
        super().closeEvent(event)
