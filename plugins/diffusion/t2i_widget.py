"""Sampling widget of the text-to-image model (Qt: imported when the widget shows).

The prompt box, guidance scale, steps, sampler, eta, image count and ranking are the
controls generated from ``T2IOptions``; Enter in the prompt box generates. The images
stream in as they are denoised (``show_partial``), then the final ones come with the
judge's verdict on the digits and the CLIP score when the run has a CLIP file.
*Measure* times the chosen sampler at its steps and at 10 (or 50) steps on this
machine, with the judge's scores (``measure_widget``).
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QLineEdit

from studio import api
from studio.api_qt import ImagesView, RunHandle, SamplingWidget

from .measure_widget import MeasureBar
from .text_tokens import NUMBER_WORDS, is_digit_classes

SCORES = (
    ("asked_digit", "drawn as the digit asked for"),
    ("digit_accuracy", "confidently some digit"),
    ("clip_score", "CLIP score"),
)


def describe(metrics: dict[str, float]) -> str:
    """The sample's scores in words (empty when it has none)."""
    parts = []
    for key, words in SCORES:
        if key in metrics:
            value = metrics[key]
            parts.append(
                f"{words}: {value:.0f}" if key == "clip_score" else f"{words}: {value:.0%}"
            )
    return "; ".join(parts)


class TextToImageWidget(SamplingWidget):
    """A prompt in, images out, watched as they denoise."""

    def __init__(self, context) -> None:
        super().__init__(context)
        self.prompt: QLineEdit = self.options_form.editor("prompt")
        self.prompt.setPlaceholderText("a handwritten seven (empty: every class in turn)")
        self.prompt.returnPressed.connect(self.generate)
        self.progress = QLabel()
        self.scores = QLabel()
        self.scores.setWordWrap(True)
        self.view = ImagesView()
        self.body.addWidget(self.progress)
        self.body.addWidget(self.view, 1)
        self.body.addWidget(self.scores)
        self.measure = MeasureBar(self, self.measured_as)
        self.body.addWidget(self.measure)

    def measured_as(self) -> str:
        """What the measure line names after the steps: the guidance and the prompt."""
        prompt = self.prompt.text().strip()
        try:
            guidance = f" at guidance {self.current_options().guidance:g}"
        except ValueError:
            guidance = ""
        return guidance + (f" for “{prompt}”" if prompt else ", every class in turn")

    def generate(self) -> None:
        if self.measure.busy:  # one job at a time on the run's sampler
            return
        super().generate()

    def closeEvent(self, event) -> None:
        self.measure.cancel()
        super().closeEvent(event)

    def run_changed(self, run: RunHandle | None) -> None:
        names = (run.class_names if run is not None else None) or []
        digits = run is not None and run.dataset.get("id") == "digits"
        if digits or is_digit_classes(names):
            example = f"a handwritten {NUMBER_WORDS[7]}"
        elif names:
            example = f"a {names[0]}"
        else:
            example = "a caption like those of the data"
        self.prompt.setPlaceholderText(f"{example} (empty: every class or caption in turn)")
        self.measure.run_changed()

    def show_partial(self, sample: api.Images) -> None:
        self.view.show_sample(sample)
        step, steps = sample.metrics.get("step"), sample.metrics.get("steps")
        if step is not None:
            self.progress.setText(f"Denoising: step {step:.0f} of {steps:.0f}")

    def show_sample(self, sample: api.Images) -> None:
        self.view.show_sample(sample)
        prompt = self.prompt.text().strip()
        self.progress.setText(f"“{prompt}”" if prompt else "Every class in turn, a row each")
        text = describe(sample.metrics)
        if sample.metrics.get("unknown_words"):
            text += ("; " if text else "") + "the prompt has words the model never saw"
        self.scores.setText(text)
