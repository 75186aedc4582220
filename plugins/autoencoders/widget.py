"""Explore widget of the autoencoder and the VAE (Qt: imported only when shown).

- Top: Generate draws held-out images beside their reconstructions, or new images
  from the prior (the VAE's N(0, 1); the autoencoder's normal fitted to its codes),
  at the seed.
- Right: the latent map, the held-out codes in 2-D (the codes at latent size 2, else
  their first two principal components) coloured by class; click a point to decode it.
- Bottom: inputs a, b and c, each a held-out image by index, a class's mean code or an
  image file dropped on the widget (the first drop is a, the next b, then c); the
  interpolation from a to b and the arithmetic a - b + c.

Every request goes through ``request_sample`` with the model's typed options, so the
model runs on a worker thread, never on the GUI thread.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from studio import api
from studio.api_qt import ImagesView, RunHandle, SamplingWidget

from .views import LatentMapView, PairsView

SOURCES = ("item", "class", "file")  # a held-out image, a class mean, a dropped file
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"}


class InputRow(QWidget):
    """One input (a, b or c) of the explorer: where its code comes from."""

    def __init__(self, name: str, default_item: int) -> None:
        super().__init__()
        self.name = name
        self.path = ""
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel(f"{name}:"))
        self.source = QComboBox()
        self.source.addItems(SOURCES)
        self.item = QSpinBox(minimum=0, maximum=10**7, value=default_item)
        self.item.setToolTip("Index of a held-out image")
        self.klass = QComboBox()
        self.file = QLabel("(drop one)")
        self.source.setToolTip(
            "item: a held-out image; class: a class's mean code; file: a dropped image"
        )
        for w in (self.source, self.item, self.klass, self.file):
            row.addWidget(w)
        self.source.currentIndexChanged.connect(self._show)
        self._show()

    def _show(self) -> None:
        index = self.source.currentIndex()
        self.item.setVisible(index == 0)
        self.klass.setVisible(index == 1)
        self.file.setVisible(index == 2)

    def set_classes(self, names: list[str], pick: int) -> None:
        self.klass.clear()
        self.klass.addItems(names)
        if names:
            self.klass.setCurrentIndex(pick % len(names))
        item = self.source.model().item(1)
        item.setEnabled(bool(names))
        if not names and self.source.currentIndex() == 1:
            self.source.setCurrentIndex(0)

    def set_file(self, path: str) -> None:
        self.path = path
        self.file.setText(Path(path).name)
        self.source.setCurrentIndex(2)

    def values(self) -> dict[str, Any]:
        """The options naming this input."""
        out: dict[str, Any] = {f"item_{self.name}": self.item.value()}
        out[f"class_{self.name}"] = (
            self.klass.currentText() if self.source.currentIndex() == 1 else ""
        )
        out[f"file_{self.name}"] = self.path if self.source.currentIndex() == 2 else ""
        return out


class AutoencoderWidget(SamplingWidget):
    def __init__(self, context) -> None:
        super().__init__(context)
        self._mode = "main"  # where the pending result goes: main | map | point | explore
        self._drops = 0
        self.setAcceptDrops(True)
        self.show_box = QComboBox()
        self.show_box.addItems(["reconstructions", "prior samples"])
        if context.model.id == "vae":
            self.show_box.setCurrentIndex(1)
        self.count = QSpinBox(minimum=1, maximum=256, value=16)
        for i, w in enumerate((self.show_box, QLabel("Images"), self.count)):
            self.controls.insertWidget(2 + i, w)

        self.pairs = PairsView()
        self.images = ImagesView()
        self.main = QStackedWidget()
        self.main.addWidget(self.pairs)
        self.main.addWidget(self.images)
        self.map = LatentMapView()
        self.map.point_clicked.connect(self.decode_point)
        self.map_button = QPushButton("Map the held-out codes")
        self.map_button.clicked.connect(self.draw_map)
        self.point = ImagesView()
        self.point.setMaximumHeight(150)
        right = QWidget()
        column = QVBoxLayout(right)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.map_button)
        column.addWidget(self.map, 3)
        column.addWidget(self.point, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.main)
        split.addWidget(right)
        split.setSizes([500, 400])
        self.body.addWidget(split, 3)
        self.body.addWidget(self._explorer(), 2)
        if self.options_form is not None:
            self.options_form.hide()  # the controls here set every option
        self.buttons = [self.map_button, self.interpolate_button, self.arithmetic_button]
        self._enable(False)

    def _explorer(self) -> QGroupBox:
        box = QGroupBox("Latent space explorer (drop images here for a, b, c)")
        layout = QVBoxLayout(box)
        self.inputs = [InputRow(name, i) for i, name in enumerate("abc")]
        row = QHBoxLayout()
        for w in self.inputs:
            row.addWidget(w)
        row.addStretch(1)
        layout.addLayout(row)
        row = QHBoxLayout()
        self.steps = QSpinBox(minimum=2, maximum=64, value=8)
        self.interpolate_button = QPushButton("Interpolate a \u2192 b")
        self.interpolate_button.clicked.connect(lambda: self.explore("interpolate"))
        self.arithmetic_button = QPushButton("a \u2212 b + c")
        self.arithmetic_button.setToolTip("The image of the code a - b + c")
        self.arithmetic_button.clicked.connect(lambda: self.explore("arithmetic"))
        for w in (QLabel("Steps"), self.steps, self.interpolate_button, self.arithmetic_button):
            row.addWidget(w)
        row.addStretch(1)
        layout.addLayout(row)
        self.strip = ImagesView()
        layout.addWidget(self.strip, 1)
        return box

    # --- run -----------------------------------------------------------------------------
    def run_changed(self, run: RunHandle | None) -> None:
        names = list(run.class_names or []) if run is not None else []
        for i, row in enumerate(self.inputs):
            row.set_classes(names, i)
        self._enable(run is not None and not self.busy)

    def _enable(self, on: bool) -> None:
        for button in getattr(self, "buttons", []):
            button.setEnabled(on)

    # --- drops -----------------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if any(
            Path(u.toLocalFile()).suffix.lower() in IMAGE_SUFFIXES for u in event.mimeData().urls()
        ):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls()]
        self.drop_files([p for p in paths if Path(p).suffix.lower() in IMAGE_SUFFIXES])
        event.acceptProposedAction()

    def drop_files(self, paths: list[str]) -> None:
        """Dropped images become inputs a, b, c in turn."""
        for path in paths:
            self.inputs[self._drops % 3].set_file(path)
            self._drops += 1

    # --- requests ------------------------------------------------------------------------
    def options_with(self, **values: Any) -> Any:
        return dataclasses.replace(self.options_form.options(), **values)

    def current_options(self) -> Any:
        show = "reconstruct" if self.show_box.currentIndex() == 0 else "prior"
        return self.options_with(show=show, items=self.count.value())

    def generate(self) -> None:
        self._request("main", self.current_options)

    def draw_map(self) -> None:
        self._request("map", lambda: self.options_with(show="map"))

    def decode_point(self, x: float, y: float) -> None:
        self._request("point", lambda: self.options_with(show="decode", map_x=x, map_y=y))

    def explore(self, show: str) -> None:
        def options() -> Any:
            values: dict[str, Any] = {"show": show, "steps": self.steps.value()}
            for row in self.inputs:
                values.update(row.values())
            return self.options_with(**values)

        self._request("explore", options)

    def _request(self, mode: str, options) -> None:
        if self.run is None or self.busy:
            return
        try:
            chosen = options()
        except api.ConfigError as exc:
            self.sample_failed(str(exc))
            return
        self._mode = mode
        self._enable(False)
        self.request_sample(seed=self.seed.value(), options=chosen)

    def sample_failed(self, message: str) -> None:
        super().sample_failed(message)
        self._enable(self.run is not None)

    def sample_stopped(self) -> None:
        super().sample_stopped()
        self._enable(self.run is not None)

    # --- results ---------------------------------------------------------------------------
    def show_sample(self, sample: api.Sample) -> None:
        self._enable(self.run is not None)
        if self._mode == "map":
            self.map.show_sample(sample)
        elif self._mode == "point":
            self.point.show_sample(sample)
        elif self._mode == "explore":
            self.strip.show_sample(sample)
        elif sample.kind == "image-pairs":
            self.main.setCurrentWidget(self.pairs)
            self.pairs.show_sample(sample)
        else:
            self.main.setCurrentWidget(self.images)
            self.images.show_sample(sample)
