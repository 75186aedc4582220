"""The plugin manager dialog: every plugin, what it contributes, and its errors."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QPlainTextEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from studio.plugins import PluginManager

COLUMNS = ["Plugin", "Version", "Contract", "Source", "Status", "Contributes"]


class PluginDialog(QDialog):
    def __init__(self, manager: PluginManager, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Plugins")
        self.resize(820, 420)
        self.manager = manager
        layout = QVBoxLayout(self)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.itemSelectionChanged.connect(self._show_errors)
        layout.addWidget(self.table, 2)
        self.details = QPlainTextEdit(readOnly=True)
        self.details.setPlaceholderText("Select a plugin to see its errors, if any.")
        layout.addWidget(self.details, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.records = list(manager.records.values())
        self.table.setRowCount(len(self.records))
        for row, rec in enumerate(self.records):
            contributes = "; ".join(f"{k}: {', '.join(v)}" for k, v in rec.contributions.items())
            status = rec.status if not rec.errors or rec.status != "loaded" else "loaded, errors"
            for col, text in enumerate(
                [rec.name, rec.version, rec.api_version, rec.source, status, contributes]
            ):
                self.table.setItem(row, col, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        if self.records:
            self.table.selectRow(0)

    def _show_errors(self) -> None:
        rows = {i.row() for i in self.table.selectedItems()}
        if not rows:
            return
        rec = self.records[min(rows)]
        if not rec.errors:
            self.details.setPlainText(f"{rec.name}: no errors.")
            return
        self.details.setPlainText("\n\n".join(f"{msg}\n{tb}".rstrip() for msg, tb in rec.errors))
