"""The dataset browser: embedded datasets from plugins, and what the user dropped.

Reading dropped data belongs to the dataset readers (a plugin hook); this browser
lists a dropped folder or file with its file count and says which reader, if any,
accepts it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.core.contributions import DatasetSpec, ReaderSpec
from studio.core.dataset_info import SUMMARY_KEYS, count_files, first_images, human_size
from studio.core.dataset_registry import DatasetRegistry
from studio.core.readers import best_readers, formats
from studio.ui.layout_fit import fit_columns
from studio.ui.tasks import run_in_thread

ROLE_ID = Qt.ItemDataRole.UserRole
ROLE_PATH = Qt.ItemDataRole.UserRole + 1


class DatasetBrowser(QWidget):
    dataset_selected = Signal(str)  # embedded dataset id
    dropped_selected = Signal(str)  # path of a dropped dataset that has been read
    unreadable_selected = Signal(str, str)  # path of a dropped dataset, why it failed
    listing = Signal(str, list)  # path, the first image files found (before reading)
    message = Signal(str, str, str)  # level, text, details

    def __init__(
        self, workspace: Path | None = None, settings=None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.registry = DatasetRegistry(workspace) if workspace is not None else None
        self.settings = settings
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        mode_row = QHBoxLayout()
        mode_row.addWidget(QLabel("On drop:"))
        self.import_mode = QComboBox()
        self.import_mode.addItem("reference the files", "reference")
        self.import_mode.addItem("copy into the workspace", "copy")
        self.import_mode.setToolTip(
            "Archives (.zip, .tar.gz...) are always unpacked into the workspace"
        )
        saved = settings.value("datasets/import_mode", "reference") if settings else "reference"
        self.import_mode.setCurrentIndex(max(0, self.import_mode.findData(saved)))
        self.import_mode.currentIndexChanged.connect(self._save_mode)
        mode_row.addWidget(self.import_mode, 1)
        layout.addLayout(mode_row)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Dataset", "Kind", "Items"])
        self.tree.setRootIsDecorated(True)
        fit_columns(self.tree)  # names elided in the middle; Items never cut
        # The kind may elide (it is in the tooltip): the name needs the room more.
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        self.tree.setColumnWidth(1, 96)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideRight)  # names are words
        self.tree.itemSelectionChanged.connect(self._on_select)
        layout.addWidget(self.tree)
        hint = QLabel("Drop a folder or files here (or anywhere on the window).")
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #666;")
        layout.addWidget(hint)
        self.embedded = QTreeWidgetItem(self.tree, ["Embedded"])
        self.dropped = QTreeWidgetItem(self.tree, ["Dropped"])
        for item in (self.embedded, self.dropped):
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsSelectable)
            item.setExpanded(True)
        self.readers: dict[str, ReaderSpec] = {}
        # path -> (reader, dataset, bytes on disk)
        self.loaded: dict[str, tuple[ReaderSpec, object, int]] = {}
        self.unreadable: dict[str, str] = {}  # path -> why it could not be read
        self._origins: dict[str, Path] = {}  # imported path -> what the user dropped

    def _save_mode(self) -> None:
        if self.settings is not None:
            self.settings.setValue("datasets/import_mode", self.import_mode.currentData())

    def restore_registered(self) -> None:
        """List (and read, in the background) the datasets dropped in earlier sessions."""
        if self.registry is None:
            return
        for entry in self.registry.entries():
            path = Path(entry["path"])
            reader = self.readers.get(entry.get("reader", ""))
            item = QTreeWidgetItem(self.dropped, [path.name, "reading...", ""])
            item.setToolTip(0, str(path))
            if not path.exists() or reader is None:
                why = "is gone" if not path.exists() else f"needs reader {entry.get('reader')}"
                item.setText(1, "missing")
                self.message.emit("warning", f"dataset {path} {why}", "")
                continue
            self._read(item, path, reader, register=False)

    def set_datasets(self, datasets: dict[str, DatasetSpec]) -> None:
        self.embedded.takeChildren()
        for spec in datasets.values():
            items = f"{spec.items:,}" if spec.items is not None else "?"
            item = QTreeWidgetItem(self.embedded, [spec.name, spec.kind, items])
            item.setData(0, ROLE_ID, spec.id)
            item.setToolTip(0, f"{spec.name}\n{spec.id}: {spec.description}")
            item.setToolTip(1, spec.kind)
        self.embedded.setExpanded(True)
        for col in (1, 2):
            self.tree.resizeColumnToContents(col)

    @staticmethod
    def _child(parent: QTreeWidgetItem, role: int, key: str) -> QTreeWidgetItem | None:
        """The item under ``parent`` whose ``role`` data is ``key``, if any."""
        for i in range(parent.childCount()):
            if parent.child(i).data(0, role) == key:
                return parent.child(i)
        return None

    def select(self, dataset_id: str) -> None:
        item = self._child(self.embedded, ROLE_ID, dataset_id)
        if item is not None:
            self.tree.setCurrentItem(item)

    def show_current(self, dataset: dict) -> None:
        """Highlight the dataset a run was trained on (a run's ``dataset`` record)
        without emitting a selection: opening a run must not change the form. A
        dropped path that is not listed here leaves nothing selected."""
        if dataset.get("source") == "path":
            wanted = self._child(self.dropped, ROLE_PATH, str(dataset.get("path", "")))
        else:
            wanted = self._child(self.embedded, ROLE_ID, dataset.get("id", ""))
        self.tree.blockSignals(True)
        try:
            if wanted is None:
                self.tree.clearSelection()
                self.tree.setCurrentItem(None)
            else:
                self.tree.setCurrentItem(wanted)
        finally:
            self.tree.blockSignals(False)

    def selected_id(self) -> str | None:
        item = self.tree.currentItem()
        return item.data(0, ROLE_ID) if item is not None else None

    def selected_path(self) -> str | None:
        """The path of the selected dropped dataset, once it has been read."""
        item = self.tree.currentItem()
        path = item.data(0, ROLE_PATH) if item is not None else None
        return path if path in self.loaded else None

    def _on_select(self) -> None:
        dataset_id = self.selected_id()
        if dataset_id:
            self.dataset_selected.emit(dataset_id)
            return
        item = self.tree.currentItem()
        path = item.data(0, ROLE_PATH) if item is not None else None
        if path in self.loaded:
            self.dropped_selected.emit(path)
        elif path in self.unreadable:
            self.unreadable_selected.emit(path, self.unreadable[path])

    # --- drops ------------------------------------------------------------------
    def add_paths(self, paths: list[Path]) -> None:
        """Import (reference, copy or unpack) and count off the GUI thread, then read."""
        mode = self.import_mode.currentData()
        for path in paths:
            if not path.exists():
                self.message.emit("error", f"{path} does not exist", "")
                continue
            item = QTreeWidgetItem(self.dropped, [path.name or str(path), "counting...", ""])
            item.setToolTip(0, str(path))
            self.dropped.setExpanded(True)
            if path.is_dir():  # something to look at while every file is checked
                run_in_thread(
                    lambda p=path: first_images(p),
                    lambda found, p=path: found and self.listing.emit(str(p), found),
                    lambda msg, details: None,  # only a preview: the read reports errors
                    receiver=self,
                )

            def prepare(p=path):
                target = self.registry.import_path(p, mode) if self.registry else p
                return target, count_files(target)

            run_in_thread(
                prepare,
                lambda result, it=item, p=path: self._counted(it, result[0], result[1], p),
                lambda msg, details, it=item, p=path: self._prepare_failed(it, p, msg, details),
                receiver=(self, item),  # the browser may be closed, the item removed
            )

    def _prepare_failed(self, item: QTreeWidgetItem, path: Path, msg: str, details: str) -> None:
        item.setText(1, "unreadable")
        item.setData(0, ROLE_PATH, str(path))
        self.unreadable[str(path)] = msg.split(": ", 1)[-1]
        self.message.emit("error", f"{path.name}: {msg.split(': ', 1)[-1]}", details)

    def _counted(
        self,
        item: QTreeWidgetItem,
        path: Path,
        result: tuple[int, int],
        original: Path | None = None,
    ) -> None:
        files, size = result
        self._origins[str(path)] = original or path
        item.setText(2, f"{files:,} files")
        item.setToolTip(0, f"{path}\n{files:,} files, {human_size(size)}")
        if files == 0:
            item.setText(1, "empty")
            self.message.emit("warning", f"{path.name}: the folder is empty", "")
            return
        candidates = best_readers(self.readers.values(), path)
        if not candidates:
            item.setText(1, "no reader")
            understood = formats(self.readers.values())
            self.message.emit(
                "warning",
                f"{path.name}: {files:,} files ({human_size(size)}), but no installed dataset "
                "reader accepts it"
                + (f" (formats understood: {', '.join(understood)})" if understood else ""),
                "",
            )
            return
        reader = candidates[0] if len(candidates) == 1 else self.choose_reader(path, candidates)
        if reader is None:
            item.setText(1, "not read")
            return
        self._read(item, path, reader, register=True, size=size)

    def _read(
        self,
        item: QTreeWidgetItem,
        path: Path,
        reader: ReaderSpec,
        register: bool,
        size: int | None = None,
    ) -> None:
        item.setText(1, "reading...")
        item.setData(0, ROLE_PATH, str(path))
        run_in_thread(
            lambda: (reader.load(path), count_files(path)[1] if size is None else size),
            lambda result: self._loaded(item, path, reader, result[0], register, result[1]),
            lambda msg, details: self._failed(item, path, reader, msg, details),
            receiver=(self, item),
        )

    def choose_reader(self, path: Path, candidates: list[ReaderSpec]) -> ReaderSpec | None:
        """Several readers accept ``path`` equally well: ask the user."""
        from PySide6.QtWidgets import QInputDialog

        names = [r.name for r in candidates]
        name, ok = QInputDialog.getItem(
            self,
            "Read the data as...",
            f"{path.name} can be read in several ways:",
            names,
            0,
            False,
        )
        return candidates[names.index(name)] if ok else None

    def _loaded(
        self,
        item: QTreeWidgetItem,
        path: Path,
        reader: ReaderSpec,
        loaded,
        register: bool = True,
        size: int = 0,
    ) -> None:
        self.loaded[str(path)] = (reader, loaded, size)
        self.unreadable.pop(str(path), None)
        if register and self.registry is not None:
            original = self._origins.get(str(path), path)
            mode = "reference" if Path(original) == path else "copy"
            self.registry.add(path, reader.id, Path(original), mode)
        item.setText(1, loaded.kind)
        item.setText(2, f"{len(loaded):,}")
        details = [f"{path}", f"read by: {reader.name}", f"items: {len(loaded):,}"]
        details += [f"{k}: {v}" for k, v in loaded.info.items() if k in SUMMARY_KEYS]
        item.setToolTip(0, "\n".join(details))
        if register:  # a fresh drop: show it (restored datasets wait to be picked)
            self.tree.setCurrentItem(item)
        skipped = loaded.info.get("skipped") or []
        self.message.emit(
            "info", f"{path.name}: {len(loaded):,} items read as {loaded.kind}", "\n".join(details)
        )
        if skipped:
            lines = [f"{p}: {reason}" for p, reason in skipped[:200]]
            more = f"\n... and {len(skipped) - 200} more" if len(skipped) > 200 else ""
            self.message.emit(
                "warning",
                f"{path.name}: {len(skipped):,} files or lines skipped (first: {lines[0]})",
                "\n".join(lines) + more,
            )

    def _failed(self, item, path: Path, reader: ReaderSpec, message: str, details: str) -> None:
        item.setText(1, "unreadable")
        self.unreadable[str(path)] = message.split(": ", 1)[-1]
        self.message.emit("error", f"{path.name}: {message.split(': ', 1)[-1]}", details)

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            self.add_paths(paths)
            event.acceptProposedAction()
