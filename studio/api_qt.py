"""Public Qt helpers for plugin sampling widgets. Only a plugin's widget module imports
this (lazily, from its ``widget_factory``), so the rest of a plugin stays Qt-free.

A sampling widget subclasses ``SamplingWidget`` and implements ``show_sample``; it asks
for samples with ``request_sample(seed=..., n=..., **options)``, which runs the model
off the GUI thread, from the current run's latest checkpoint::

    class MyWidget(SamplingWidget):
        def __init__(self, context):
            super().__init__(context)
            self.view = PointsView()
            self.body.addWidget(self.view)

        def show_sample(self, sample):
            self.view.show_sample(sample)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio.core.contributions import ModelSpec
from studio.core.samples import Sample
from studio.ui.sample_views import (
    GenericView,
    ImagesView,
    NumbersView,
    PointsView,
    SampleView,
    TextView,
    view_for,
)
from studio.ui.tasks import run_in_thread


@dataclass
class SamplingContext:
    """What the app hands a sampling widget: the model and a way to resolve runs."""

    model: ModelSpec
    resolve: Callable[[Any], Any]  # RunRecord -> (ModelSource, DatasetSpec)


class SamplingWidget(QWidget):
    """Base class for a model's sampling widget.

    It holds a seed box and a Generate button (``controls``), a status line and a
    ``body`` layout for the plugin's own views. The app calls ``set_run`` whenever
    the current run changes; ``request_sample`` samples from that run's latest
    checkpoint in a worker thread and calls ``show_sample`` on the GUI thread.
    """

    sampled = Signal(object)  # emitted with each sample shown (for tests and tools)

    def __init__(self, context: SamplingContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self._run_path: Path | None = None
        self._sampler = None
        self._busy = False
        outer = QVBoxLayout(self)
        self.controls = QHBoxLayout()
        self.seed = QSpinBox(minimum=0, maximum=2**31 - 1, value=0)
        self.seed.setToolTip("The same seed gives the same sample from the same checkpoint")
        self.generate_button = QPushButton("Generate")
        self.generate_button.clicked.connect(self.generate)
        self.controls.addWidget(QLabel("Seed"))
        self.controls.addWidget(self.seed)
        self.controls.addWidget(self.generate_button)
        self.controls.addStretch(1)
        outer.addLayout(self.controls)
        self.status = QLabel("Train a model or open a run to sample from it.")
        self.status.setWordWrap(True)
        outer.addWidget(self.status)
        self.body = QVBoxLayout()
        outer.addLayout(self.body, 1)
        self.generate_button.setEnabled(False)

    # --- called by the app -------------------------------------------------------
    def set_run(self, run_path: Path | None) -> None:
        """The run to sample from (``None``: none yet)."""
        if run_path == self._run_path:
            return
        self._run_path = Path(run_path) if run_path else None
        self._sampler = None
        self.generate_button.setEnabled(self._run_path is not None)
        self.status.setText(
            f"Sampling from run {self._run_path.name}."
            if self._run_path
            else "Train a model or open a run to sample from it."
        )

    # --- for subclasses --------------------------------------------------------
    def sample_options(self) -> dict[str, Any]:
        """Extra keyword options passed to the trainer's ``sample`` (override)."""
        return {}

    def generate(self) -> None:
        self.request_sample(seed=self.seed.value(), **self.sample_options())

    def request_sample(self, seed: int = 0, n: int | None = None, **options: Any) -> None:
        if self._run_path is None or self._busy:
            return
        from studio.core.session import RunSampler

        if self._sampler is None:
            self._sampler = RunSampler(self._run_path, self.context.resolve)
        sampler = self._sampler
        self._busy = True
        self.generate_button.setEnabled(False)
        self.status.setText("Sampling...")
        run_in_thread(
            lambda: (sampler.sample(seed=seed, n=n, **options), sampler.checkpoint_step),
            self._on_sampled,
            self._on_failed,
        )

    def _on_sampled(self, result: tuple[Sample, int | None]) -> None:
        sample, step = result
        self._busy = False
        self.generate_button.setEnabled(True)
        self.status.setText(f"Sample from the checkpoint at step {step}, seed {self.seed.value()}.")
        self.show_sample(sample)
        self.sampled.emit(sample)

    def _on_failed(self, message: str, details: str) -> None:
        self._busy = False
        self.generate_button.setEnabled(True)
        self.status.setText(f"Could not sample: {message}")

    def show_sample(self, sample: Sample) -> None:
        """Render a sample (override)."""
        raise NotImplementedError


__all__ = [
    "GenericView",
    "ImagesView",
    "NumbersView",
    "PointsView",
    "SampleView",
    "SamplingContext",
    "SamplingWidget",
    "TextView",
    "run_in_thread",
    "view_for",
]
