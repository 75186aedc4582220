"""The main window's menu bar (File, Run, View, Help) and its keyboard shortcuts.

The Run menu holds the toolbar's own actions (one enabled state, two places); Space
and F5 are window-wide keys that do what is possible now: Space pauses or continues
the run, F5 trains or continues. A focused button keeps Space for itself."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QUrl
from PySide6.QtGui import QAction, QActionGroup, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QFileDialog,
    QMenu,
    QMessageBox,
    QToolButton,
)

from studio.ui import theme

if TYPE_CHECKING:
    from studio.ui.main_window import MainWindow

# What a user may pick in "Add data": the readers' files and archives.
DATA_FILTER = (
    "Datasets (*.txt *.tsv *.csv *.json *.jsonl *.zip *.tar *.tar.gz *.tgz *.npz *.npy "
    "*.png *.jpg *.jpeg *.mid *.midi);;All files (*)"
)
GUIDE_URL = "https://github.com/genai-studio/genai-studio/blob/main/docs/user-guide.md"


def _keys(*keys: str) -> list[QKeySequence]:
    return [QKeySequence(k) for k in keys]


def guide_url() -> QUrl:
    """The user guide: the copy beside the code when there is one, else online."""
    local = Path(__file__).resolve().parents[2] / "docs" / "user-guide.md"
    return QUrl.fromLocalFile(str(local)) if local.is_file() else QUrl(GUIDE_URL)


class WindowMenus:
    """Builds ``window``'s menu bar. ``actions`` names every action by what it does
    (for tests and for the keyboard: every toolbar action is in a menu)."""

    def __init__(self, window: MainWindow) -> None:
        self.window = w = window
        bar = w.menuBar()
        self.actions: dict[str, QAction] = {}
        tb = w.toolbar

        # --- File ------------------------------------------------------------------
        file = bar.addMenu("&File")
        self._add(file, "add_files", "&Add data files or archive...", w.add_data_files, "Ctrl+O")
        self._add(file, "add_folder", "Add data &folder...", w.add_data_folder, "Ctrl+Shift+D")
        file.addSeparator()
        self._add(file, "open_run", "&Open run folder...", w.choose_run, "Ctrl+Shift+O")
        self._add(file, "watch", "&Watch a folder of runs...", w.runs.choose_folder)
        file.addSeparator()
        self.export_menu = file.addMenu("&Export")
        self.export_menu.aboutToShow.connect(self._fill_export)
        file.addSeparator()
        self._add(file, "quit", "&Quit", w.close, "Ctrl+Q")

        # --- Run -------------------------------------------------------------------
        run = bar.addMenu("&Run")
        tb.train.setShortcuts(_keys("Ctrl+T"))
        tb.pause.setShortcuts(_keys("Ctrl+P"))
        tb.stop.setShortcuts(_keys("Esc", "Ctrl+."))
        tb.resume.setShortcuts(_keys("Ctrl+R"))
        for name, action in (
            ("train", tb.train),
            ("pause", tb.pause),
            ("stop", tb.stop),
            ("resume", tb.resume),
        ):
            run.addAction(action)
            self.actions[name] = action
        run.addSeparator()
        self._add(run, "go", "Train, or continue the run on screen", self.go, "F5")
        self._add(run, "toggle_pause", "Pause or continue", self.toggle_pause, "Space")
        run.addSeparator()
        run.addAction(tb.plugins)
        self.actions["plugins"] = tb.plugins

        # --- View ------------------------------------------------------------------
        view = bar.addMenu("&View")
        for dock in (w.dataset_dock, w.runs_dock, w.config_dock, w.messages_dock):
            view.addAction(dock.toggleViewAction())
        view.addAction(tb.toggleViewAction())
        view.addSeparator()
        themes = view.addMenu("&Theme")
        group = QActionGroup(themes)
        current = theme.saved(w.settings)
        for mode, text in (
            ("system", "Follow the &system"),
            ("light", "&Light"),
            ("dark", "&Dark"),
        ):
            action = QAction(text, themes, checkable=True)
            action.setChecked(mode == current)
            action.triggered.connect(lambda _c=False, m=mode: w.set_theme(m))
            group.addAction(action)
            themes.addAction(action)
            self.actions[f"theme_{mode}"] = action

        # --- Help ------------------------------------------------------------------
        help_menu = bar.addMenu("&Help")
        self._add(
            help_menu,
            "guide",
            "&User guide",
            lambda: QDesktopServices.openUrl(guide_url()),
            "F1",
        )
        self._add(help_menu, "about", "&About GenAI Studio", self.about)

    def _add(
        self,
        menu: QMenu,
        name: str,
        text: str,
        slot: Callable[[], object],
        shortcut: str | QKeySequence.StandardKey | None = None,
    ) -> QAction:
        action = QAction(text, self.window)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda _checked=False: slot())
        menu.addAction(action)
        self.window.addAction(action)  # its key works while the menu bar is hidden
        self.actions[name] = action
        return action

    # --- the keys that do what is possible now ------------------------------------
    def go(self) -> None:
        """F5: continue a paused run, else train, else continue the run on screen."""
        tb = self.window.toolbar
        for action in (tb.resume if self.window.training.paused else None, tb.train, tb.resume):
            if action is not None and action.isEnabled():
                action.trigger()
                return

    def toggle_pause(self) -> None:
        """Space: pause or continue the run; on a focused button, press the button."""
        focus = QApplication.focusWidget()
        if isinstance(focus, QAbstractButton) and focus.isEnabled():
            focus.animateClick()
            return
        tb = self.window.toolbar
        if self.window.training.paused and tb.resume.isEnabled():
            tb.resume.trigger()
        elif tb.pause.isEnabled():
            tb.pause.trigger()

    # --- export ------------------------------------------------------------------
    def _fill_export(self) -> None:
        """The formats that apply now: the run's model exporters (ONNX, safetensors),
        the sample shown as PNG, the image samples over training as a GIF."""
        w, menu = self.window, self.export_menu
        menu.clear()
        for exporter in w.exporters_for_run():
            action = menu.addAction(f"Model as {exporter.name} ({exporter.suffix})...")
            action.triggered.connect(lambda _c=False, e=exporter.id: w.choose_export(e))
        if menu.actions():
            menu.addSeparator()
        png = menu.addAction("Shown sample as PNG...")
        png.setEnabled(w.gallery.export_button.isEnabled())
        png.triggered.connect(w.gallery.export_button.click)
        gif = menu.addAction("Samples over training as GIF...")
        gif.setEnabled(w.gallery.gif_button.isEnabled())
        gif.triggered.connect(w.gallery.gif_button.click)
        if not w.exporters_for_run():
            note = menu.addAction(
                "No model export: open a run first"
                if w.current_run is None
                else "No model exporter applies to this run's model"
            )
            note.setEnabled(False)

    def about(self) -> None:
        from studio import __version__
        from studio.api import API_VERSION

        QMessageBox.about(
            self.window,
            "About GenAI Studio",
            f"GenAI Studio {__version__}\nPlugin contract {API_VERSION}\n\n"
            "Train and sample the generative models of 'Learn Generative AI with "
            "PyTorch' (Mark Liu), on this computer.",
        )


def add_data_menu(window: MainWindow, action: QAction) -> None:
    """The toolbar's Add data: files or an archive on click, a folder from its menu."""
    menu = QMenu(window)
    menu.addAction("Files or an archive...", window.add_data_files)
    menu.addAction("A folder...", window.add_data_folder)
    action.setMenu(menu)
    button = window.toolbar.widgetForAction(action)
    if isinstance(button, QToolButton):
        button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)


def pick_data_files(window: MainWindow) -> list[Path]:
    names, _ = QFileDialog.getOpenFileNames(window, "Add data files or an archive", "", DATA_FILTER)
    return [Path(n) for n in names]
