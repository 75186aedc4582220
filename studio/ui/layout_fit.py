"""Widgets and settings that make the window fit a laptop screen: a scroll area that
scrolls vertically only (its minimum width follows its content, so nothing is cut and
no horizontal bar appears), tree columns that elide names in the middle and size
numbers to their contents, and a label that elides instead of widening the window."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSize, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QTreeWidget,
    QVBoxLayout,
    QWidget,
)


class VerticalScrollArea(QScrollArea):
    """Scrolls its widget vertically only. Its minimum width is the widget's minimum
    width plus the vertical bar, so a dock holding it is never narrower than the form
    (labels keep their first letters; no sideways scrolling when a field gets focus)."""

    def __init__(self, widget: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self.setWidget(widget)
        widget.installEventFilter(self)
        self._fit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.widget() and event.type() in (
            QEvent.Type.LayoutRequest,
            QEvent.Type.Show,
        ):
            self._fit()
        return super().eventFilter(watched, event)

    def _fit(self) -> None:
        widget = self.widget()
        if widget is None:
            return
        bar = self.verticalScrollBar().sizeHint().width()
        self.setMinimumWidth(widget.minimumSizeHint().width() + bar + 2 * self.frameWidth())

    def minimumSizeHint(self) -> QSize:
        return QSize(self.minimumWidth(), 80)


def compact_combo(combo: QComboBox, chars: int = 10) -> None:
    """A combo box whose minimum width is ``chars`` characters, not its longest item
    (the popup still shows whole items)."""
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(chars)
    combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def tip(text: str) -> None:
        combo.setToolTip(
            text if not combo.property("help") else f"{text}\n{combo.property('help')}"
        )

    combo.currentTextChanged.connect(tip)
    tip(combo.currentText())


def fit_columns(tree: QTreeWidget | QAbstractItemView, name_column: int = 0) -> None:
    """The name column takes the width left (elided in the middle: the end of a run's
    name tells runs apart); the others fit their contents, so a number is never cut."""
    header = tree.header()
    header.setStretchLastSection(False)
    header.setMinimumSectionSize(24)
    for col in range(header.count()):
        mode = (
            QHeaderView.ResizeMode.Stretch
            if col == name_column
            else QHeaderView.ResizeMode.ResizeToContents
        )
        header.setSectionResizeMode(col, mode)
    tree.setTextElideMode(Qt.TextElideMode.ElideMiddle)
    tree.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)


class ElidedLabel(QLabel):
    """A one-line label that elides its text (in the middle) to the width it is given;
    the whole text is in its tooltip. It never asks for more than ``minimum`` pixels."""

    def __init__(self, text: str = "", minimum: int = 60, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setMinimumWidth(minimum)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setText(text)

    def setText(self, text: str) -> None:
        self._full = text
        self.setToolTip(text)
        self._elide()

    def text(self) -> str:
        return self._full

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._elide()

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return QSize(self.fontMetrics().horizontalAdvance(self._full) + 8, hint.height())

    def _elide(self) -> None:
        shown = self.fontMetrics().elidedText(
            self._full, Qt.TextElideMode.ElideMiddle, max(10, self.width())
        )
        QLabel.setText(self, shown)


class CurrentPageStack(QStackedWidget):
    """A stacked widget as small as its current page: a wide page of one model no
    longer widens the window while another model is shown."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.currentChanged.connect(lambda _i: self.updateGeometry())

    def minimumSizeHint(self) -> QSize:
        page = self.currentWidget()
        return page.minimumSizeHint() if page is not None else QSize(0, 0)

    def sizeHint(self) -> QSize:
        page = self.currentWidget()
        return page.sizeHint() if page is not None else QSize(0, 0)

    def hasHeightForWidth(self) -> bool:
        # A scroll area would take a page's preferred height for width (QStackedLayout
        # answers for its tallest page) as its minimum: a vertical bar for nothing.
        return False

    def in_scroll_area(self) -> QScrollArea:
        """A scroll area showing this stack, scrolling only when the page shown needs
        more than the room there is."""
        holder = QWidget()
        layout = QVBoxLayout(holder)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self)
        area = QScrollArea()
        area.setWidgetResizable(True)
        area.setFrameShape(QScrollArea.Shape.NoFrame)
        area.setWidget(holder)
        return area
