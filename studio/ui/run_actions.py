"""What the Runs list's context menu does to a run: open, rename (its folder), notes
and tags (``notes.json`` in the run folder), open the folder, use its settings for a
new run, compare, and move to the trash (asked first). A run being written (here or
by another process) is neither renamed nor deleted."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QFile, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QInputDialog, QMenu, QMessageBox

from studio.core.rundir import RunDir

if TYPE_CHECKING:
    from studio.ui.run_list import RunList

NOTES = "notes.json"
LIVE = ("running", "paused")


def read_notes(run: str | Path) -> dict[str, Any]:
    """A run's notes and tags (empty when it has none or they cannot be read)."""
    try:
        data = json.loads((Path(run) / NOTES).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    tags = data.get("tags", [])
    return {
        "notes": str(data.get("notes", "")),
        "tags": [str(t) for t in tags] if isinstance(tags, list) else [],
    }


def write_notes(run: str | Path, notes: str, tags: list[str]) -> None:
    (Path(run) / NOTES).write_text(
        json.dumps({"notes": notes, "tags": tags}, indent=1), encoding="utf-8"
    )


def parse_tags(text: str) -> list[str]:
    """``"gan, lr sweep #best"`` -> ``["gan", "lr", "sweep", "best"]``."""
    words = text.replace(",", " ").split()
    return [w.lstrip("#") for w in words if w.lstrip("#")]


class RunActions:
    """The menu's actions. ``ask_text``, ``confirm`` and ``trash`` are what a person
    and the desktop answer; tests give their own."""

    def __init__(self, runs: RunList) -> None:
        self.runs = runs
        self.busy: Callable[[str], bool] = lambda _path: False  # the window trains it
        self.ask_text: Callable[[str, str, str], str | None] = self._ask_text
        self.confirm: Callable[[str, str], bool] = self._confirm
        self.trash: Callable[[Path], bool] = lambda p: bool(QFile.moveToTrash(str(p)))
        self.message: Callable[[str, str], None] = lambda _level, _text: None

    def menu(self, path: str) -> QMenu:
        runs, menu = self.runs, QMenu(self.runs)
        menu.addAction("Open", lambda: runs.run_opened.emit(path))
        menu.addAction("Use its settings for a new run", lambda: runs.settings_requested.emit(path))
        menu.addSeparator()
        menu.addAction("Rename...", lambda: self.rename(path))
        menu.addAction("Notes and tags...", lambda: self.edit_notes(path))
        menu.addAction("Open the folder", lambda: self.open_folder(path))
        compare = menu.addAction(
            "Compare the selected runs", lambda: runs.compare_requested.emit(runs.selected_paths())
        )
        compare.setEnabled(len(runs.selected_paths()) >= 2)
        menu.addSeparator()
        menu.addAction("Move to the trash...", lambda: self.delete(path))
        return menu

    def _writing(self, path: str) -> str | None:
        """Why the run cannot be renamed or deleted now (None: it can)."""
        if self.busy(path):
            return "this window is training it"
        if RunDir(path).live_state() in LIVE:
            return "another process is training it"
        return None

    def rename(self, path: str, new_name: str | None = None) -> Path | None:
        old = Path(path)
        why = self._writing(path)
        if why:
            self.message("warning", f"{old.name} cannot be renamed: {why}")
            return None
        if new_name is None:
            new_name = self.ask_text("Rename the run", "New name of the run folder:", old.name)
        if not new_name or new_name == old.name:
            return None
        if "/" in new_name or "\\" in new_name or new_name in (".", ".."):
            self.message("error", f"{new_name!r} is not a folder name")
            return None
        new = old.with_name(new_name)
        if new.exists():
            self.message("error", f"{new} exists already")
            return None
        old.rename(new)
        self.runs.renamed.emit(str(old), str(new))
        self.runs.refresh()
        return new

    def edit_notes(self, path: str) -> None:
        current = read_notes(path)
        tags = self.ask_text(
            "Tags", "Tags (separated by spaces):", " ".join(current.get("tags", []))
        )
        if tags is None:
            return
        notes = self.ask_text("Notes", "Notes on this run:", current.get("notes", ""))
        if notes is None:
            return
        write_notes(path, notes, parse_tags(tags))
        self.runs._snapshot = []  # the tooltips change: draw the list again
        self.runs.refresh()

    @staticmethod
    def open_folder(path: str) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(path))

    def delete(self, path: str) -> bool:
        """Move the run to the trash after asking; where there is no trash, ask again
        before deleting it for good."""
        why = self._writing(path)
        name = Path(path).name
        if why:
            self.message("warning", f"{name} cannot be deleted: {why}")
            return False
        if not self.confirm("Move to the trash", f"Move the run {name} to the trash?"):
            return False
        if not self.trash(Path(path)):
            if not self.confirm(
                "No trash here", f"The trash cannot take {name}. Delete it for good?"
            ):
                return False
            shutil.rmtree(path)
            done = f"{name} deleted"
        else:
            done = f"{name} moved to the trash"
        self.runs.removed.emit(path)
        self.runs.refresh()
        self.message("info", done)
        return True

    def _ask_text(self, title: str, label: str, value: str) -> str | None:
        text, ok = QInputDialog.getText(self.runs, title, label, text=value)
        return text if ok else None

    def _confirm(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(self.runs, title, text)
        return answer == QMessageBox.StandardButton.Yes
