"""The Explore tab of the diffusion model, and the trajectory's view.

Generate streams the partial images as they denoise (every ``stream_every`` steps);
with ``output = trajectory`` the result is a filmstrip, one row per image from pure
noise to the final picture, which *Save GIF...* writes as an animation. Dropping an
image (or *Image...*) sets ``init_image``: the image is noised to ``strength`` and
denoised, image-to-image. *Measure* times the chosen sampler at its steps and at 10
(or 50) steps on this machine, with the judge's scores (``measure_widget``).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPushButton, QWidget

from studio import api
from studio.api_qt import ImagesView, SamplingWidget

from .diffusion_kinds import Trajectory
from .measure_widget import MeasureBar

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")


def describe(metrics: dict[str, float]) -> str:
    """The digit judge's scores in words ("judge recognised 86%, 9 classes covered,
    Frechet 31"); other metrics as they are."""
    words = {
        "recognised": lambda v: f"judge recognised {v:.0%}",
        "classes_covered": lambda v: f"{v:.0f} classes covered",
        "frechet": lambda v: f"Frechet {v:.0f}",
    }
    return ", ".join(words.get(k, lambda v, k=k: f"{k} {v:.3g}")(v) for k, v in metrics.items())


class TrajectoryView(ImagesView):
    """A trajectory: one row per image, x_t from pure noise (left) to the image."""

    def show_sample(self, sample: api.Sample) -> None:
        super().show_sample(sample)
        if isinstance(sample, Trajectory):
            steps = ", ".join((sample.labels or [])[: sample.frames])
            self.show_caption(sample, f"{sample.rows} images denoised; columns at {steps}")


class DiffusionWidget(SamplingWidget):
    """Seed, Generate, Stop and the sampling options come from the base class."""

    def __init__(self, context, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.setAcceptDrops(True)
        row = QHBoxLayout()
        self.image_button = QPushButton("Image...")
        self.image_button.setToolTip("Image-to-image: the picture to noise and redraw")
        self.image_button.clicked.connect(self._choose_image)
        self.clear_button = QPushButton("No image")
        self.clear_button.clicked.connect(lambda: self.set_init_image(""))
        self.gif_button = QPushButton("Save GIF...")
        self.gif_button.setToolTip("The trajectory shown, as an animated GIF")
        self.gif_button.setEnabled(False)
        self.gif_button.clicked.connect(self._choose_gif)
        self.progress = QLabel("")
        for w in (self.image_button, self.clear_button, self.gif_button, self.progress):
            row.addWidget(w)
        row.addStretch(1)
        self.body.addLayout(row)
        self.measure = MeasureBar(self)
        self.body.addWidget(self.measure)
        self.view = TrajectoryView()
        self.body.addWidget(self.view, 1)
        self.last: api.Sample | None = None
        self.parts_shown = 0

    def run_changed(self, run: api.RunHandle | None) -> None:
        self.measure.run_changed()

    def closeEvent(self, event) -> None:
        self.measure.cancel()
        super().closeEvent(event)

    # --- image-to-image ----------------------------------------------------------
    def set_init_image(self, path: str) -> None:
        if self.options_form is not None:
            self.options_form.set_values({"init_image": str(path)})
        self.progress.setText(f"image-to-image from {Path(path).name}" if path else "")

    def _choose_image(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Image to redraw", "", "Images (*.png *.jpg *.jpeg *.bmp *.gif *.webp)"
        )
        if path:
            self.set_init_image(path)

    def dragEnterEvent(self, event) -> None:
        if any(u.toLocalFile().lower().endswith(IMAGE_SUFFIXES) for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        for url in event.mimeData().urls():
            if url.toLocalFile().lower().endswith(IMAGE_SUFFIXES):
                self.set_init_image(url.toLocalFile())
                event.acceptProposedAction()
                return

    # --- GIF -----------------------------------------------------------------------
    def save_gif(self, path: Path) -> None:
        from .diffusion_export import export_gif

        if not isinstance(self.last, Trajectory):
            raise ValueError("no trajectory shown: sample with output = trajectory first")
        export_gif(self.last, Path(path))

    def _choose_gif(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save trajectory", "trajectory.gif", "*.gif")
        if path:
            try:
                self.save_gif(Path(path))
            except (OSError, ValueError) as exc:
                self.status.setText(f"Could not save the GIF: {exc}")
                return
            self.status.setText(f"Saved {Path(path).name}.")

    # --- samples -----------------------------------------------------------------
    def generate(self) -> None:
        if self.measure.busy:  # one job at a time on the run's sampler
            return
        self.parts_shown = 0
        super().generate()

    def show_partial(self, sample: api.Sample) -> None:
        self.parts_shown += 1
        step = int(sample.metrics.get("step", 0))
        self.progress.setText(f"denoising: step {step}")
        self.view.show_sample(sample)

    def show_sample(self, sample: api.Sample) -> None:
        self.last = sample
        self.view.show_sample(sample)
        self.gif_button.setEnabled(isinstance(sample, Trajectory))
        self.progress.setText(describe(sample.metrics))
