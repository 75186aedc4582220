"""The run list: runs in the workspace with their state, refreshed while shown."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from studio.core.rundir import RunDirError, list_runs

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

    def __init__(self, workspace: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = Path(workspace)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Run", "State", "Step"])
        self.tree.setRootIsDecorated(False)
        self.tree.setColumnWidth(0, 170)
        self.tree.itemActivated.connect(self._activated)
        layout.addWidget(self.tree)
        self._snapshot: list[tuple] = []
        self.timer = QTimer(self, interval=2000)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        self.refresh()

    def refresh(self) -> None:
        rows = []
        for run in list_runs(self.workspace)[:200]:
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
        self.tree.clear()
        for path, name, model, state, step, message in rows:
            item = QTreeWidgetItem(self.tree, [name, state, f"{step:,}"])
            item.setData(0, ROLE_PATH, path)
            item.setToolTip(0, f"{model}\n{path}")
            item.setToolTip(1, message)
            item.setForeground(1, _brush(STATE_COLORS.get(state, "#000")))
            if path == selected:
                self.tree.setCurrentItem(item)
        for col in (1, 2):
            self.tree.resizeColumnToContents(col)

    def selected_path(self) -> str | None:
        item = self.tree.currentItem()
        return item.data(0, ROLE_PATH) if item else None

    def _activated(self, item: QTreeWidgetItem) -> None:
        self.run_opened.emit(item.data(0, ROLE_PATH))


def _brush(color: str):
    from PySide6.QtGui import QBrush, QColor

    return QBrush(QColor(color))
