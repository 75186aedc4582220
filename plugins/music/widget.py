"""Explore: generate from a music run and see (and hear) the piano roll as it grows."""

from __future__ import annotations

from studio.api_qt import SamplingWidget

from .view import PianoRollView


class MusicWidget(SamplingWidget):
    """Options (pieces and noise for MuseGAN; prompt, temperature, top-k and length for
    the Transformer) come from the model's sample options; parts stream into the view."""

    def __init__(self, context) -> None:
        super().__init__(context)
        self.view = PianoRollView()
        self.body.addWidget(self.view, 1)
        self.parts = 0  # partial samples shown during the last Generate

    def generate(self) -> None:
        self.parts = 0
        super().generate()

    def show_partial(self, sample) -> None:
        self.parts += 1
        self.view.show_sample(sample)

    def show_sample(self, sample) -> None:
        self.view.show_sample(sample)
