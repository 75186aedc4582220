"""The main window's run side: opening a run (finished, or live in another process)
and following one that the CLI or torchrun is writing. A mixin of ``MainWindow``."""

from __future__ import annotations

from PySide6.QtCore import Slot

from studio.core.rundir import RunDir, RunDirError


class RunsMixin:
    # --- runs ---------------------------------------------------------------------
    @Slot(str)
    def open_run(self, path: str) -> None:
        """Show a run's curves and samples (finished, or live in another process)."""
        if self.session.is_running():
            self.notify("warning", "stop the current training before opening another run")
            return
        run = RunDir(path)
        try:
            record = run.record()
        except RunDirError as exc:
            self.notify("error", str(exc))
            return
        if record.model not in self.plugins.models:
            self.notify(
                "error",
                f"{run.name} was trained with model {record.model}, "
                "which no installed plugin provides",
            )
            return
        self.current_run = run.path
        index = self.model_combo.findData(record.model)
        self.model_combo.blockSignals(True)
        self.model_combo.setCurrentIndex(index)
        self.model_combo.blockSignals(False)
        spec = self.plugins.models[record.model]
        self.form.set_model(spec, record.dataset.get("id", ""), record.dataset.get("reader"))
        self.form.show_run(record)
        self.datasets.show_current(record.dataset)
        self.loss_plot.clear()
        status = run.status()
        self.loss_plot.set_total(int(status.get("total", record.steps)))
        rows, self._follow_offset = run.read_metrics_from(0)
        self.loss_plot.add_rows(rows)
        files = run.sample_files()
        self._follow_samples = {s for s, _ in files}
        self.gallery.load_run(files)
        total = int(status.get("total", record.steps))
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(int(status.get("step", 0)))
        self.run_label.setText(run.name)
        self.rate_label.setText(run.live_state())
        self._show_widget_for(record.model)
        self._set_running(False)

    def _follow_run(self) -> None:
        """Poll a run that another process (the CLI, torchrun) is writing."""
        if self.session.is_running() or self.current_run is None:
            return
        run = RunDir(self.current_run)
        status = run.status()
        if run.live_state() not in ("running", "paused"):
            return
        rows, self._follow_offset = run.read_metrics_from(self._follow_offset)
        self.loss_plot.add_rows(rows)
        for step, path in run.sample_files():
            if step not in self._follow_samples:
                self._follow_samples.add(step)
                try:
                    from studio.core.samples import load_sample

                    self.gallery.add_sample(step, load_sample(path), path)
                except ValueError:
                    continue
        self.progress.setValue(int(status.get("step", 0)))
        self.rate_label.setText(f"{status.get('state')} (in another process)")
