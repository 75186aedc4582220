"""CycleGAN's Qt parts (imported only when shown): the view of the ``image-triples``
sample kind (the gallery, the compare view and Explore draw triples with it) and the
Explore widget.

Explore: Generate translates images of the run's data each way (rows: source,
translated, translated back). Drop an image of either domain on the drop area to see
it beside its translation and its round trip (A, A->B, A->B->A, or from B). *Translate
a folder...* writes the translation of every image of a folder to another folder,
with a progress bar; Stop ends it. All of it is sampling with the model's typed
options (``options.py``) through ``request_sample``: the model runs on a worker
thread, never on the GUI thread.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QFontMetrics, QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from studio import api
from studio.api_qt import RunHandle, SampleView, SamplingWidget

from .options import SUFFIXES, TranslateOptions, output_folder
from .triples import ImageTriples

PAIR_PIXELS = 160  # each image of a dropped image's triple is shown this wide


def to_qimage(image: np.ndarray) -> QImage:
    """One (H, W, C) uint8 image as a QImage owning its pixels."""
    img = np.ascontiguousarray(image, dtype=np.uint8)
    h, w, c = img.shape
    fmt = QImage.Format.Format_Grayscale8 if c == 1 else QImage.Format.Format_RGB888
    return QImage(img.data, w, h, w * c, fmt).copy()


class TriplesView(SampleView):
    """Triples as rows (source, translated, translated back for each direction), the
    role of each row written at its left; images scaled crisply (nearest neighbour).
    ``shown_rows`` says which rows are drawn."""

    TARGET = 560  # about how wide the rows are drawn, in pixels
    PAD = 4

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.label)
        self.body.addWidget(scroll, 1)
        self.body.addWidget(self.caption)
        self.shown_rows: list[str] = []

    def show_sample(self, sample: api.Sample) -> None:
        if not isinstance(sample, ImageTriples):  # an image batch: draw it as one row
            sample = ImageTriples(images=sample.images, labels=None, metrics=sample.metrics)
        rows = sample.rows()
        self.shown_rows = [role for role, _ in rows]
        self.label.setPixmap(self.paint(rows))
        self.show_caption(sample, f"{len(rows[0][1])} images a row" if rows else "")

    def paint(self, rows: list[tuple[str, np.ndarray]]) -> QPixmap:
        metrics = QFontMetrics(self.font())
        title_w = max([metrics.horizontalAdvance(role) for role, _ in rows] + [0]) + 2 * self.PAD
        n, h, w = max(len(r) for _, r in rows), rows[0][1].shape[1], rows[0][1].shape[2]
        # As large as the view allows (at least TARGET wide), crisp whole-pixel scales.
        room_w = max(self.TARGET, self.width() - 24) - title_w - n * self.PAD
        room_h = max(self.TARGET // 2, self.height() - 40) - len(rows) * self.PAD
        scale = min(room_w // max(1, n * w), room_h // max(1, len(rows) * h))
        scale = max(1, min(8, scale))
        cell_w, cell_h = w * scale + self.PAD, h * scale + self.PAD
        pix = QPixmap(title_w + n * cell_w + self.PAD, len(rows) * cell_h + self.PAD)
        pix.fill(QColor("white"))
        painter = QPainter(pix)
        painter.setPen(QColor("black"))
        for r, (role, images) in enumerate(rows):
            y = self.PAD + r * cell_h
            box = QRect(0, y, title_w - self.PAD, h * scale)
            painter.drawText(box, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, role)
            for i, image in enumerate(images):
                target = QRect(title_w + i * cell_w, y, w * scale, h * scale)
                painter.drawImage(target, to_qimage(image))
        painter.end()
        return pix


class DropArea(QLabel):
    """Where an image file is dropped; calls ``on_drop(path)``."""

    def __init__(self, on_drop, parent: QWidget | None = None) -> None:
        super().__init__("Drop an image here", parent)
        self.on_drop = on_drop
        self.setAcceptDrops(True)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumSize(PAIR_PIXELS, PAIR_PIXELS // 2)
        self.setStyleSheet("QLabel { border: 2px dashed #888; color: #555; }")

    @staticmethod
    def image_path(event) -> Path | None:
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        paths = [Path(u.toLocalFile()) for u in urls if u.isLocalFile()]
        return next((p for p in paths if p.suffix.lower() in SUFFIXES), None)

    def dragEnterEvent(self, event) -> None:
        if self.image_path(event) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        path = self.image_path(event)
        if path is not None:
            event.acceptProposedAction()
            self.on_drop(path)


class CycleGANWidget(SamplingWidget):
    """Translate data images (Generate), a dropped image, or a whole folder."""

    def __init__(self, context) -> None:
        super().__init__(context)
        self._mode = "data"  # what the pending request is: data | image | folder
        self.out_folder: Path | None = None
        if self.options_form is not None:  # the drop area and the folder button set these
            for name in ("image", "folder", "out_folder"):
                self.options_form.editor(name).hide()
                self.options_form.label(name).hide()

        self.view = TriplesView()
        self.body.addWidget(self.view, 3)

        one = QGroupBox("One image")
        grid = QGridLayout(one)
        self.drop_area = DropArea(self.translate_image)
        self.source_domain = QComboBox()
        self.source_domain.addItem("is from domain A (translate A->B)", "A->B")
        self.source_domain.addItem("is from domain B (translate B->A)", "B->A")
        grid.addWidget(self.drop_area, 0, 0, 2, 1)
        grid.addWidget(QLabel("The dropped image"), 0, 1)
        grid.addWidget(self.source_domain, 1, 1)
        self.pair = QHBoxLayout()
        self.pair_images: list[QLabel] = []
        self.pair_captions: list[QLabel] = []
        for _ in range(3):
            column = QVBoxLayout()
            picture, caption = QLabel(), QLabel()
            picture.setFixedSize(PAIR_PIXELS, PAIR_PIXELS)
            picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
            caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
            column.addWidget(picture)
            column.addWidget(caption)
            self.pair.addLayout(column)
            self.pair_images.append(picture)
            self.pair_captions.append(caption)
        grid.addLayout(self.pair, 0, 2, 2, 1)
        grid.setColumnStretch(3, 1)
        self.body.addWidget(one)

        folder_row = QHBoxLayout()
        self.folder_button = QPushButton("Translate a folder...")
        self.folder_button.setToolTip(
            "Translate every image of a folder (in the direction chosen above) into a "
            "new folder beside it; Stop ends it"
        )
        self.folder_button.clicked.connect(self.choose_folder)
        self.progress = QProgressBar()
        self.progress.setFormat("%v / %m images")
        self.progress.setValue(0)
        self.folder_status = QLabel()
        self.folder_status.setWordWrap(True)
        folder_row.addWidget(self.folder_button)
        folder_row.addWidget(self.progress, 1)
        self.body.addLayout(folder_row)
        self.body.addWidget(self.folder_status)
        self._enable(False)

    # --- the run ---------------------------------------------------------------------
    def run_changed(self, run: RunHandle | None) -> None:
        self._enable(run is not None)
        names = (run.dataset or {}).get("prep", {}).get("domains") if run is not None else None
        if names and len(names) == 2:
            self.source_domain.setItemText(0, f"is from {names[0]} (translate A->B)")
            self.source_domain.setItemText(1, f"is from {names[1]} (translate B->A)")

    def _enable(self, on: bool) -> None:
        self.drop_area.setEnabled(on)
        self.folder_button.setEnabled(on)

    # --- requests --------------------------------------------------------------------
    def generate(self) -> None:
        self._mode = "data"
        super().generate()

    def translate_image(self, path: Path) -> None:
        """Translate one image file (dropped) in the direction of ``source_domain``."""
        if self.run is None or self.busy:
            return
        self._mode = "image"
        direction = self.source_domain.currentData()
        self.request_sample(
            seed=self.seed.value(), options=TranslateOptions(direction=direction, image=str(path))
        )

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder of images to translate")
        if folder:
            self.translate_folder(Path(folder))

    def translate_folder(self, folder: Path, out_folder: Path | None = None) -> None:
        """Translate every image of ``folder`` into ``out_folder`` (default: beside it)."""
        if self.run is None or self.busy:
            return
        self._mode = "folder"
        options = TranslateOptions(
            direction=self.source_domain.currentData(),
            folder=str(folder),
            out_folder=str(out_folder or ""),
        )
        self.out_folder = output_folder(options)
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.folder_status.setText(f"Translating {folder} into {self.out_folder}...")
        self.request_sample(seed=self.seed.value(), options=options)

    # --- results ---------------------------------------------------------------------
    def show_partial(self, sample: api.Sample) -> None:
        if self._mode == "folder":
            done, total = int(sample.metrics["done"]), int(sample.metrics["total"])
            self.progress.setRange(0, total)
            self.progress.setValue(done)
        self.show_result(sample)

    def show_sample(self, sample: api.Sample) -> None:
        self.show_result(sample)
        if self._mode == "folder":
            failed = int(sample.metrics.get("failed", 0))
            note = f"; {failed} could not be read (listed there)" if failed else ""
            self.folder_status.setText(
                f"Translated {int(sample.metrics['done']) - failed} images into "
                f"{self.out_folder}{note}."
            )

    def show_result(self, sample: api.Sample) -> None:
        if self._mode == "image" and isinstance(sample, ImageTriples):
            for picture, caption, (role, images) in zip(
                self.pair_images, self.pair_captions, sample.rows(), strict=False
            ):
                pix = QPixmap.fromImage(to_qimage(images[0]))
                picture.setPixmap(
                    pix.scaled(
                        PAIR_PIXELS,
                        PAIR_PIXELS,
                        Qt.AspectRatioMode.KeepAspectRatio,
                        Qt.TransformationMode.FastTransformation,
                    )
                )
                caption.setText(role)
        else:
            self.view.show_sample(sample)

    def sample_failed(self, message: str) -> None:
        super().sample_failed(message)
        if self._mode == "folder":
            self.folder_status.setText(f"The folder was not translated: {message}")

    def sample_stopped(self) -> None:
        super().sample_stopped()
        if self._mode == "folder":
            self.folder_status.setText(
                f"Stopped after {self.progress.value()} images; they are in {self.out_folder}."
            )
