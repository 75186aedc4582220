"""The sample gallery: the fixed-seed previews of a run over training steps, with a
step slider, 'follow latest', export of the shown sample as PNG and, for images, of
the progress over training as an animated GIF.

Sample files are read and rendered through the plugin manager's registry of sample
kinds and views; a sample whose kind's plugin is disabled or missing is shown by a
generic view naming that plugin."""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QStackedLayout,
    QVBoxLayout,
    QWidget,
)

from studio.core.rundir import RunDir, RunDirError
from studio.core.samples import (
    Images,
    Sample,
    SampleFormatError,
    UnknownSampleKind,
    load_sample,
    progress_gif,
)
from studio.ui.sample_views import GenericView, SampleView, ViewRegistry, view_for
from studio.ui.tasks import run_in_thread

CACHE = 16  # samples kept decoded in memory; the rest are read back from disk


def kinds_of(registry: ViewRegistry | None):
    """The sample kinds to read files with: the registry's, or (no registry) all."""
    return getattr(registry, "sample_kinds", None) if registry is not None else None


def run_plugin(sample_path: Path | None) -> str | None:
    """The plugin of the run a sample file belongs to (``<run>/samples/step_*``)."""
    if sample_path is None:
        return None
    try:
        return RunDir(Path(sample_path).parent.parent).record().plugin
    except (RunDirError, OSError, TypeError, ValueError):
        return None


class SampleGallery(QWidget):
    """``registry``: the plugin manager (its ``sample_kinds`` and ``sample_views``);
    ``None`` reads and shows the built-in kinds only."""

    message = Signal(str, str, str)  # level, text, details (an export's result)

    def __init__(self, parent: QWidget | None = None, registry: ViewRegistry | None = None) -> None:
        super().__init__(parent)
        self.registry = registry
        self.entries: list[tuple[int, Path | None]] = []
        self._cache: OrderedDict[int, Sample] = OrderedDict()
        self.view: SampleView | None = None
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.step_label = QLabel("No samples yet")
        bar.addWidget(self.step_label)
        self.slider = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=0)
        self.slider.valueChanged.connect(self._show_index)
        bar.addWidget(self.slider, 1)
        self.follow = QCheckBox("Follow latest", checked=True)
        bar.addWidget(self.follow)
        self.export_button = QPushButton("Export PNG...")
        self.export_button.clicked.connect(self._export)
        self.export_button.setEnabled(False)
        bar.addWidget(self.export_button)
        self.gif_button = QPushButton("Export GIF...")
        self.gif_button.setToolTip("The image samples over training as an animated GIF")
        self.gif_button.clicked.connect(self._export_gif)
        self.gif_button.setEnabled(False)
        bar.addWidget(self.gif_button)
        layout.addLayout(bar)
        self.stack = QStackedLayout()
        self.placeholder = QLabel(
            "Samples drawn at a fixed seed appear here as the model trains.",
            alignment=Qt.AlignmentFlag.AlignCenter,
        )
        self.stack.addWidget(self.placeholder)
        layout.addLayout(self.stack, 1)

    def plugins_changed(self) -> None:
        """Plugins were enabled or disabled: read and render the shown step again."""
        self._cache.clear()
        self._drop_view()
        if self.entries:
            self._show_index(self.slider.value())

    def _drop_view(self) -> None:
        if self.view is not None:
            self.stack.removeWidget(self.view)
            self.view.deleteLater()
            self.view = None

    def clear(self) -> None:
        self.entries.clear()
        self._cache.clear()
        self._drop_view()
        self.stack.setCurrentWidget(self.placeholder)
        self.slider.setMaximum(0)
        self.step_label.setText("No samples yet")
        self.export_button.setEnabled(False)
        self.gif_button.setEnabled(False)

    def load_run(self, files: list[tuple[int, Path]]) -> None:
        """Show the samples of a finished or running run from its files."""
        self.clear()
        self.entries = [(step, path) for step, path in files]
        self._refresh(follow=True)

    def add_sample(self, step: int, sample: Sample, path: Path | None = None) -> None:
        """A new preview from a live run."""
        self.entries = [e for e in self.entries if e[0] != step]
        self.entries.append((step, path))
        self.entries.sort(key=lambda e: e[0])
        self._remember(step, sample)
        self._refresh(follow=self.follow.isChecked())

    def add_file(self, step: int, path: Path) -> None:
        """A new preview file of a run written elsewhere: read through the registry
        (a kind no enabled plugin provides is listed and shown by the generic view)."""
        try:
            sample = load_sample(path, kinds_of(self.registry))
        except UnknownSampleKind:
            self.entries = sorted([e for e in self.entries if e[0] != step] + [(step, path)])
            self._refresh(follow=self.follow.isChecked())
            return
        except SampleFormatError:
            return  # half-written or damaged: the next poll reads it again if it changes
        self.add_sample(step, sample, path)

    def _remember(self, step: int, sample: Sample) -> None:
        self._cache[step] = sample
        self._cache.move_to_end(step)
        while len(self._cache) > CACHE:
            self._cache.popitem(last=False)

    def _refresh(self, follow: bool) -> None:
        n = len(self.entries)
        self.slider.blockSignals(True)
        self.slider.setMaximum(max(0, n - 1))
        self.slider.blockSignals(False)
        if n and (follow or self.view is None):
            self.slider.setValue(n - 1)
            self._show_index(n - 1)

    def _sample_at(self, index: int) -> Sample | UnknownSampleKind | None:
        """The sample at ``index``, or the error saying its kind is unavailable."""
        step, path = self.entries[index]
        if step in self._cache:
            return self._cache[step]
        if path is None:
            return None
        try:
            sample = load_sample(path, kinds_of(self.registry))
        except UnknownSampleKind as exc:
            return exc
        except SampleFormatError as exc:
            self.step_label.setText(str(exc))
            return None
        self._remember(step, sample)
        return sample

    def _set_view(self, kind: str, path: Path | None) -> SampleView:
        key = (kind, self.registry.sample_views.get(kind) if self.registry else None)
        if self.view is None or getattr(self.view, "_kind", None) != key:
            self._drop_view()
            hint = run_plugin(path) if key[1] is None else None  # read only when needed
            self.view = view_for(kind, self.registry, hint)
            self.view._kind = key
            self.stack.addWidget(self.view)
        self.stack.setCurrentWidget(self.view)
        return self.view

    def _show_index(self, index: int) -> None:
        if not 0 <= index < len(self.entries):
            return
        sample = self._sample_at(index)
        if sample is None:
            return
        step, path = self.entries[index]
        if isinstance(sample, UnknownSampleKind):
            view = self._set_view(sample.kind or "?", path)
            if self.registry is not None and isinstance(view, GenericView):
                view.set_message(
                    self.registry.missing_kind_message(sample.kind, run_plugin(path)),
                    sample.metrics,
                )
            self.gif_button.setEnabled(False)
        else:
            view = self._set_view(sample.kind, path)
            view.show_sample(sample)
            self.gif_button.setEnabled(isinstance(sample, Images) and len(self.entries) > 1)
        self.step_label.setText(f"Step {step:,}  ({index + 1}/{len(self.entries)})")
        self.export_button.setEnabled(True)

    def current_step(self) -> int | None:
        if not self.entries:
            return None
        return self.entries[self.slider.value()][0]

    def _export(self) -> None:
        if self.view is None:
            return
        step = self.current_step()
        path, _ = QFileDialog.getSaveFileName(
            self, "Export sample", f"sample_step_{step}.png", "PNG images (*.png)"
        )
        if path:
            self.view.grab().save(path)

    def export_gif(self, path: Path, on_done=None) -> None:
        """Write the image samples over training to ``path``, off the GUI thread."""
        sources = [(step, self._cache.get(step) or file) for step, file in self.entries]
        kinds = kinds_of(self.registry)

        def build() -> Path:
            frames = []
            for step, source in sources:
                if source is None:
                    continue
                sample = source if isinstance(source, Sample) else load_sample(source, kinds)
                if isinstance(sample, Images):
                    frames.append((step, sample))
            return progress_gif(frames, path)

        self.gif_button.setEnabled(False)

        def done(result: Path) -> None:
            self.gif_button.setEnabled(True)
            # A message, not the step label: that says which step is shown.
            self.message.emit("info", f"saved {result}", "")
            if on_done is not None:
                on_done(result)

        def failed(message: str, details: str) -> None:
            self.gif_button.setEnabled(True)
            self.message.emit("error", f"could not write the GIF: {message}", details)

        run_in_thread(build, done, failed)

    def _export_gif(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self, "Export progress", "progress.gif", "GIF animations (*.gif)"
        )
        if name:
            self.export_gif(Path(name))
