"""Sampling widget of the image GANs (Qt: imported only when the widget is shown).

Top: a batch of generated images at a seed (for the conditional GAN: of one class, of
every class, or of a mix of two classes by weight, as the book's chapter 5 mixes
eyeglasses and no eyeglasses; for a DCGAN trained with InfoGAN codes, the same with
codes). Below: the latent space explorer, interpolation
between the latents of two seeds and the arithmetic a - b + c, every image captioned
with the seeds (and classes) that reproduce it. All sampling goes through
``request_sample`` with the model's typed options (``options.py``): the model runs on
a worker thread, never on the GUI thread.

The generated option editors for seeds, steps and spherical are placed in the
explorer; the class options are pickers listing the run's class names (or codes),
which the ``RunHandle`` gives, so the generated form itself stays hidden. Before a run
is open the pickers are off, and a note says when they fill. A batch of one class, or
of a mix of two, is captioned with it ("mix: 30% class 3 + 70% class 8").
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSlider,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from studio import api
from studio.api_qt import ImagesView, RunHandle, SamplingWidget

from .config import code_names

EVERY_CLASS = "every class"
EVERY_CODE = "every code"
NO_MIX = "no mix"
NO_RUN_CLASSES = (
    "The classes are listed once a run is open: train the model, or open a run from the Runs list."
)
UNLISTED_CLASSES = "Generate once to list the classes of the run's data."
STRIP_PIXELS = 96  # each explorer image is shown at most this many pixels wide
MIN_STRIP = 48  # and at least this many (a narrower row scrolls)
BATCH = 64  # images in a batch, at first (a model with classes: a multiple of them)
WIDEST_ROW = 12  # a class's images are split into rows of at most this many


def class_columns(labels: list[str]) -> int | None:
    """Columns that give each class whole rows (labelled once, at the row's start)
    when a batch lists its classes in runs of one length, as "every class" draws
    them; ``None`` otherwise."""
    runs = [len(list(group)) for _, group in itertools.groupby(labels)]
    if len(runs) < 2 or len(set(runs)) != 1:
        return None
    columns = max(c for c in range(1, min(runs[0], WIDEST_ROW) + 1) if runs[0] % c == 0)
    return columns if columns > 1 else None


def to_pixmap(image: np.ndarray, side: int) -> QPixmap:
    """One (H, W, C) uint8 image, scaled (nearest neighbour: crisp pixels) to ``side``."""
    img = np.ascontiguousarray(image, dtype=np.uint8)
    h, w, c = img.shape
    fmt = QImage.Format.Format_Grayscale8 if c == 1 else QImage.Format.Format_RGB888
    qimage = QImage(img.data, w, h, w * c, fmt).copy()  # copy: own the pixels
    return QPixmap.fromImage(qimage).scaled(
        side, side, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation
    )


class StripView(QWidget):
    """A row of images, each with its caption underneath (the explorer's results),
    drawn as wide as the row's room allows (STRIP_PIXELS at most, MIN_STRIP at least:
    below, the row scrolls)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setMinimumHeight(STRIP_PIXELS + 60)
        # A row of pictures with two lines of caption and a scroll bar: more height
        # would be empty; the batch above takes it.
        self.scroll.setMaximumHeight(STRIP_PIXELS + 90)
        self.inner = QWidget()
        self.grid = QGridLayout(self.inner)
        self.grid.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.scroll.setWidget(self.inner)
        outer.addWidget(self.scroll)
        self.captions: list[str] = []
        self.side = STRIP_PIXELS  # how wide each image is drawn now
        self._sample: api.Images | None = None

    def _side_for(self, columns: int) -> int:
        """The widest images ``columns`` of them fit in the row's room."""
        room = self.scroll.viewport().width()
        if not self.isVisible() or room < 100:
            return STRIP_PIXELS
        spacing = max(0, self.grid.horizontalSpacing())
        margins = self.grid.contentsMargins()
        room -= margins.left() + margins.right() + spacing * (columns - 1)
        return max(MIN_STRIP, min(STRIP_PIXELS, room // max(1, columns)))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._sample is not None:
            columns = self._sample.columns or len(self._sample.images)
            if self._side_for(columns) != self.side:
                self.show_images(self._sample)

    def show_images(self, sample: api.Images) -> None:
        self._sample = sample
        while self.grid.count():
            item = self.grid.takeAt(0)
            if item.widget() is not None:
                item.widget().hide()  # at once: deleteLater waits for the event loop
                item.widget().deleteLater()
        self.captions = list(sample.labels or [""] * len(sample.images))
        columns = sample.columns or len(sample.images)  # the explorer's: one row
        self.side = self._side_for(columns)
        for i, (image, caption) in enumerate(zip(sample.images, self.captions, strict=True)):
            picture = QLabel()
            picture.setPixmap(to_pixmap(image, self.side))
            picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
            text = QLabel(caption.replace(", ", "\n"))
            text.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            row, col = divmod(i, columns)
            self.grid.addWidget(picture, 2 * row, col)
            self.grid.addWidget(text, 2 * row + 1, col)


class ImageGANWidget(SamplingWidget):
    """Batch sampling (with class and two-class mix for the models with classes or
    codes) and the latent space explorer."""

    def __init__(self, context) -> None:
        super().__init__(context)
        # Class pickers: always for the conditional GAN; for DCGAN when the open run
        # was trained with InfoGAN codes (run_changed).
        self.conditional = context.model.id == "cgan"
        self.label_widgets: list[QWidget] = []  # shown only when conditional
        self._mode = "batch"  # what the pending request is: batch | explore
        self._asked = ""  # the pending batch's class or mix, as its caption says it
        self.classes: list[str] = []

        self.count = QSpinBox(minimum=1, maximum=256, value=BATCH)
        self.count.setToolTip("Images in the batch (every class: spread over the classes)")
        self.controls.insertWidget(2, QLabel("Images"))
        self.controls.insertWidget(3, self.count)

        # --- class and mix (models with classes or codes) ---------------------------
        self.class_box = QComboBox()
        self.mix_box = QComboBox()
        self.mix_slider = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=100, value=50)
        self.mix_slider.setFixedWidth(120)
        self.mix_label = QLabel()
        self.mix_label.setMinimumWidth(110)  # fixed: a label that resizes re-lays out
        self.mix_slider.valueChanged.connect(self._update_mix_label)
        self.class_box.currentIndexChanged.connect(self._update_mix_enabled)
        self.mix_box.currentIndexChanged.connect(self._update_mix_enabled)
        self.class_title = QLabel("Class")
        # Class and mix on a row of their own: one row for everything was wider than
        # a laptop's window leaves the Explore tab.
        class_row = QHBoxLayout()
        for w in (
            self.class_title,
            self.class_box,
            QLabel("mixed with"),
            self.mix_box,
            self.mix_slider,
            self.mix_label,
        ):
            class_row.addWidget(w)
            self.label_widgets.append(w)
        class_row.addStretch(1)
        self.layout().insertLayout(1, class_row)
        # Why the pickers are off (no run yet, or classes not known until a batch).
        self.class_note = QLabel(NO_RUN_CLASSES)
        self.class_note.setWordWrap(True)
        self.layout().insertWidget(2, self.class_note)

        # --- views -----------------------------------------------------------------
        self.view = ImagesView()
        self.explorer = self._build_explorer()
        # A splitter: a grid of ten classes wants the height the explorer takes.
        self.split = QSplitter(Qt.Orientation.Vertical)
        self.split.setChildrenCollapsible(False)
        self.split.addWidget(self.view)
        self.split.addWidget(self.explorer)
        self.split.setStretchFactor(0, 1)
        self.split.setStretchFactor(1, 0)
        self.body.addWidget(self.split, 1)
        if self.options_form is not None:
            self.options_form.hide()  # its editors that fit are in the explorer
        self._fill_classes([])
        self._show_label_widgets()
        self._update_mix_label()
        self._update_mix_enabled()

    def _option_editor(self, name: str) -> QWidget:
        """The generated editor of option ``name`` (its range and help declared once,
        in ``options.py``), taken out of the hidden form to be placed here."""
        editor = self.options_form.editor(name)
        editor.setParent(None)  # leaves the form's layout
        return editor

    def _build_explorer(self) -> QGroupBox:
        box = QGroupBox("Latent space explorer")
        layout = QVBoxLayout(box)
        # a, b and c side by side, each seed above its class (one row was too wide).
        grid = QGridLayout()
        self.seed_boxes: dict[str, QSpinBox] = {}
        self.class_boxes: dict[str, QComboBox] = {}
        self.explorer_titles: list[QLabel] = []
        for col, name in enumerate("abc"):
            spin = self._option_editor(f"seed_{name}")
            self.seed_boxes[name] = spin
            grid.addWidget(QLabel(f"{name}: seed"), 0, 2 * col)
            grid.addWidget(spin, 0, 2 * col + 1)
            combo = QComboBox()
            combo.setPlaceholderText("no classes yet")
            self.class_boxes[name] = combo
            title = QLabel("class")
            self.explorer_titles.append(title)
            grid.addWidget(title, 1, 2 * col)
            grid.addWidget(combo, 1, 2 * col + 1)
            self.label_widgets += [title, combo]
        grid.setColumnStretch(6, 1)
        layout.addLayout(grid)
        row = QHBoxLayout()
        self.steps = self._option_editor("steps")
        self.spherical = self._option_editor("spherical")
        self.spherical.setText("spherical")
        self.interpolate_button = QPushButton("Interpolate a \u2192 b")
        self.interpolate_button.clicked.connect(self.interpolate)
        self.arithmetic_button = QPushButton("a \u2212 b + c")
        self.arithmetic_button.setToolTip(
            "The image of latent a - b + c (the book's 'man with glasses - man + woman')"
        )
        self.arithmetic_button.clicked.connect(self.arithmetic)
        for w in (QLabel("Steps"), self.steps, self.spherical):
            row.addWidget(w)
        row.addWidget(self.interpolate_button)
        row.addSpacing(12)
        row.addWidget(self.arithmetic_button)
        row.addStretch(1)
        layout.addLayout(row)
        self.strip = StripView()
        layout.addWidget(self.strip, 1)
        self._set_explorer_enabled(False)
        return box

    # --- classes ---------------------------------------------------------------------
    def _codes(self) -> bool:
        """Whether the pickers list InfoGAN codes (a DCGAN run) rather than classes."""
        return self.context.model.id != "cgan"

    def _show_label_widgets(self) -> None:
        for w in self.label_widgets:
            w.setVisible(self.conditional)
        self._update_class_note()
        noun = "Code" if self._codes() else "Class"
        self.class_title.setText(noun)
        for title in self.explorer_titles:
            title.setText(noun.lower())

    def _fill_classes(self, classes: list[str]) -> None:
        """List ``classes`` in every class picker (kept if they have not changed)."""
        if classes == self.classes and self.class_box.count():
            self._update_class_note()
            return
        self.classes = list(classes)
        self.class_box.clear()
        self.class_box.addItem(EVERY_CODE if self._codes() else EVERY_CLASS)
        self.class_box.addItems(self.classes)
        self.mix_box.clear()
        self.mix_box.addItem(NO_MIX)
        self.mix_box.addItems(self.classes)
        for i, combo in enumerate(self.class_boxes.values()):
            combo.clear()
            combo.addItems(self.classes)
            if self.classes:
                combo.setCurrentIndex(min(i, len(self.classes) - 1))
        if self.classes and self.count.value() == BATCH:  # as many of every class
            k = len(self.classes)
            self.count.setValue(min(self.count.maximum(), k * math.ceil(BATCH / k)))
        self._update_class_note()

    def _update_class_note(self) -> None:
        """Pickers on only with classes to pick; else the note says when they fill."""
        known = bool(self.classes)
        self.class_box.setEnabled(known)
        for combo in self.class_boxes.values():
            combo.setEnabled(known)
        self._update_mix_enabled()
        self.class_note.setText(NO_RUN_CLASSES if self.run is None else UNLISTED_CLASSES)
        self.class_note.setVisible(self.conditional and not known)

    @staticmethod
    def codes_of(run: RunHandle | None) -> int:
        """The number of InfoGAN codes a DCGAN run was trained with (0: none)."""
        if run is None:
            return 0
        config = run.config
        value = config.get("codes", 0) if isinstance(config, dict) else getattr(config, "codes", 0)
        try:
            return int(value or 0)
        except (TypeError, ValueError):
            return 0

    def run_changed(self, run: RunHandle | None) -> None:
        """A run was opened (or closed): list its classes (or codes) in the pickers."""
        self._set_explorer_enabled(run is not None and not self.busy)
        if self._codes():
            codes = self.codes_of(run)
            self.conditional = codes > 0
            self._fill_classes(code_names(codes))
            self._show_label_widgets()
            self._update_mix_enabled()
        else:
            self._fill_classes((run.class_names or []) if run is not None else [])

    def _set_explorer_enabled(self, on: bool) -> None:
        self.interpolate_button.setEnabled(on)
        self.arithmetic_button.setEnabled(on)

    def _update_mix_label(self) -> None:
        w = self.mix_slider.value()
        self.mix_label.setText(f"{w}% / {100 - w}%")

    def _update_mix_enabled(self) -> None:
        one_class = self.class_box.currentIndex() > 0
        self.mix_box.setEnabled(one_class)
        mixing = one_class and self.mix_box.currentIndex() > 0
        self.mix_slider.setEnabled(mixing)
        self.mix_label.setEnabled(mixing)

    # --- options ---------------------------------------------------------------------
    def current_options(self) -> Any:
        """Generate's options: a batch, of the class (and the mix) picked, if any."""
        return self.options_for("none")

    def options_for(self, explore: str) -> Any:
        """The model's options instance for a batch (``explore="none"``) or for the
        explorer (``interpolate``, ``arithmetic``): seeds, steps and spherical from
        their editors, the classes (codes) by name from the pickers."""
        values: dict[str, Any] = {"explore": explore}
        if self.conditional and explore == "none" and self.class_box.currentIndex() > 0:
            values["label"] = self.class_box.currentText()
            if self.mix_box.currentIndex() > 0:
                values["mix_with"] = self.mix_box.currentText()
                values["mix"] = self.mix_slider.value() / 100
        elif self.conditional and explore != "none":
            for name, combo in self.class_boxes.items():
                values[f"label_{name}"] = combo.currentText()
        return dataclasses.replace(self.options_form.options(), **values)

    def batch_caption(self) -> str:
        """The class or the mix a batch is asked of, as its caption says it ("class 4",
        "mix: 70% class 4 + 30% class 9"; "" for every class)."""
        if not self.conditional or self.class_box.currentIndex() <= 0:
            return ""

        def name(label: str) -> str:
            return f"class {label}" if label.isdigit() else label

        first = name(self.class_box.currentText())
        if self.mix_box.currentIndex() <= 0:
            return first
        w = self.mix_slider.value()
        return f"mix: {w}% {first} + {100 - w}% {name(self.mix_box.currentText())}"

    # --- requests --------------------------------------------------------------------
    def generate(self) -> None:
        if self.run is not None and not self.busy:
            self._asked = self.batch_caption()
        self._request("batch", self.current_options, n=self.count.value())

    def interpolate(self) -> None:
        self._request("explore", lambda: self.options_for("interpolate"))

    def arithmetic(self) -> None:
        self._request("explore", lambda: self.options_for("arithmetic"))

    def _request(self, mode: str, options: Callable[[], Any], n: int | None = None) -> None:
        """Ask for a sample whose result goes to the batch view or the strip (``mode``)."""
        if self.run is None or self.busy:
            return  # one request at a time: the pending one keeps its mode
        try:
            chosen = options()
        except api.ConfigError as exc:  # an editor's value out of its option's range
            self.sample_failed(str(exc))
            return
        self._mode = mode
        self.request_sample(seed=self.seed.value(), n=n, options=chosen)

    def request_sample(
        self, seed: int = 0, n: int | None = None, options: Any = None, **legacy: Any
    ) -> None:
        if self.run is not None and not self.busy:
            self._set_explorer_enabled(False)  # one request at a time, like Generate
        super().request_sample(seed=seed, n=n, options=options, **legacy)

    def sample_failed(self, message: str) -> None:
        super().sample_failed(message)
        self._set_explorer_enabled(self.run is not None)

    def sample_stopped(self) -> None:
        super().sample_stopped()
        self._set_explorer_enabled(self.run is not None)

    # --- results -----------------------------------------------------------------------
    def show_sample(self, sample: api.Sample) -> None:
        self._set_explorer_enabled(self.run is not None)
        if self._mode == "explore":
            self.strip.show_images(sample)
            seeds = [c for c in sample.labels or [] if "seed" in c]
            self.status.setText(f"{self.status.text()} Explorer: {'; '.join(seeds)}.")
            return
        if self.conditional and sample.labels and self.class_box.currentIndex() <= 0:
            self._fill_classes(list(dict.fromkeys(sample.labels)))
            columns = class_columns([str(x) for x in sample.labels])
            if columns and not sample.columns:  # every class: a row (or rows) each
                sample = dataclasses.replace(sample, columns=columns)
        self.view.show_sample(sample)
        if self._asked:  # one class or a mix: said once, not under every image
            self.view.caption.setText(f"{self._asked} ({len(sample.images)} images)")
