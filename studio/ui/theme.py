"""Light and dark themes: the system's choice followed by default, or the user's (View >
Theme, remembered). The plots follow: pyqtgraph draws its own background and axes,
so they are recoloured with the palette (and new plots start in its colours)."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QWidget

MODES = ("system", "light", "dark")
KEY = "view/theme"


def saved(settings: QSettings) -> str:
    """The theme the user chose (``system`` until they choose)."""
    mode = str(settings.value(KEY, "system") or "system")
    return mode if mode in MODES else "system"


def system_is_dark() -> bool:
    app = QApplication.instance()
    return app is not None and app.styleHints().colorScheme() == Qt.ColorScheme.Dark


def dark_palette() -> QPalette:
    """A dark palette for the Fusion style (Qt's own dark colours where the platform
    gives none)."""
    p = QPalette()
    base, window, text = QColor(30, 30, 30), QColor(45, 45, 45), QColor(220, 220, 220)
    for role, color in (
        (QPalette.ColorRole.Window, window),
        (QPalette.ColorRole.WindowText, text),
        (QPalette.ColorRole.Base, base),
        (QPalette.ColorRole.AlternateBase, window),
        (QPalette.ColorRole.ToolTipBase, window),
        (QPalette.ColorRole.ToolTipText, text),
        (QPalette.ColorRole.Text, text),
        (QPalette.ColorRole.Button, window),
        (QPalette.ColorRole.ButtonText, text),
        (QPalette.ColorRole.BrightText, QColor(255, 80, 80)),
        (QPalette.ColorRole.Highlight, QColor(42, 130, 218)),
        (QPalette.ColorRole.HighlightedText, QColor(255, 255, 255)),
        (QPalette.ColorRole.Link, QColor(80, 160, 255)),
        (QPalette.ColorRole.PlaceholderText, QColor(140, 140, 140)),
    ):
        p.setColor(role, color)
    disabled = QColor(120, 120, 120)
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        p.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return p


def is_dark(mode: str) -> bool:
    return mode == "dark" or (mode == "system" and system_is_dark())


def apply(mode: str, root: QWidget | None = None) -> bool:
    """Colour the application for ``mode`` and recolour the plots under ``root``;
    returns whether the result is dark."""
    app = QApplication.instance()
    dark = is_dark(mode)
    if app is not None:
        if dark:
            app.setStyle("Fusion")  # a palette the style honours on every platform
            app.setPalette(dark_palette())
        else:
            app.setPalette(app.style().standardPalette())
    style_plots(root, dark)
    return dark


def plot_colors(dark: bool) -> tuple[str, str]:
    """Background and foreground of the plots."""
    return ("#1e1e1e", "#dcdcdc") if dark else ("#ffffff", "#333333")


def style_plots(root: QWidget | None, dark: bool) -> None:
    """Recolour every pyqtgraph view under ``root`` (and make new ones start so)."""
    background, foreground = plot_colors(dark)
    pg.setConfigOptions(background=background, foreground=foreground)
    if root is None:
        return
    for view in root.findChildren(pg.GraphicsView):
        view.setBackground(background)
        for item in view.scene().items():
            if isinstance(item, pg.AxisItem):
                item.setPen(foreground)
                item.setTextPen(foreground)
            elif isinstance(item, pg.LabelItem):
                item.setText(item.text, color=foreground)
