"""Sampling widget of CLIP (Qt: imported when the widget shows).

Type a caption (Enter): the dataset images closest to it, best first, each with its
cosine similarity. Drop an image file on the widget (or type its path in ``image``):
the captions that describe it best, with the share CLIP gives each. The caption, image,
candidates and count are the controls generated from ``CLIPOptions``; sampling runs
off the GUI thread through ``request_sample``.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QLabel, QLineEdit, QListWidget

from studio import api
from studio.api_qt import ImagesView, SamplingWidget

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp")


class CLIPWidget(SamplingWidget):
    def __init__(self, context) -> None:
        super().__init__(context)
        self.setAcceptDrops(True)
        self.caption: QLineEdit = self.options_form.editor("caption")
        self.caption.setPlaceholderText("a handwritten seven: the closest images of the data")
        self.caption.returnPressed.connect(self.search)
        self.image: QLineEdit = self.options_form.editor("image")
        self.image.setPlaceholderText("drop an image here: its best captions")
        self.image.returnPressed.connect(self.generate)
        self.hint = QLabel("Type a caption and press Enter, or drop an image on this page.")
        self.view = ImagesView()
        self.captions = QListWidget()
        self.captions.setVisible(False)
        self.body.addWidget(self.hint)
        self.body.addWidget(self.view, 1)
        self.body.addWidget(self.captions)

    def search(self) -> None:
        """A caption typed: search by it (an image path left over would win)."""
        self.image.clear()
        self.generate()

    def caption_image(self, path: str | Path) -> None:
        """The best captions of the image at ``path`` (what a drop does)."""
        self.image.setText(str(path))
        self.generate()

    # --- drops ----------------------------------------------------------------------
    @staticmethod
    def _image_path(event) -> str | None:
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        files = [u.toLocalFile() for u in urls if u.isLocalFile()]
        images = [f for f in files if f.lower().endswith(IMAGE_SUFFIXES)]
        return images[0] if images else None

    def dragEnterEvent(self, event) -> None:
        if self._image_path(event):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        path = self._image_path(event)
        if path:
            event.acceptProposedAction()
            self.caption_image(path)

    # --- results --------------------------------------------------------------------
    def show_sample(self, sample: api.Images) -> None:
        ranked = self.image.text().strip() and len(sample.images) == 1 and sample.labels
        if ranked:  # an image and its best captions, one a line
            self.view.show_sample(api.Images(images=sample.images, metrics=sample.metrics))
            self.captions.clear()
            self.captions.addItems(sample.labels[0].splitlines())
            self.hint.setText(f"The captions that best describe {Path(self.image.text()).name}:")
        else:
            self.view.show_sample(sample)
            caption = self.caption.text().strip()
            self.hint.setText(
                f"The images closest to “{caption}”, with their similarity."
                if caption
                else "The held-out images closest to each class's caption, a row each."
            )
        self.captions.setVisible(bool(ranked))
