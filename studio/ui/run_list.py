"""The run list: runs in the workspace and in folders the user watches (a shared
folder torchrun jobs write to, say), with their state, refreshed every two seconds.
Several selected runs can be compared."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.core.rundir import RunDirError, find_runs, list_runs
from studio.ui.layout_fit import fit_columns
from studio.ui.run_actions import RunActions, read_notes

ROLE_PATH = Qt.ItemDataRole.UserRole
STATE_COLORS = {
    "interrupted": "#d35400",
    "running": "#2980b9",
    "paused": "#8e44ad",
    "finished": "#27ae60",
    "stopped": "#7f8c8d",
    "failed": "#c0392b",
    "nan": "#c0392b",
}


class RunList(QWidget):
    """The runs, with a context menu to manage each one (``run_menu``)."""

    run_opened = Signal(str)
    compare_requested = Signal(list)  # paths of the selected runs
    folders_changed = Signal(list)  # the watched folders, as strings
    settings_requested = Signal(str)  # put this run's settings into the form
    renamed = Signal(str, str)  # old path, new path
    removed = Signal(str)  # a run moved to the trash (or deleted)

    def __init__(
        self, workspace: Path, folders: list[str] | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.workspace = Path(workspace)
        self.folders = [Path(f) for f in folders or []]
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Run", "State", "Step"])
        self.tree.setRootIsDecorated(False)
        fit_columns(self.tree)  # names elided in the middle; State and Step never cut
        self.tree.itemActivated.connect(self._activated)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.itemSelectionChanged.connect(self._selection_changed)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._context_menu)
        layout.addWidget(self.tree)
        self.actions = RunActions(self)
        self.open_path: str | None = None  # the run the window shows (bold)
        self._live: tuple[str, int] | None = None  # the window's own run and its step
        buttons = QHBoxLayout()
        self.compare_button = QPushButton("Compare")
        self.compare_button.setToolTip("Overlay the curves of the selected runs (Ctrl+click)")
        self.compare_button.setEnabled(False)
        self.compare_button.clicked.connect(
            lambda: self.compare_requested.emit(self.selected_paths())
        )
        self.watch_button = QPushButton("Watch folder...")
        self.watch_button.setToolTip(
            "Also list the runs in another folder (e.g. where torchrun jobs write)"
        )
        self.watch_button.clicked.connect(self.choose_folder)
        buttons.addWidget(self.compare_button)
        buttons.addWidget(self.watch_button)
        layout.addLayout(buttons)
        self._snapshot: list[tuple] = []
        self.timer = QTimer(self, interval=2000)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        self.refresh()

    def refresh(self) -> None:
        rows = []
        runs = list_runs(self.workspace)[:200]
        for folder in self.folders:
            runs += find_runs(folder)[:200]
        seen = set()
        for run in runs:
            if run.path in seen:
                continue
            seen.add(run.path)
            status = run.status()
            try:
                model = run.record().model
            except RunDirError:
                model = "?"
            step = int(status.get("step", 0))
            if self._live is not None and self._live[0] == str(run.path):
                step = max(step, self._live[1])  # the live run's step, not its last status
            rows.append(
                (
                    str(run.path),
                    run.name,
                    model,
                    run.live_state(),
                    step,
                    status.get("message", ""),
                    read_notes(run.path),
                )
            )
        if rows == self._snapshot:
            return
        self._snapshot = rows
        selected = self.selected_path()
        chosen = set(self.selected_paths())
        self.tree.blockSignals(True)
        self.tree.clear()
        for path, name, model, state, step, message, notes in rows:
            tags = " ".join(f"#{t}" for t in notes.get("tags", []))
            item = QTreeWidgetItem(self.tree, [name, state, f"{step:,}"])
            item.setData(0, ROLE_PATH, path)
            tip = [name, model, path, tags, notes.get("notes", "")]
            item.setToolTip(0, "\n".join(t for t in tip if t))
            item.setToolTip(1, message)
            item.setForeground(1, _brush(STATE_COLORS.get(state, "#000")))
            if path == selected:
                self.tree.setCurrentItem(item)
            item.setSelected(path in chosen)
        self.tree.blockSignals(False)
        self._mark_open()
        self._selection_changed()

    def item_for(self, path: str | Path) -> QTreeWidgetItem | None:
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item.data(0, ROLE_PATH) == str(path):
                return item
        return None

    def set_open(self, path: str | Path | None) -> None:
        """Highlight (bold) the run the window shows."""
        self.open_path = str(path) if path is not None else None
        self._mark_open()

    def _mark_open(self) -> None:
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            font = item.font(0)
            font.setBold(item.data(0, ROLE_PATH) == self.open_path)
            for col in range(self.tree.columnCount()):
                item.setFont(col, font)

    def show_live(self, path: str | Path | None, step: int) -> None:
        """The window's own run is at ``step`` (its status file is written seldom)."""
        if path is None:
            self._live = None
            return
        self._live = (str(path), step)
        item = self.item_for(path)
        if item is not None:
            item.setText(2, f"{step:,}")

    def _context_menu(self, pos) -> None:
        item = self.tree.itemAt(pos)
        if item is not None:
            self.actions.menu(item.data(0, ROLE_PATH)).exec(self.tree.viewport().mapToGlobal(pos))

    def selected_path(self) -> str | None:
        item = self.tree.currentItem()
        return item.data(0, ROLE_PATH) if item else None

    def selected_paths(self) -> list[str]:
        return [item.data(0, ROLE_PATH) for item in self.tree.selectedItems()]

    def _selection_changed(self) -> None:
        self.compare_button.setEnabled(len(self.tree.selectedItems()) >= 2)

    def watch(self, folder: Path) -> None:
        """Also list the runs in ``folder`` (remembered by the window)."""
        folder = Path(folder)
        if folder not in self.folders:
            self.folders.append(folder)
            self.folders_changed.emit([str(f) for f in self.folders])
        self.refresh()

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Watch a folder of runs")
        if folder:
            self.watch(Path(folder))

    def _activated(self, item: QTreeWidgetItem) -> None:
        self.run_opened.emit(item.data(0, ROLE_PATH))


def _brush(color: str):
    from PySide6.QtGui import QBrush, QColor

    return QBrush(QColor(color))
