"""The plugin manager: every plugin with what it contributes, its status and errors;
enable/disable in the running app; install (wheel, sdist, project folder, requirement,
single ``.py``) and uninstall with pip in a QProcess, streamed and cancellable.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QProcess, QSettings, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio import plugin_install as pi
from studio import plugin_preview
from studio.core.contributions import API_VERSION
from studio.plugins import DISABLE_ENV, PluginManager, PluginRecord, disabled_from_env
from studio.ui.plugin_installer import PluginInstaller

# Contributions last: the longest text, stretched to the dialog's edge.
COLUMNS = ["On", "Plugin", "Version", "Contract", "Status", "Source", "Contributes"]
STATUS_COLUMN = COLUMNS.index("Status")
SETTINGS_KEY = "plugins/disabled"
# What each plugin contributed when it was last loaded, for when it is disabled.
CONTRIBUTED_KEY = "plugins/contributed/"
OFF = ("disabled", "safe mode")  # the statuses of a plugin that is not loaded


def _status(rec: PluginRecord) -> str:
    return rec.status if not rec.errors or rec.status != "loaded" else "loaded, errors"


def _contributes(rec: PluginRecord) -> str:
    return plugin_preview.text(rec.contributions)


def _would(preview: plugin_preview.Preview) -> str:
    """What a plugin that is off would contribute, for the table's column."""
    if not preview.contributions:
        return preview.unknown or "nothing"
    when = f" ({preview.remembered})" if preview.remembered else ""
    return f"if enabled{when}: {plugin_preview.text(preview.contributions)}"


def describe(rec: PluginRecord, preview: plugin_preview.Preview | None = None) -> str:
    """The details pane's text: where the plugin comes from, what it gives (or, when it
    is off, would give: ``preview``, read here when not given), its errors."""
    lines = [f"{rec.name} {rec.version}".rstrip() + f": {_status(rec)}", f"Source: {rec.source}"]
    if rec.dist:
        lines.append(f"Distribution: {rec.dist}")
    if rec.module:
        lines.append(f"Module: {rec.module}")
    off = rec.status in OFF
    preview = (preview or plugin_preview.would_contribute(rec)) if off else None
    read = preview.api_version if preview is not None else ""
    contract = rec.api_version or (f"{read}, read without enabling it" if read else "not read")
    lines.append(f"Contract version: {contract} (this app provides {API_VERSION})")
    if preview is not None:
        lines.append(f"Contributes: nothing while {rec.status}.")
        if preview.contributions:
            when = f" ({preview.remembered})" if preview.remembered else ""
            lines.append(f"Enabled, it would contribute{when}:")
            lines += [f"  {k}: {', '.join(v)}" for k, v in preview.contributions.items()]
        else:
            lines.append(f"What it would contribute is {preview.unknown or 'nothing'}.")
    else:
        lines.append(f"Contributes: {_contributes(rec) or 'nothing'}")
    if rec.status == "safe mode":
        lines.append("Not loaded: the app runs in safe mode (built-in plugins only).")
    if rec.name in disabled_from_env():
        lines.append(f"Disabled by the environment variable {DISABLE_ENV}.")
    for message, details in rec.errors:
        lines += ["", f"Error: {message}"]
        if details:
            lines.append(details.rstrip())
    return "\n".join(lines)


class PluginDialog(QDialog):
    """The plugin manager. ``plugins_changed`` is emitted whenever the set of models,
    datasets or readers may have changed (enable, disable, install, uninstall)."""

    plugins_changed = Signal()

    def __init__(
        self,
        manager: PluginManager,
        settings: QSettings | None = None,
        parent: QWidget | None = None,
        python: str = sys.executable,
        pip_options: tuple[str, ...] = (),
        plugin_dir: Path | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Plugins")
        self.resize(980, 640)
        self.setAcceptDrops(True)
        self.manager = manager
        self.settings = settings
        self.python = python  # whose environment pip installs into
        self.pip_options = tuple(pip_options)  # e.g. --index-url, or --no-index in tests
        self.plugin_dir = plugin_dir or pi.user_plugin_dir()
        self.installer = PluginInstaller(self)
        self.records: list[PluginRecord] = []
        self.previews: dict[str, plugin_preview.Preview] = {}  # of the plugins that are off
        self._build()
        self.refresh()

    # --- construction ------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        if self.manager.safe_mode:
            banner = QLabel("Safe mode: only the built-in plugins are loaded.")
            banner.setStyleSheet("background: #fff3cd; padding: 4px;")
            layout.addWidget(banner)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        # Rows follow the columns' widths: the last column stretches when the dialog
        # shows or resizes, and its wrapped text must keep the lines it needs then.
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.itemSelectionChanged.connect(self._show_details)
        self.table.itemChanged.connect(self._on_item_changed)
        self.details = QPlainTextEdit(readOnly=True)
        self.details.setPlaceholderText(
            "Select a plugin to see where it comes from and its errors."
        )
        self.output = QPlainTextEdit(readOnly=True)
        self.output.setPlaceholderText("pip's output appears here during an install.")
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.TypeWriter)
        self.details.setFont(mono)
        self.output.setFont(mono)
        self.output.setMaximumBlockCount(5000)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(self.details)
        lower.addWidget(self.output)
        split.addWidget(lower)
        split.setSizes([300, 260])
        layout.addWidget(split, 1)

        self.restart_label = QLabel("")
        self.restart_label.setWordWrap(True)
        self.restart_button = QPushButton("Restart now")
        self.restart_button.clicked.connect(self.restart)
        restart_row = QHBoxLayout()
        restart_row.addWidget(self.restart_label, 1)
        restart_row.addWidget(self.restart_button)
        self.restart_box = QWidget()
        self.restart_box.setLayout(restart_row)
        self.restart_box.setStyleSheet("background: #fff3cd;")
        self.restart_box.hide()
        layout.addWidget(self.restart_box)

        self.result = QLabel("Drop a wheel, an sdist, a project folder or a .py here to install.")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.result)

        buttons = QHBoxLayout()
        self.install_button = QToolButton()
        self.install_button.setText("Install...")
        self.install_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.install_button)
        menu.addAction("Wheel or source archive...", self._pick_archive)
        menu.addAction("Project folder...", self._pick_folder)
        menu.addAction("Package from the index (name or requirement)...", self._ask_requirement)
        menu.addAction("Single-file plugin (.py)...", self._pick_file)
        self.install_button.setMenu(menu)
        self.uninstall_button = QPushButton("Uninstall")
        self.uninstall_button.clicked.connect(self.uninstall_selected)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        for w in (self.install_button, self.uninstall_button, self.cancel_button):
            buttons.addWidget(w)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout.addLayout(buttons)
        self.set_busy(False)

    # --- the table ----------------------------------------------------------------
    def refresh(self) -> None:
        """Rebuild the table from the manager, keeping the selection."""
        selected = self.selected()
        self.records = list(self.manager.records.values())
        self._read_previews()
        self.table.blockSignals(True)
        self.table.setRowCount(len(self.records))
        env = disabled_from_env()
        for row, rec in enumerate(self.records):
            on = QTableWidgetItem()
            flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
            if rec.status != "safe mode" and rec.name not in env:
                flags |= Qt.ItemFlag.ItemIsUserCheckable
            on.setFlags(flags)
            disabled = rec.status in ("disabled", "safe mode")
            on.setCheckState(Qt.CheckState.Unchecked if disabled else Qt.CheckState.Checked)
            on.setToolTip("Enable or disable this plugin (remembered)")
            self.table.setItem(row, 0, on)
            texts = [
                rec.name,
                rec.version,
                rec.api_version or self._preview(rec).api_version,
                _status(rec),
                rec.source,
                _would(self.previews[rec.name]) if rec.name in self.previews else _contributes(rec),
            ]
            for col, text in enumerate(texts, start=1):
                item = QTableWidgetItem(text)
                item.setToolTip(text)  # the whole text where the column cuts it
                if col == STATUS_COLUMN and (rec.errors or rec.status in ("failed", "refused")):
                    item.setForeground(Qt.GlobalColor.darkRed)
                self.table.setItem(row, col, item)
        self.table.blockSignals(False)
        self.table.resizeColumnsToContents()
        for col in range(len(COLUMNS) - 1):  # a long source path must not hide the rest
            self.table.setColumnWidth(col, min(self.table.columnWidth(col), 260))
        self.table.setWordWrap(True)  # wrapped again after every refresh
        self.table.resizeRowsToContents()
        names = [r.name for r in self.records]
        row = names.index(selected.name) if selected and selected.name in names else 0
        if self.records:
            self.table.selectRow(row)
        self._show_details()

    def _preview(self, rec: PluginRecord) -> plugin_preview.Preview:
        return self.previews.get(rec.name) or plugin_preview.Preview()

    def _read_previews(self) -> None:
        """What each plugin that is off would contribute (from its code when that may be
        read, else from what it contributed when last loaded); remember what each
        loaded plugin contributes, for a session where it is off."""
        self.previews.clear()
        for rec in self.records:
            key = CONTRIBUTED_KEY + rec.name
            if rec.status not in OFF:
                if self.settings is not None and rec.ok and rec.contributions:
                    self.settings.setValue(key, plugin_preview.to_remember(rec))
                continue
            preview = plugin_preview.would_contribute(rec)
            if not preview.contributions and self.settings is not None:
                preview = plugin_preview.from_remembered(self.settings.value(key)) or preview
            self.previews[rec.name] = preview

    def selected(self) -> PluginRecord | None:
        rows = {i.row() for i in self.table.selectedItems()}
        return self.records[min(rows)] if rows and min(rows) < len(self.records) else None

    def select(self, name: str) -> None:
        for row, rec in enumerate(self.records):
            if rec.name == name:
                self.table.selectRow(row)

    def _show_details(self) -> None:
        rec = self.selected()
        self.details.setPlainText(describe(rec, self.previews.get(rec.name)) if rec else "")
        removable = rec is not None and not rec.builtin and bool(rec.dist or rec.path)
        self.uninstall_button.setEnabled(removable and not self.installer.busy)

    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        if item.column() != 0:
            return
        rec = self.records[item.row()]
        self.set_enabled(rec.name, item.checkState() == Qt.CheckState.Checked)

    # --- enable / disable ------------------------------------------------------------
    def in_use(self, name: str) -> str | None:
        """The model of ``name`` a run is training in the window, if any."""
        window = self.parent()
        session = getattr(window, "session", None)
        model = getattr(window, "model_id", None)
        if session is None or not session.is_running() or not model:
            return None
        try:
            return model if self.manager.owner("model", model) == name else None
        except KeyError:
            return None

    def set_enabled(self, name: str, enabled: bool) -> None:
        """Enable or disable a plugin now, and remember it in the settings."""
        busy = None if enabled else self.in_use(name)
        if busy:
            self.show_result(f"{name} is training {busy}: stop the run before disabling it.")
            self.refresh()
            return
        self.manager.set_enabled(name, enabled)
        if self.settings is not None:
            remembered = sorted(self.manager.disabled - disabled_from_env())
            self.settings.setValue(SETTINGS_KEY, remembered)
            self.settings.sync()
        rec = self.manager.records[name]
        if enabled and rec.errors:
            self.show_result(f"{name} was enabled but has errors: {rec.errors[0][0]}")
        else:
            self.show_result(f"{name} {'enabled' if enabled else 'disabled'}.")
        self.refresh()
        self.plugins_changed.emit()

    # --- messages, restart ------------------------------------------------------------
    def show_result(self, text: str) -> None:
        self.result.setText(text)

    def log(self, text: str) -> None:
        self.output.appendPlainText(text.rstrip("\n"))
        bar = self.output.verticalScrollBar()  # pip's latest line in view
        bar.setValue(bar.maximum())

    def needs_restart(self, reason: str) -> None:
        self.restart_label.setText(f"Restart needed: {reason}")
        self.restart_box.show()

    def restart(self) -> None:
        """Close the main window (it checkpoints a running training first) and start the
        app again with the same command line."""
        window = self.parent()
        if isinstance(window, QWidget) and not window.close():
            self.show_result("Not restarted: the window did not close (a run may be training).")
            return
        self.close()
        QProcess.startDetached(sys.executable, sys.orig_argv[1:])
        QApplication.quit()

    # --- choosing what to install -----------------------------------------------------
    def _pick_archive(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Install a plugin package", "", "Python packages (*.whl *.tar.gz *.zip)"
        )
        if path:
            self.install(path)

    def _pick_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Install a plugin project folder")
        if path:
            self.install(path)

    def _pick_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Install a single-file plugin", "", "Python files (*.py)"
        )
        if path:
            self.install(path)

    def _ask_requirement(self) -> None:
        text, ok = QInputDialog.getText(
            self, "Install from the index", "Package name or requirement (e.g. studio-foo>=1.2):"
        )
        if ok and text.strip():
            self.install(text.strip())

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.install(paths[0])

    # --- install ----------------------------------------------------------------
    def confirm_plan(self, plan: pi.InstallPlan) -> bool:
        """Ask before installing (tests replace this). A change to torch, PySide6 or the
        app itself is asked with a warning."""
        protected = plan.protected_changes
        box = QMessageBox(self)
        box.setWindowTitle("Install plugin")
        box.setIcon(QMessageBox.Icon.Warning if protected else QMessageBox.Icon.Question)
        text = "Install these packages?"
        if protected:
            text = (
                "This would change packages GenAI Studio itself runs on, which can break "
                "the app:\n"
                + "\n".join(f"  {p.describe()}" for p in protected)
                + "\n\nInstall anyway?"
            )
        box.setText(text)
        box.setDetailedText(plan.summary())
        box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
        box.setDefaultButton(QMessageBox.StandardButton.No)
        return box.exec() == QMessageBox.StandardButton.Yes

    def after_load(self, new: list[str], done: str) -> None:
        """Say what an install or removal brought (``new`` plugin names), refresh."""
        parts = []
        for name in new:
            rec = self.manager.records[name]
            if rec.ok:
                parts.append(f"{name}: {_contributes(rec) or 'no contributions'}")
            else:
                parts.append(f"{name}: {rec.status}: {rec.errors[0][0] if rec.errors else ''}")
        self.show_result(f"{done}. " + ("; ".join(parts) if parts else "No new plugins."))
        self.refresh()
        if new:
            self.select(new[0])
        self.plugins_changed.emit()

    # --- uninstall ----------------------------------------------------------------
    def confirm_uninstall(self, what: str) -> bool:
        answer = QMessageBox.question(
            self,
            "Uninstall plugin",
            f"Uninstall {what}?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def set_busy(self, busy: bool) -> None:
        """Buttons while pip runs (``busy``) and after."""
        self.install_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        rec = self.selected() if hasattr(self, "records") else None
        self.uninstall_button.setEnabled(
            not busy and rec is not None and not rec.builtin and bool(rec.dist or rec.path)
        )

    # --- install and uninstall (the installer runs pip) -----------------------------
    @property
    def process(self) -> QProcess | None:
        """The pip command running now, if any."""
        return self.installer.process

    def install(self, text: str) -> None:
        """Install a wheel, sdist, project folder, requirement or single .py file."""
        self.installer.install(text)

    def uninstall_selected(self) -> None:
        self.installer.uninstall_selected()

    def cancel(self) -> None:
        self.installer.cancel()

    def is_busy(self) -> bool:
        return self.installer.busy

    def closeEvent(self, event) -> None:
        process = self.installer.process
        if process is not None:
            self.cancel()
            process.waitForFinished(5000)
        super().closeEvent(event)
