"""Public Qt helpers for plugin sampling widgets. Only a plugin's widget module imports
this (lazily, from its ``widget_factory``), so the rest of a plugin stays Qt-free.

A sampling widget subclasses ``SamplingWidget`` and implements ``show_sample``. The
base class holds the seed, Generate and Stop, the checkpoint picker (the latest, or
one the run saved earlier) and, for a model that declares
``ModelSpec.sample_options``, controls generated from that dataclass
(``options_form``; ``current_options()`` reads them). Generate samples from the
picked checkpoint of the current run off the GUI thread; a model that streams
(``Trainer.sample_stream``) shows each part with ``show_partial`` as it comes, and
Stop cancels it through a ``CancelToken``::

    class MyWidget(SamplingWidget):
        def __init__(self, context):
            super().__init__(context)
            self.view = PointsView()
            self.body.addWidget(self.view)

        def show_sample(self, sample):
            self.view.show_sample(sample)

The app gives the widget the run as a ``RunHandle`` (``self.run``): its config,
class names, checkpoints and preview samples; a widget never reads run folders.
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
from studio.core.run_handle import RunHandle
from studio.core.rundir import RunDirError
from studio.core.samples import Sample
from studio.core.sampling import CancelToken, options_to_dict
from studio.ui.checkpoint_picker import CheckpointPicker
from studio.ui.options_form import OptionsForm
from studio.ui.sample_views import (
    GenericView,
    ImagesView,
    NumbersView,
    PointsView,
    SampleView,
    TextView,
    view_for,
)
from studio.ui.stream_worker import GeneratorWorker, run_stream
from studio.ui.tasks import run_in_thread

NO_RUN = "Train a model or open a run to sample from it."


class _Current:
    """The token of the sample in progress, cancelled when the widget is destroyed (a
    plain object: it outlives the widget's Python wrapper)."""

    def __init__(self) -> None:
        self.token: CancelToken | None = None

    def cancel(self, *_: Any) -> None:
        if self.token is not None:
            self.token.cancel()


@dataclass
class SamplingContext:
    """What the app hands a sampling widget: the model and a way to resolve runs."""

    model: ModelSpec
    resolve: Callable[[Any], Any]  # RunRecord -> (ModelSource, DatasetSpec)


class SamplingWidget(QWidget):
    """Base class for a model's sampling widget.

    Layout: ``controls`` (seed, Generate, Stop), ``checkpoint`` (which checkpoint to
    sample from: the latest, or one saved earlier; picking one loads it off the GUI
    thread), ``options_form`` (the model's sampling options, if it declares them),
    ``status`` and ``body`` (the plugin's own views). The app calls ``set_run``
    whenever the current run changes.

    To override: ``show_sample`` (required), ``show_partial`` (a streamed part;
    default ``show_sample``), ``sample_failed`` (default: the status says why),
    ``generate`` (what Generate asks for). Fields named in ``multiline_options`` get
    a text box.
    """

    sampled = Signal(object)  # emitted with each final sample shown (for tests and tools)
    checkpoint_loaded = Signal(object)  # the step loaded after a pick (None: it failed)
    multiline_options: tuple[str, ...] = ()

    def __init__(self, context: SamplingContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self._handle: RunHandle | None = None
        self._sampler = None
        self._busy = False
        self._current = _Current()
        self._worker: GeneratorWorker | None = None
        self._last_seed = 0
        outer = QVBoxLayout(self)
        self.controls = QHBoxLayout()
        self.seed = QSpinBox(minimum=0, maximum=2**31 - 1, value=0)
        self.seed.setToolTip("The same seed gives the same sample from the same checkpoint")
        self.generate_button = QPushButton("Generate")
        self.generate_button.clicked.connect(self.generate)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop sampling; what was made so far stays shown")
        self.stop_button.clicked.connect(self.stop)
        self.controls.addWidget(QLabel("Seed"))
        self.controls.addWidget(self.seed)
        self.controls.addWidget(self.generate_button)
        self.controls.addWidget(self.stop_button)
        self.controls.addStretch(1)
        outer.addLayout(self.controls)
        self.checkpoint = CheckpointPicker()
        self.checkpoint.picked.connect(self.choose_checkpoint)
        self.checkpoint.setEnabled(False)
        outer.addWidget(self.checkpoint)
        options_class = context.model.sample_options
        self.options_form: OptionsForm | None = None
        if options_class is not None:
            self.options_form = OptionsForm(options_class, multiline=self.multiline_options)
            outer.addWidget(self.options_form)
        self.status = QLabel(NO_RUN)
        self.status.setWordWrap(True)
        outer.addWidget(self.status)
        self.body = QVBoxLayout()
        outer.addLayout(self.body, 1)
        self.generate_button.setEnabled(False)
        self.stop_button.setEnabled(False)
        self.destroyed.connect(self._current.cancel)

    # --- the run -------------------------------------------------------------------
    @property
    def run(self) -> RunHandle | None:
        """The run sampled from (``None``: none yet)."""
        return self._handle

    @property
    def _run_path(self) -> Path | None:
        # For widgets written before RunHandle (the 1.0 base class had this member).
        return self._handle.path if self._handle is not None else None

    @property
    def busy(self) -> bool:
        """Whether a sample is being made."""
        return self._busy

    def set_run(self, run: Path | str | RunHandle | None) -> None:
        """The run to sample from: a ``RunHandle``, a run folder, or ``None``."""
        path = run.path if isinstance(run, RunHandle) else (Path(run) if run else None)
        if path == (self._handle.path if self._handle else None) and not isinstance(run, RunHandle):
            return
        handle: RunHandle | None = None
        message = NO_RUN
        if isinstance(run, RunHandle):
            handle = run
        elif path is not None:
            try:
                handle = RunHandle.open(path, self.context.model)
            except RunDirError as exc:
                message = f"Cannot sample from {path.name}: {exc}"
        self._handle = handle
        self._sampler = None
        self.checkpoint.set_run(handle.path if handle is not None else None)
        self.checkpoint.setEnabled(handle is not None and not self._busy)
        self.generate_button.setEnabled(handle is not None and not self._busy)
        self.status.setText(f"Sampling from run {handle.name}." if handle else message)
        self.run_changed(handle)

    def run_changed(self, run: RunHandle | None) -> None:
        """Called after the run changed (override to refresh class pickers...)."""

    def sampler(self) -> Any:
        """The run's ``RunSampler`` (``None`` without a run), built on first use: what
        Generate samples with, for a widget's own background job (``run_stream`` of
        its ``stream``). Not while a sample is being made (``busy``): one job at a time.
        """
        if self._handle is None:
            return None
        if self._sampler is None:
            from studio.core.run_sampler import RunSampler

            self._sampler = RunSampler(self._handle.path, self.context.resolve)
        self._sampler.step = self.checkpoint.step  # the picker's (None: the latest)
        return self._sampler

    def choose_checkpoint(self, step: int | None) -> None:
        """Sample from the checkpoint at ``step`` (``None``: the latest) from now on;
        what the picker does. Its weights are loaded at once, off the GUI thread: the
        status then says which step is loaded (``checkpoint_loaded`` is emitted with
        it) or why it could not be."""
        if self._handle is None or self._busy:
            return
        self.checkpoint.choose(step)
        sampler = self.sampler()
        sampler.step = step  # even if gone meanwhile: then the status says so
        self._busy = True
        self.generate_button.setEnabled(False)
        self.checkpoint.setEnabled(False)
        which = "the latest checkpoint" if step is None else f"the checkpoint at step {step:,}"
        self.status.setText(f"Loading {which}...")

        def load() -> str:
            from studio.core.checkpoint import CheckpointError
            from studio.core.errors import DatasetError

            try:
                sampler.trainer()
            except (RunDirError, CheckpointError, DatasetError) as exc:
                return str(exc)  # one line: a step pruned meanwhile, a damaged file...
            return ""

        run_in_thread(
            load,
            lambda problem: self._checkpoint_done(sampler, problem),
            self._checkpoint_error,
            receiver=self,
        )

    def _checkpoint_done(self, sampler: Any, problem: str) -> None:
        self._finish()
        if sampler is not self._sampler:  # the run changed meanwhile: its status stays
            return
        if problem:
            self.status.setText(f"Could not load the checkpoint: {problem}")
            self.checkpoint_loaded.emit(None)
            return
        note = f" ({sampler.note})" if sampler.note else ""
        self.status.setText(
            f"Loaded the checkpoint at step {sampler.loaded_step:,}{note}: "
            "Generate samples from it."
        )
        self.checkpoint_loaded.emit(sampler.loaded_step)

    def _checkpoint_error(self, message: str, details: str) -> None:
        self._finish()
        self.status.setText(f"Could not load the checkpoint: {message}")
        self.checkpoint_loaded.emit(None)

    # --- options ---------------------------------------------------------------------
    def current_options(self) -> Any:
        """The options Generate uses: an instance of the model's ``sample_options``
        (from ``options_form``), or for a 1.0 model the dict ``sample_options()``."""
        if self.options_form is not None:
            return self.options_form.options()
        return self.sample_options()

    def sample_options(self) -> dict[str, Any]:
        """1.0 models: extra keyword options for the trainer's ``sample`` (override)."""
        return {}

    # --- sampling --------------------------------------------------------------------
    def generate(self) -> None:
        """What Generate does: a sample with the seed and the current options."""
        try:
            options = self.current_options()
        except ValueError as exc:  # ConfigError: a message naming the option
            self.sample_failed(str(exc))
            return
        if self.options_form is None:
            self.request_sample(seed=self.seed.value(), **options)
        else:
            self.request_sample(seed=self.seed.value(), options=options)

    def request_sample(
        self, seed: int = 0, n: int | None = None, options: Any = None, **legacy: Any
    ) -> None:
        """Sample from the picked checkpoint off the GUI thread: parts go to
        ``show_partial``, the final sample to ``show_sample``. ``options``: an instance
        of the model's options class or a dict; 1.0 keywords go in ``legacy``."""
        if self._handle is None or self._busy:
            return
        sampler = self.sampler()
        if legacy:  # the 1.0 way: options as keywords
            if options is not None and not isinstance(options, dict):
                options = options_to_dict(options)
            options = {**(options or {}), **legacy}
        self._busy = True
        self._last_seed = seed
        token = self._current.token = CancelToken()
        self.generate_button.setEnabled(False)
        self.checkpoint.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.status.setText("Sampling...")

        def parts(token: CancelToken):
            return sampler.stream(seed=seed, n=n, options=options, cancel=token)

        self._worker = run_stream(
            parts,
            on_part=self._deliver_part,
            on_done=self._deliver_done,
            on_error=self._deliver_error,
            on_cancelled=self._deliver_cancelled,
            token=token,
        )

    def stop(self) -> None:
        """Cancel the sample being made (Stop); the parts shown so far stay."""
        self._current.cancel()
        self.stop_button.setEnabled(False)

    def _finish(self) -> None:
        self._busy = False
        self._worker = None
        self.generate_button.setEnabled(self._handle is not None)
        self.stop_button.setEnabled(False)
        self.checkpoint.refresh()  # the checkpoints a live run saved meanwhile
        self.checkpoint.setEnabled(self._handle is not None)

    def _deliver_part(self, sample: Sample) -> None:
        try:
            self.show_partial(sample)
        except Exception as exc:
            self.stop()
            self._show_failure(f"could not show the sample: {type(exc).__name__}: {exc}")

    def _deliver_done(self, sample: Sample | None) -> None:
        self._finish()
        if sample is None:
            self.sample_failed("the model produced no sample")
            return
        step = self._sampler.loaded_step if self._sampler is not None else None
        self.status.setText(f"Sample from the checkpoint at step {step}, seed {self._last_seed}.")
        try:
            self.show_sample(sample)
        except Exception as exc:
            self._show_failure(f"could not show the sample: {type(exc).__name__}: {exc}")
            return
        self.sampled.emit(sample)

    def _deliver_error(self, message: str, details: str) -> None:
        self._finish()
        self._on_failed(message, details)

    def _deliver_cancelled(self) -> None:
        self._finish()
        self.sample_stopped()

    def _show_failure(self, message: str) -> None:
        self._on_failed(message, "")

    def _on_failed(self, message: str, details: str) -> None:
        # 1.0 widgets override this; 1.1 widgets override sample_failed.
        self.sample_failed(message)

    # --- for subclasses --------------------------------------------------------------
    def show_partial(self, sample: Sample) -> None:
        """Render a part of a sample being streamed (default: ``show_sample``)."""
        self.show_sample(sample)

    def show_sample(self, sample: Sample) -> None:
        """Render a sample (override)."""
        raise NotImplementedError

    def sample_failed(self, message: str) -> None:
        """Sampling (or showing its result) failed; default: the status says why."""
        self.status.setText(f"Could not sample: {message}")

    def sample_stopped(self) -> None:
        """Stop ended the sample; default: the status says so (what was shown stays)."""
        self.status.setText("Stopped; the sample shown is what was made before Stop.")


__all__ = [
    "GeneratorWorker",
    "GenericView",
    "ImagesView",
    "NumbersView",
    "OptionsForm",
    "PointsView",
    "RunHandle",
    "SampleView",
    "SamplingContext",
    "SamplingWidget",
    "TextView",
    "run_in_thread",
    "run_stream",
    "view_for",
]
