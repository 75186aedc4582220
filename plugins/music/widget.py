"""Explore: generate from a music run and see (and hear) the piano roll as it grows.
For the Transformer, a MIDI file dropped on the widget becomes the prompt."""

from __future__ import annotations

from pathlib import Path

from studio.api_qt import SamplingWidget

from .view import PianoRollView

MIDI_SUFFIXES = (".mid", ".midi")


class MusicWidget(SamplingWidget):
    """Options (pieces and noise for MuseGAN; prompt, temperature, top-k and length for
    the Transformer) come from the model's sample options; parts stream into the view."""

    def __init__(self, context) -> None:
        super().__init__(context)
        self.view = PianoRollView()
        self.body.addWidget(self.view, 1)
        self.parts = 0  # partial samples shown during the last Generate
        self.setAcceptDrops(self._takes_prompt())

    def _takes_prompt(self) -> bool:
        options = self.context.model.sample_options
        return options is not None and "prompt" in getattr(options, "__dataclass_fields__", {})

    @staticmethod
    def _midi_of(event) -> Path | None:
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        paths = [Path(u.toLocalFile()) for u in urls if u.isLocalFile()]
        return next((p for p in paths if p.suffix.lower() in MIDI_SUFFIXES), None)

    def dragEnterEvent(self, event) -> None:
        if self._takes_prompt() and self._midi_of(event) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        path = self._midi_of(event)
        if path is not None:
            self.set_prompt(path)
            event.acceptProposedAction()

    def set_prompt(self, path: Path) -> None:
        """Start the next pieces from the first events of the MIDI file ``path``."""
        self.options_form.set_values({"prompt": str(path)})

    def generate(self) -> None:
        self.parts = 0
        super().generate()

    def show_partial(self, sample) -> None:
        self.parts += 1
        self.view.show_sample(sample)

    def show_sample(self, sample) -> None:
        self.view.show_sample(sample)
