"""The window's own training: one run at a time on a training thread (through
``TrainingSession``), its updates drawn in the run view, and one message for its end."""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Slot

from studio.core.config import ConfigError
from studio.core.dataset_trust import UntrustedDataset
from studio.core.errors import DatasetError
from studio.core.health import TITLES, parse_alarm
from studio.core.listener import EngineEvent, EngineListener, EngineResult, TrainingUpdate
from studio.core.rundir import RunDir
from studio.core.workbench import Workbench, WorkbenchError
from studio.plugins import PluginManager
from studio.ui.training_bridge import TrainingSession
from studio.ui.window_host import WindowHost
from studio.ui.window_runs import RunView

MakeEngine = Callable[[EngineListener], Any]
Confirm = Callable[[str, str], bool]  # (run name, dataset path) -> read it?


class TrainingController(QObject):
    """Starts (from the workbench's requests), pauses, resumes and stops the window's
    run, and shows what it reports in ``view``.

    Its state: the ``session`` (the thread), the model and plugin of the run being
    trained (``model_id``, ``plugin``: a failure is reported against them, whatever
    the model box shows meanwhile), and the error the engine reported last."""

    def __init__(
        self,
        host: WindowHost,
        plugins: PluginManager,
        workbench: Workbench,
        view: RunView,
        parent: QObject | None = None,
    ) -> None:
        # With the window as parent, no update of a run still going reaches the
        # window's widgets once it is deleted (Qt drops signals to deleted receivers).
        super().__init__(parent)
        self.host, self.plugins, self.workbench, self.view = host, plugins, workbench, view
        self.session = TrainingSession(self)
        self.session.updates.connect(self._on_update)
        self.session.started.connect(self._on_started)
        self.session.finished.connect(self._on_finished)
        self.model_id: str | None = None
        self.plugin: str | None = None
        self.paused = False
        self._error: EngineEvent | None = None  # held until the run's end explains it
        self._last_status = 0.0

    def is_running(self) -> bool:
        return self.session.is_running()

    def train(self) -> bool:
        """Train a new run on what the workbench holds; False (and one message) if the
        request is refused: nothing else is ever trained instead."""
        try:
            request = self.workbench.train_request()
        except DatasetError as exc:
            self.host.notify("error", f"cannot train on the selected data: {exc}")
            return False
        except (WorkbenchError, ConfigError) as exc:
            self.host.notify("error", f"cannot train: {exc}")
            return False
        label = f"{request.run_path.name}: starting..."
        model_id = request.source.spec.id
        self.start(request.make_engine, label, request.settings.steps, model_id)
        return True

    def resume(self, run: RunDir, steps: int, confirm: Confirm) -> bool:
        """Continue ``run`` from its checkpoint (the workbench's resume rules decide to
        which step, or refuse, naming why). A dataset path named by a run made
        elsewhere is read only if ``confirm(run name, path)`` says so."""
        trust = self._trust(run, confirm)
        if trust is None:
            return False
        try:
            request = self.workbench.resume_request(run.path, steps, trust_dataset_path=trust)
        except WorkbenchError as exc:
            self.host.notify("error", f"cannot resume: {exc}")
            return False
        done, target, model = request.done, request.target, request.record.model
        self.start(request.make_engine, f"{run.name}: resuming...", target, model)
        # What the run logged past its checkpoint is redone by the resumed engine.
        self.view.plot.add_rows([r for r in run.read_metrics() if r.get("step", 0) <= done])
        self.view.gallery.load_run([(s, p) for s, p in run.sample_files() if s <= done])
        self.host.notify("info", f"resuming {run.name} ({model}) from step {done} to {target}")
        return True

    def _trust(self, run: RunDir, confirm: Confirm) -> bool | None:
        """Whether the run may read its dataset path (None: the user said no)."""
        try:
            self.plugins.resolve_run(run.record())
        except UntrustedDataset as exc:
            if exc.refused:
                return False  # a system location: the request says why it is refused
            return True if confirm(run.name, exc.path) else None
        except Exception:  # the request names what is wrong
            return False
        return False

    def start(self, make_engine: MakeEngine, label: str, total: int, model_id: str) -> None:
        """Train on the training thread: ``make_engine(listener)`` builds the engine
        there. ``label`` shows until the run folder is known."""
        self.workbench.set_training(True)
        self.model_id = model_id
        self.plugin = self.plugins.owner("model", model_id)
        self.paused, self._error = False, None
        self.view.begin(label, total)
        self.session.start(make_engine)
        self.host.update_actions()

    def set_paused(self, paused: bool) -> None:
        self.session.set_paused(paused)

    def stop(self) -> None:
        self.session.stop()

    @Slot(str)
    def _on_started(self, path: str) -> None:
        self.view.attach(path)
        self.host.run_shown()

    @Slot(object)
    def _on_update(self, update: TrainingUpdate) -> None:
        view, status = self.view, self.view.status
        if update.metrics:
            view.plot.add_rows(update.metrics)
        run = view.run
        for step, sample in update.samples:
            path = run.sample_stem(step).with_suffix(sample.suffix) if run else None
            view.gallery.add_sample(step, sample, path)
        for event in update.events:
            if event.level == "ERROR":
                # The run's end says what it means (a failure names plugin and model):
                # one message for one failure. An error the run survives is posted
                # when the next one comes, or at the end.
                self._post_held()
                self._error = event
            elif event.level == "WARNING":
                first, _, rest = event.message.partition("\n")
                self.host.notify("warning", first, rest)
                alarm = parse_alarm(first)  # a health alarm is also marked on the curve
                if alarm is not None:
                    view.plot.add_marker(alarm.step, TITLES[alarm.name], first)
        for change in update.states:
            if change.state in ("paused", "running"):
                self.paused = change.state == "paused"
                self.host.update_actions()
                if self.paused:  # no speed while nothing runs
                    status.rate.setText("paused")
                    view.plot.rate_label.setText("")
        now = time.perf_counter()
        # Data arrives ~15 times a second; text that a person reads changes 4 times.
        step, total = update.step, update.total
        if step is not None and total and (now - self._last_status > 0.25 or update.states):
            self._last_status = now
            status.show_step(step, total)
            if update.rate > 0 and not self.paused:
                status.show_rate(update.rate, step, total)
                view.plot.rate_label.setText(f"{update.rate:,.1f} steps/s")

    def _post_held(self) -> None:
        if self._error is not None:
            first, _, rest = self._error.message.partition("\n")
            self.host.notify("error", first, rest)
            self._error = None

    @Slot(object)
    def _on_finished(self, result: EngineResult) -> None:
        name = self.view.path.name if self.view.path is not None else self.model_id
        details = self._error.message.partition("\n")[2] if self._error else ""
        self._error = None
        if result.state in ("finished", "stopped"):
            self._post_held()
            self.host.notify("info", f"{name}: {result.message}")
        elif result.state == "failed":
            self._report_failure(name, result, details)
        else:  # nan: the data or the settings, not the plugin's code
            self.host.notify("error", f"{name}: {result.message}", details)
        self.paused = False
        self.workbench.set_training(False)
        self.view.status.rate.setText(result.state)
        self.view.plot.rate_label.setText("")
        self.host.update_actions()
        self.host.run_shown()
        self.host.training_ended()

    def _report_failure(self, name: str | None, result: EngineResult, details: str) -> None:
        """One message naming plugin and model when the plugin's code raised (recorded
        in the plugin manager too), else the run's own words."""
        plugin = self.plugin
        error = self.session.start_error
        if error is not None:  # the engine was not built: whose code raised?
            plugin = self.plugins.plugin_for_traceback(error.__traceback__)
            details = details or "".join(traceback.format_exception(error))
        record = self.plugins.records.get(plugin or "")
        if record is None:
            self.host.notify("error", f"{name}: {result.message}", details)
            return
        record.errors.append((f"{self.model_id}: {result.message}", details))
        self.host.notify(
            "error", f"plugin {plugin} failed while training {self.model_id}: {result.message}",
            details,
        )  # fmt: skip
