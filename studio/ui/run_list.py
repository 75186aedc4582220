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
    run_opened = Signal(str)
    compare_requested = Signal(list)  # paths of the selected runs
    folders_changed = Signal(list)  # the watched folders, as strings

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
        layout.addWidget(self.tree)
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
            rows.append(
                (
                    str(run.path),
                    run.name,
                    model,
                    run.live_state(),
                    int(status.get("step", 0)),
                    status.get("message", ""),
                )
            )
        if rows == self._snapshot:
            return
        self._snapshot = rows
        selected = self.selected_path()
        chosen = set(self.selected_paths())
        self.tree.blockSignals(True)
        self.tree.clear()
        for path, name, model, state, step, message in rows:
            item = QTreeWidgetItem(self.tree, [name, state, f"{step:,}"])
            item.setData(0, ROLE_PATH, path)
            item.setToolTip(0, f"{name}\n{model}\n{path}")
            item.setToolTip(1, message)
            item.setForeground(1, _brush(STATE_COLORS.get(state, "#000")))
            if path == selected:
                self.tree.setCurrentItem(item)
            item.setSelected(path in chosen)
        self.tree.blockSignals(False)
        self._selection_changed()

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
