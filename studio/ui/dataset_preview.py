"""The Data tab: what a dataset holds. Images as a virtualised thumbnail grid (decoded
off the GUI thread, a bounded cache) with a class filter; text with its counts; text
pairs and tables as virtual tables; chorales as a piano roll; for every dataset its
size on disk, item count, shapes and the installed models that train on it."""

from __future__ import annotations

from collections import OrderedDict
from html import escape
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import (
    QAbstractListModel,
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QRunnable,
    QSize,
    Qt,
    QThreadPool,
    Signal,
    Slot,
)
from PySide6.QtGui import QColor, QImage, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QPlainTextEdit,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from studio.core.dataset_info import human_size

THUMB = 64
CACHE_LIMIT = 3000  # decoded thumbnails kept; a 64x64 RGB thumbnail is 12 kB


def readable(value: object, limit: int = 20) -> str:
    """A dataset summary value as a person writes it, not as Python prints it:
    ``0, 1, 2 ... (10)``, ``train 229, test 57``, ``28 x 28``."""
    if isinstance(value, dict):
        return ", ".join(
            f"{k} {v:,}" if isinstance(v, int) else f"{k} {readable(v)}" for k, v in value.items()
        )
    if isinstance(value, tuple) and all(isinstance(v, int) for v in value):
        return " x ".join(str(v) for v in value)
    if isinstance(value, (list, tuple)):
        shown = ", ".join(readable(v) for v in value[:limit])
        more = f" and {len(value) - limit:,} more" if len(value) > limit else ""
        return f"{shown}{more}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _broken_tile() -> QPixmap:
    """A grey tile crossed in red: the file is listed but does not decode."""
    from PySide6.QtGui import QPainter, QPen

    pix = QPixmap(THUMB, THUMB)
    pix.fill(QColor("#e8e8e8"))
    painter = QPainter(pix)
    painter.setPen(QPen(QColor("#c0392b"), 4))
    painter.drawLine(12, 12, THUMB - 12, THUMB - 12)
    painter.drawLine(THUMB - 12, 12, 12, THUMB - 12)
    painter.end()
    return pix


class _ThumbSignals(QObject):
    done = Signal(int, int, QImage)  # generation, row, image


class _ThumbJob(QRunnable):
    def __init__(self, generation: int, row: int, path: str, signals: _ThumbSignals) -> None:
        super().__init__()
        self.generation, self.row, self.path, self.signals = generation, row, path, signals

    def run(self) -> None:
        image = QImage(self.path)  # QImage is safe to use off the GUI thread
        if not image.isNull():
            image = image.scaled(
                THUMB,
                THUMB,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        self.signals.done.emit(self.generation, self.row, image)


class ThumbnailModel(QAbstractListModel):
    """Image paths; a thumbnail is decoded only when its cell is asked for."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.paths: list[str] = []
        self.labels: list[str] = []
        self.cache: OrderedDict[int, QPixmap] = OrderedDict()
        self.pending: set[int] = set()
        self.jobs: dict[tuple[int, int], _ThumbJob] = {}
        self.generation = 0
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(2)
        self.signals = _ThumbSignals()
        self.signals.done.connect(self._decoded)
        self.placeholder = QPixmap(THUMB, THUMB)
        self.placeholder.fill(QColor("#e8e8e8"))
        self.broken = _broken_tile()  # a file that does not decode says so
        self.failed: set[int] = set()

    def set_items(self, paths: list[str], labels: list[str]) -> None:
        self.beginResetModel()
        self.generation += 1
        # Jobs still queued are taken back; running ones report (and are released).
        self.jobs = {k: j for k, j in self.jobs.items() if not self.pool.tryTake(j)}
        self.paths, self.labels = paths, labels
        self.cache.clear()
        self.pending.clear()
        self.failed.clear()
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.paths)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = index.row()
        if role == Qt.ItemDataRole.DecorationRole:
            if row in self.cache:
                self.cache.move_to_end(row)
                return self.cache[row]
            if row not in self.pending:
                self.pending.add(row)
                job = _ThumbJob(self.generation, row, self.paths[row], self.signals)
                job.setAutoDelete(False)  # Python owns it (see studio.ui.tasks)
                self.jobs[(self.generation, row)] = job
                self.pool.start(job)
            return self.placeholder
        if role == Qt.ItemDataRole.ToolTipRole:
            broken = "\ncannot be decoded (truncated or not an image)" if row in self.failed else ""
            return f"{self.paths[row]}" + (f"\n{self.labels[row]}" if self.labels else "") + broken
        if role == Qt.ItemDataRole.DisplayRole and self.labels:
            return self.labels[row]
        return None

    @Slot(int, int, QImage)
    def _decoded(self, generation: int, row: int, image: QImage) -> None:
        self.jobs.pop((generation, row), None)
        if generation != self.generation:
            return
        self.pending.discard(row)
        if image.isNull():
            self.failed.add(row)
        pix = QPixmap.fromImage(image) if not image.isNull() else self.broken
        self.cache[row] = pix
        while len(self.cache) > CACHE_LIMIT:
            self.cache.popitem(last=False)
        index = self.index(row)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])


class RowsModel(QAbstractTableModel):
    """A read-only virtual table over a sequence of rows."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: Any = []
        self.headers: list[str] = []

    def set_rows(self, rows: Any, headers: list[str]) -> None:
        self.beginResetModel()
        self.rows, self.headers = rows, headers
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            value = self.rows[index.row()][index.column()]
            return f"{value:.6g}" if isinstance(value, float) else str(value)
        return None

    def headerData(self, section: int, orientation, role=Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.headers[section]
        return super().headerData(section, orientation, role)


class DatasetPreview(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.header = QLabel("Drop data on the window, then pick it in the Datasets list.")
        self.header.setWordWrap(True)
        layout.addWidget(self.header)
        self.stack = QStackedWidget()
        layout.addWidget(self.stack, 1)
        # images
        self.images_page = QWidget()
        v = QVBoxLayout(self.images_page)
        bar = QHBoxLayout()
        self.class_title = QLabel("Class")  # shown with its picker (labelled images)
        bar.addWidget(self.class_title)
        self.class_filter = QComboBox()
        self.class_filter.currentIndexChanged.connect(self._filter_class)
        bar.addWidget(self.class_filter)
        bar.addStretch(1)
        v.addLayout(bar)
        self.thumbs = ThumbnailModel(self)
        self.grid = QListView()
        self.grid.setViewMode(QListView.ViewMode.IconMode)
        self.grid.setResizeMode(QListView.ResizeMode.Adjust)
        self.grid.setUniformItemSizes(True)  # lets the view lay out 100,000 items at once
        self.grid.setIconSize(QSize(THUMB, THUMB))
        self.grid.setGridSize(QSize(THUMB + 16, THUMB + 22))
        self.grid.setLayoutMode(QListView.LayoutMode.Batched)
        self.grid.setBatchSize(2000)
        self.grid.setModel(self.thumbs)
        v.addWidget(self.grid)
        self.stack.addWidget(self.images_page)
        # text
        self.text = QPlainTextEdit(readOnly=True)
        self.stack.addWidget(self.text)
        # rows (pairs, tables)
        self.rows_model = RowsModel(self)
        self.table = QTableView()
        self.table.setModel(self.rows_model)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.stack.addWidget(self.table)
        # piano roll
        self.roll = pg.PlotWidget(title="Piano roll of the first piece")
        self.roll.setLabel("bottom", "16th-note step")
        self.roll.setLabel("left", "MIDI pitch")
        self.roll_image = pg.ImageItem()
        # white background, then one colour per voice: soprano, alto, tenor, bass
        lut = np.array(
            [[255, 255, 255], [214, 39, 40], [255, 127, 14], [44, 160, 44], [31, 119, 180]],
            dtype=np.uint8,
        )
        self.roll_image.setLookupTable(lut)
        self.roll.addItem(self.roll_image)
        self.stack.addWidget(self.roll)
        self._images: tuple[list[str], list[str], list[str]] = ([], [], [])

    def show_listing(self, path: str, paths: list[str]) -> None:
        """The first images of a folder still being read: shown at once."""
        self.header.setText(
            f"<b>{escape(Path(path).name)}</b> — reading... the first {len(paths):,} images found "
            "are shown while every file is checked"
        )
        self._images = (paths, [], [])
        self.class_filter.setVisible(False)
        self.class_title.setVisible(False)
        self.thumbs.set_items(paths, [])
        self.stack.setCurrentWidget(self.images_page)

    def show_dataset(self, path: str, reader, loaded, models: list[str], size: int) -> None:
        info = loaded.info
        # Rich text: names that hold "<TAB>" or "<" are escaped, not eaten as tags.
        lines = [
            f"<b>{escape(Path(path).name)}</b> — {escape(loaded.kind)}, {len(loaded):,} items, "
            f"{human_size(size)} on disk, read by {escape(reader.name)}",
            "Trained by: "
            + escape(
                ", ".join(models) if models else "no installed model yet (models come as plugins)"
            ),
        ]
        for key in ("classes", "domains", "columns", "shape", "arrays", "counts"):
            if key in info:
                lines.append(f"{key.capitalize()}: {escape(readable(info[key]))}")
        if info.get("skipped"):
            lines.append(f"{len(info['skipped']):,} files or lines skipped (see Messages)")
        self.header.setText("<br>".join(lines))
        kind = loaded.kind
        if kind in ("images", "labelled-images", "two-domain-images", "captioned-images"):
            self._show_images(loaded)
        elif kind == "text":
            stats = (
                f"{info['characters']:,} characters, {info['words']:,} words, "
                f"{info['lines']:,} lines, vocabulary {info['vocabulary']} characters"
            )
            self.header.setText(self.header.text() + "<br>" + stats)
            self.text.setPlainText(info["text"][:20_000])
            self.stack.setCurrentWidget(self.text)
        elif kind == "text-pairs":
            self.rows_model.set_rows(loaded.train.pairs, ["source", "target"])
            self.stack.setCurrentWidget(self.table)
        elif kind in ("table", "tensor"):
            data = loaded.train[0]
            rows = data.reshape(len(data), -1)[:100_000].tolist()
            self.rows_model.set_rows(
                rows, info.get("columns") or [f"c{i}" for i in range(len(rows[0]) if rows else 0)]
            )
            self.stack.setCurrentWidget(self.table)
        elif kind == "music-chorales":
            self._show_roll(_chorale_roll(next(iter(info["pieces"].values()))[0]))
        elif kind == "music-pianoroll":
            self._show_roll(info["rolls"][0].astype(np.float32), title=info["pieces"][0])
        else:
            self.text.setPlainText(f"No preview for {kind} data.")
            self.stack.setCurrentWidget(self.text)

    def _show_images(self, loaded) -> None:
        data = loaded.train
        paths = [str(p) for p in data.paths]
        classes = loaded.info.get("classes")
        labels = [classes[i] for i in data.labels] if classes and data.labels else []
        if loaded.kind == "two-domain-images":
            a, b = loaded.info["domains"]
            other = loaded.info["domain_b"]
            labels = [a] * len(paths) + [b] * len(other.paths)
            paths = paths + [str(p) for p in other.paths]
            classes = [a, b]
        self._images = (paths, labels, classes or [])
        self.class_filter.blockSignals(True)
        self.class_filter.clear()
        self.class_filter.addItem(f"all ({len(paths):,})", None)
        counts = {c: 0 for c in classes or []}
        for label in labels:
            counts[label] += 1
        for c in classes or []:
            self.class_filter.addItem(f"{c} ({counts[c]:,})", c)
        self.class_filter.blockSignals(False)
        self.class_filter.setVisible(bool(classes))
        self.class_title.setVisible(bool(classes))
        self.thumbs.set_items(paths, labels)
        self.stack.setCurrentWidget(self.images_page)

    def _filter_class(self) -> None:
        paths, labels, _ = self._images
        wanted = self.class_filter.currentData()
        if wanted is None:
            self.thumbs.set_items(paths, labels)
        else:
            keep = [i for i, label in enumerate(labels) if label == wanted]
            self.thumbs.set_items([paths[i] for i in keep], [labels[i] for i in keep])

    def _show_roll(self, roll: np.ndarray, title: str = "the first piece") -> None:
        """``roll``: (steps, 128), 0 for silence, 1-4 for a voice (or 1 for any note)."""
        self.roll.setTitle(f"Piano roll of {title}")
        self.roll_image.setImage(roll, levels=(0, 5))  # 5 LUT entries, one per integer
        sounding = np.nonzero(roll.any(axis=0))[0]
        if len(sounding):
            self.roll.setYRange(max(0, sounding.min() - 4), min(127, sounding.max() + 4))
        self.stack.setCurrentWidget(self.roll)


def _chorale_roll(piece: list) -> np.ndarray:
    steps = np.asarray(piece)  # (steps, 4 voices), -1 for silence
    roll = np.zeros((len(steps), 128), dtype=np.float32)
    for voice in range(steps.shape[1]):
        pitches = steps[:, voice]
        on = pitches >= 0
        roll[np.nonzero(on)[0], pitches[on]] = 1.0 + voice  # a colour per voice
    return roll
