"""The steps-vs-time-vs-quality line of the diffusion and text-to-image Explore widgets.

*Measure* samples a number of images with the chosen sampler at the chosen number of
steps, then at a second number (10, or 50 when 10 or fewer are chosen), on this
machine and off the GUI thread, and shows for each the seconds per image and, on
digits, what the shared digit judge says of them (the share it recognises, the share
drawn as the digit asked for, the Frechet distance of its features to real digits,
those of the class asked for when a prompt asks for one digit)::

    DDIM 50 steps: 0.41 s/image, judge recognised 86%, Frechet 31
    — 10 steps: 0.09 s/image, 71%, 48 (64 images, seed 0, checkpoint at step 2500)

Before a measurement of the chosen sampler and steps the line says "not measured yet".
The clock starts after a warm-up sample (the checkpoint loaded, the judge trained) and
stops when the sampler's last image (with the model's own scores) is out; the judge's
extra scores are computed after it. Stop, a new run, or the widget closed cancel it.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSpinBox, QWidget

from studio import api
from studio.api_qt import SamplingWidget, run_stream

from .text_tokens import asked_digit

SAMPLER_NAMES = {"ddpm": "DDPM", "ddim": "DDIM", "dpm++2m": "DPM-Solver++ 2M"}
# Options that do not change what one image costs or how good it is.
NOT_MEASURED_KEYS = ("images", "stream_every", "output", "frames", "rank", "init_image", "strength")


@dataclass
class Measurement:
    """One step count timed: seconds per image and the judge's scores."""

    steps: int
    images: int
    seconds_per_image: float
    metrics: dict[str, float] = field(default_factory=dict)


def compare_steps(steps: int) -> int:
    """The second step count measured: 10, or 50 when 10 or fewer are chosen."""
    return 10 if steps > 10 else 50


def sampler_name(options: dict[str, Any]) -> str:
    """``DDIM``, ``DDIM (eta 0.5)``, ``DPM-Solver++ 2M``..., with the guidance if any."""
    name = SAMPLER_NAMES.get(options.get("sampler", ""), str(options.get("sampler")))
    if options.get("sampler") == "ddim" and options.get("eta"):
        name += f" (eta {options['eta']:g})"
    return name


def measure(
    sampler: Any,
    options: dict[str, Any],
    seed: int,
    images: int,
    cancel: api.CancelToken | None = None,
) -> Iterator[list[Measurement]]:
    """Time ``sampler`` (a ``RunSampler``) at ``options['steps']`` and at
    ``compare_steps`` of it, ``images`` images each; yields the measurements so far
    after each (the last yield holds both). ``SamplingCancelled`` once ``cancel`` is."""
    steps = int(options["steps"])
    base = {**options, "output": "images", "init_image": "", "rank": False}
    base = {k: v for k, v in base.items() if k in options}  # only this model's options

    def run(n: int, count: int) -> api.Sample:
        *_, final = sampler.stream(
            seed=seed, n=count, options={**base, "steps": n, "stream_every": n}, cancel=cancel
        )
        return final

    # Warm-up, not timed: loads the checkpoint, trains the judge once per process,
    # makes the first allocations.
    warm = run(1, 2)
    if _judged(warm.metrics):
        _judge(warm.images.shape[1])
    done: list[Measurement] = []
    for n in (steps, compare_steps(steps)):
        start = time.perf_counter()
        try:
            final = run(n, images)
        except api.ConfigError:
            if n == steps:
                raise
            break  # more steps than the model's T: only the chosen count
        seconds = (time.perf_counter() - start) / images
        done.append(Measurement(n, images, seconds, _scores(final, options.get("prompt", ""))))
        yield list(done)


def _judged(metrics: dict[str, float]) -> bool:
    return "recognised" in metrics or "digit_accuracy" in metrics


def _judge(size: int) -> Any:
    """The digit judge the models use for images of ``size`` x ``size`` (trained on
    first use, once per process)."""
    return api.judge.load_judge("digits", size=size)


@functools.lru_cache(maxsize=4)
def _class_judge(size: int, digit: int) -> Any:
    """The digit judge with the real digits of one class as its reference."""
    real, labels = api.judge.real_digits(size)
    return api.judge.Judge(_judge(size).model, real[labels == digit])


def _scores(sample: api.Sample, prompt: str = "") -> dict[str, float]:
    """The sample's own scores, and the judge's recognition and Frechet distance when
    the model judges digits but does not give them (text-to-image). A prompt asking
    for one digit is compared with the real digits of that class (``frechet_class``
    says which): all the images are meant to be that digit."""
    metrics = dict(sample.metrics)
    if _judged(metrics) and "frechet" not in metrics and len(sample.images) >= 2:
        x = api.judge.images_from_uint8(sample.images)
        digit = asked_digit(prompt) if prompt.strip() else None
        judge = _judge(x.shape[-1]) if digit is None else _class_judge(x.shape[-1], digit)
        scores = judge.score_images(api.judge.for_judge(x))
        metrics.setdefault("recognised", scores["recognised"])
        metrics["frechet"] = scores["frechet"]
        if digit is not None:
            metrics["frechet_class"] = float(digit)
    return metrics


# The scores the line shows: the metric, its words at the first step count, its format.
SHOWN = (
    ("asked_digit", "asked digit drawn ", "{:.0%}"),
    ("recognised", "judge recognised ", "{:.0%}"),
    ("frechet", "Frechet ", "{:.0f}"),
    ("clip_score", "CLIP ", "{:.0f}"),
)


def describe(name: str, done: list[Measurement], chosen: int, extra: str = "") -> str:
    """The line: the chosen step count in words, the other one in figures only."""
    if not done:
        return f"{name} {chosen} steps{extra}: measuring..."
    parts = []
    for m in done:
        words = not parts
        bits = [f"{m.seconds_per_image:.2g} s/image"]
        for key, label, form in SHOWN:
            if key in m.metrics:
                if key == "frechet" and "frechet_class" in m.metrics:
                    label = f"Frechet to real {m.metrics['frechet_class']:.0f}s "
                bits.append((label if words else "") + form.format(m.metrics[key]))
        head = f"{name} {m.steps} steps{extra}" if words else f"{m.steps} steps"
        parts.append(f"{head}: {', '.join(bits)}")
    return " — ".join(parts)


@dataclass
class _Job:
    """The measurement in progress: what it measures, and how to show it."""

    key: tuple
    name: str
    extra: str
    steps: int
    seed: int
    images: int
    sampler: Any  # the host's RunSampler
    token: api.CancelToken


class _Current:
    """The measurement's token, cancelled when the widget is destroyed (a plain object:
    it outlives the widget's Python wrapper)."""

    def __init__(self) -> None:
        self.token: api.CancelToken | None = None

    def cancel(self, *_: Any) -> None:
        if self.token is not None:
            self.token.cancel()


class MeasureBar(QWidget):
    """*Measure*, the image count, and the line; placed in a ``SamplingWidget``'s body.

    The host's Generate waits while it measures (and it waits while Generate runs);
    the host's Stop cancels it. ``extra()``: what else the line names after the steps
    (text-to-image: the guidance)."""

    def __init__(self, host: SamplingWidget, extra: Callable[[], str] = lambda: "") -> None:
        super().__init__()
        self.host = host
        self.extra = extra
        self.button = QPushButton("Measure")
        self.button.setToolTip(
            "Time the chosen sampler here at its steps and at 10 (or 50) steps, "
            "with the digit judge's scores of the images"
        )
        self.button.clicked.connect(self.start)
        self.count = QSpinBox(minimum=2, maximum=1024, value=64)
        self.count.setToolTip("Images sampled at each step count (the Frechet distance needs many)")
        self.line = QLabel()
        self.line.setWordWrap(True)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.button)
        row.addWidget(QLabel("on"))
        row.addWidget(self.count)
        row.addWidget(QLabel("images:"))
        row.addWidget(self.line, 1)
        self.worker = None  # the GeneratorWorker of the measurement in progress
        self.results: dict[tuple, str] = {}  # measured lines, by what they measured
        self._current = _Current()
        self._job: _Job | None = None
        host.destroyed.connect(self._current.cancel)
        host.stop_button.clicked.connect(self.cancel)
        host.seed.valueChanged.connect(self.refresh)
        host.checkpoint_loaded.connect(self.refresh)
        if host.options_form is not None:
            host.options_form.changed.connect(self.refresh)
        self.refresh()

    @property
    def busy(self) -> bool:
        """Whether a measurement is running."""
        return self.worker is not None

    def options(self) -> dict[str, Any]:
        """The host's current options as a dict (``ValueError`` when one is invalid)."""
        return dataclasses.asdict(self.host.current_options())

    def key(self, options: dict[str, Any]) -> tuple:
        """What a measurement depends on: the options but the image count and the
        display ones, the seed and the checkpoint picked."""
        kept = {k: v for k, v in options.items() if k not in NOT_MEASURED_KEYS}
        picked = ("checkpoint", self.host.checkpoint.step)  # None: the latest
        return (*sorted(kept.items()), ("seed", self.host.seed.value()), picked)

    def refresh(self) -> None:
        """Show the measured line of the chosen sampler and steps, or say there is none."""
        if self.busy:
            return
        try:
            options = self.options()
        except ValueError:
            return
        measured = self.results.get(self.key(options))
        name = sampler_name(options)
        self.line.setText(
            measured or f"{name} {options['steps']} steps{self.extra()}: not measured yet."
        )

    def start(self) -> None:
        """Measure the chosen sampler off the GUI thread (Measure)."""
        if self.busy:
            return
        if self.host.busy:
            self.line.setText("Sampling: measure when the sample is done.")
            return
        try:
            options = self.options()
        except ValueError as exc:
            self.line.setText(f"Cannot measure: {exc}")
            return
        sampler = self.host.sampler()
        if sampler is None:
            self.line.setText("Cannot measure: no run to sample from.")
            return
        steps = int(options["steps"])
        seed, images = self.host.seed.value(), self.count.value()
        token = self._current.token = api.CancelToken()
        name, extra = sampler_name(options), self.extra()
        self._job = _Job(self.key(options), name, extra, steps, seed, images, sampler, token)
        self.button.setEnabled(False)
        self.host.generate_button.setEnabled(False)
        self.host.stop_button.setEnabled(True)
        self.line.setText(describe(self._job.name, [], steps, self._job.extra))
        # Bound methods: Qt drops the connections when this widget is destroyed.
        self.worker = run_stream(
            lambda t: measure(sampler, options, seed, images, t),
            on_part=self._show,
            on_done=self._finished,
            on_error=self._failed,
            on_cancelled=self._stopped,
            token=token,
        )

    def _show(self, done: list[Measurement]) -> None:
        job = self._job
        step = job.sampler.loaded_step
        at = f", checkpoint at step {step}" if step is not None else ""
        tail = f" ({job.images} images, seed {job.seed}{at})"
        self.line.setText(describe(job.name, done, job.steps, job.extra) + tail)

    def _finished(self, done: list[Measurement] | None) -> None:
        self._end()
        if done and not self._job.token.cancelled:  # not when the run changed meanwhile
            self._show(done)
            self.results[self._job.key] = self.line.text()

    def _failed(self, message: str, _details: str) -> None:
        self._end()
        self.line.setText(f"Could not measure: {message}")

    def _stopped(self) -> None:
        job = self._job
        self._end()
        head = f"{job.name} {job.steps} steps{job.extra}"
        self.line.setText(f"{head}: measuring stopped, not measured.")

    def cancel(self) -> None:
        """Stop the measurement in progress (Stop, the widget closed, a new run)."""
        self._current.cancel()

    def run_changed(self) -> None:
        """A new run: what was measured was another model's."""
        self.cancel()
        self.results.clear()
        self.refresh()

    def _end(self) -> None:
        self.worker = None
        self.button.setEnabled(True)
        self.host.generate_button.setEnabled(self.host.run is not None and not self.host.busy)
        self.host.stop_button.setEnabled(self.host.busy)
