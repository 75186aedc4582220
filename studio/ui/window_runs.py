"""The run on screen: its curves, samples and status, whether this window trains it,
it has finished, or another process (the CLI, torchrun) is writing it, in which case
it is followed by polling its folder."""

from __future__ import annotations

from pathlib import Path

from studio.core.health import TITLES, health_alarms
from studio.core.rundir import RunDir, RunDirError, RunRecord
from studio.ui.loss_plot import LossPlot
from studio.ui.sample_gallery import SampleGallery
from studio.ui.window_status import RunStatus

LIVE = ("running", "paused")


class RunView:
    """Shows one run (``path``) in the loss plot, the gallery and the status bar, and
    follows it while another process writes it. Its state is its own: the run, how far
    its metrics were read, which samples are shown."""

    def __init__(self, plot: LossPlot, gallery: SampleGallery, status: RunStatus) -> None:
        self.plot, self.gallery, self.status = plot, gallery, status
        self.path: Path | None = None
        self._offset = 0  # bytes of metrics.jsonl read so far
        self._samples: set[int] = set()

    @property
    def run(self) -> RunDir | None:
        return RunDir(self.path) if self.path is not None else None

    def record(self) -> RunRecord | None:
        """The run's config.json, or None (no run, or unreadable)."""
        try:
            return self.run.record() if self.path is not None else None
        except RunDirError:
            return None

    def model_id(self) -> str | None:
        record = self.record()
        return record.model if record is not None else None

    def is_live_elsewhere(self) -> bool:
        """Another process trains the run (its status says so, and its process lives or
        holds the run's lock)."""
        return self.path is not None and self.run.live_state() in LIVE

    def open(self, path: str | Path) -> RunRecord:
        """Show a run's curves and samples (finished, or live in another process).
        Raises ``RunDirError`` if it is not a readable run."""
        run = RunDir(path)
        record = run.record()
        self.path = run.path
        self.plot.clear()
        status = run.status()
        total = int(status.get("total", record.steps))
        self.plot.set_total(total)
        rows, self._offset = run.read_metrics_from(0)
        self.plot.add_rows(rows)
        for alarm in health_alarms(run):  # the health monitor's alarms, where they happened
            self.plot.add_marker(alarm.step, TITLES[alarm.name], alarm.message())
        files = run.sample_files()
        self._samples = {s for s, _ in files}
        self.gallery.load_run(files)
        state = run.live_state()
        if state in LIVE:
            state = f"{state} (in another process)"
        self.status.show_run(run.name, int(status.get("step", 0)), total, state)
        return record

    def begin(self, label: str, total: int) -> None:
        """A run this window is about to train: empty views, its target on the axis."""
        self.plot.clear()
        self.plot.set_total(total)
        self.gallery.clear()
        self.status.show_run(label, 0, total)

    def attach(self, path: str | Path) -> None:
        """The run this window's engine writes (known once the engine is built)."""
        self.path = Path(path)
        self.status.label.setText(self.path.name)

    def close(self, text: str = "No run") -> None:
        """Show no run (``text`` says why)."""
        self.path = None
        self._offset, self._samples = 0, set()
        self.plot.clear()
        self.gallery.clear()
        self.status.clear(text)

    def follow(self) -> None:
        """Poll a run that another process is writing: new metric rows and samples."""
        if not self.is_live_elsewhere():
            return
        run = self.run
        status = run.status()
        rows, self._offset = run.read_metrics_from(self._offset)
        self.plot.add_rows(rows)
        for step, path in run.sample_files():
            if step not in self._samples:
                self._samples.add(step)
                self.gallery.add_file(step, path)  # read through the plugins' kinds
        self.status.show_step(int(status.get("step", 0)), int(status.get("total", 1)))
        self.status.rate.setText(f"{status.get('state')} (in another process)")
