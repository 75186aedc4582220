"""Non-blocking notifications: errors and plugin problems as a list with details."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QStyle,
    QVBoxLayout,
    QWidget,
)

# Qt's standard icons: an emoji is an empty box where no emoji font is installed.
ICONS = {
    "error": QStyle.StandardPixmap.SP_MessageBoxCritical,
    "warning": QStyle.StandardPixmap.SP_MessageBoxWarning,
    "info": QStyle.StandardPixmap.SP_MessageBoxInformation,
}
ROLE_DETAILS = Qt.ItemDataRole.UserRole
ROLE_LEVEL = Qt.ItemDataRole.UserRole + 1


class Notifications(QWidget):
    """``notify(level, text, details)`` adds a line; activating it shows the details."""

    posted = Signal(str, str)

    def __init__(self, parent: QWidget | None = None, limit: int = 500) -> None:
        super().__init__(parent)
        self.limit = limit
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        self.list = QListWidget()
        self.list.itemActivated.connect(self._show_details)
        layout.addWidget(self.list)

    def notify(self, level: str, text: str, details: str = "") -> None:
        stamp = time.strftime("%H:%M:%S")
        item = QListWidgetItem(f"{stamp}  {text}")
        if level in ICONS:
            item.setIcon(self.style().standardIcon(ICONS[level]))
        item.setData(ROLE_LEVEL, level)
        item.setData(ROLE_DETAILS, details or text)
        item.setToolTip("Double-click for details" if details else text)
        if level == "error":  # red that reads on a light and a dark background
            item.setForeground(QColor("#d9534f"))
        self.list.addItem(item)
        while self.list.count() > self.limit:
            self.list.takeItem(0)
        self.list.scrollToBottom()
        self.posted.emit(level, text)

    def messages(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def _show_details(self, item: QListWidgetItem) -> None:
        box = QMessageBox(self)
        box.setWindowTitle("Details")
        box.setText(item.text())
        box.setDetailedText(item.data(ROLE_DETAILS))
        box.setModal(False)
        box.open()
