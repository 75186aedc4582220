"""What a newcomer needs: the Training tab says what to press and what will happen
(with the time this computer measured, when it has), the form opens on the preset
that fits the device (the quick CPU preset when there is no GPU), and a run that
would take over an hour on the CPU is questioned first, offering the quick preset."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMessageBox

from studio.core.contributions import ModelSpec
from studio.core.timefmt import format_eta
from studio.ui.estimate import LONG_RUN_S, describe, past_rate

if TYPE_CHECKING:
    from studio.ui.main_window import MainWindow

GPU_KEY = "devices/gpu"  # what the last device probe found (remembered)
QUICK = "quick"  # the presets whose name says they are short


def quick_preset(spec: ModelSpec) -> str | None:
    """The model's quick preset ("quick CPU"), if it has one."""
    return next((name for name in spec.presets if QUICK in name.lower()), None)


class Newcomer:
    """Keeps the Training tab's empty state current and chooses presets by device."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        # True: a GPU was found, False: none, None: not probed yet on this machine.
        known = window.settings.value(GPU_KEY)
        self.has_gpu: bool | None = None if known is None else str(known) == "true"
        self._rates: dict[tuple[str, str], float | None] = {}
        self.ask: Callable[[str, str | None], str] = self._ask  # tests answer for the user
        window.form.choose_preset = self.preset_for
        window.form.changed.connect(self.refresh)
        window.workbench.subscribe(lambda _event: self.refresh())
        self.refresh()

    # --- presets by device ------------------------------------------------------------
    def preset_for(self, spec: ModelSpec) -> str | None:
        """The quick preset on a machine known to have no GPU; else the first."""
        return quick_preset(spec) if self.has_gpu is False else None

    def devices_found(self, devices: list[str]) -> None:
        """The probe answered: remember whether there is a GPU; with none, a form the
        user has not touched moves to the quick preset."""
        self.has_gpu = any(d.startswith(("cuda", "mps", "xpu")) for d in devices)
        self.window.settings.setValue(GPU_KEY, "true" if self.has_gpu else "false")
        form, w = self.window.form, self.window
        spec = form.spec
        if self.has_gpu or spec is None or w.training.is_running() or w.current_run:
            return
        quick = quick_preset(spec)
        first = next(iter(spec.presets), None)
        if quick and form.preset.currentText() == first and quick != first:
            form.preset.setCurrentText(quick)
            w.notify("info", f"no GPU found: {spec.name} uses its '{quick}' preset")

    def on_cpu(self) -> bool:
        device = self.window.form.device.currentText()
        return device == "cpu" or (device == "auto" and self.has_gpu is not True)

    # --- the Training tab's empty state ----------------------------------------------------
    def refresh(self) -> None:
        w = self.window
        spec = w.form.spec
        if spec is None:
            w.loss_plot.set_empty_text("Install or enable a model plugin (Run > Plugins).")
            return
        steps = w.form.steps.value()
        data = w.plugins.datasets.get(w.form.dataset_id)
        on = escape(data.name if data is not None else w.form.dataset_id or "its data")
        rate = self.rate(spec)
        w.loss_plot.set_empty_text(
            f"<p style='font-size:large'><b>Press Train (F5)</b> to train the "
            f"{escape(spec.name)} on {on}: {steps:,} steps, {describe(steps, rate)}.</p>"
            "<p>The losses are drawn here as it learns; samples at a fixed seed appear "
            "in the Samples tab, and Explore samples from the run.</p>"
            "<p>Or double-click a run in the Runs list to see its curves; "
            "drop your own data anywhere on the window.</p>"
        )

    def rate(self, spec: ModelSpec) -> float | None:
        """The speed measured here for the model at the form's batch size (cached:
        the form asks at every edit; a run's end forgets it)."""
        key = (spec.id, str(self.window.form.raw_config().get("batch_size")))
        if key not in self._rates:
            batch = self.window.form.raw_config().get("batch_size")
            self._rates[key] = past_rate(self.window.workspace, spec.id, batch)
        return self._rates[key]

    def forget_rates(self) -> None:
        self._rates.clear()
        self.refresh()

    # --- the question before a long CPU run ----------------------------------------------
    def long_run_ok(self) -> bool:
        """False when the user would rather not start a run estimated at over an hour
        on the CPU; "quick" switches the form to the quick preset and goes on."""
        w = self.window
        spec = w.form.spec
        if spec is None or not self.on_cpu():
            return True
        rate = self.rate(spec)
        steps = w.form.steps.value()
        if rate is None or steps / rate <= LONG_RUN_S:
            return True
        quick = quick_preset(spec)
        text = (
            f"{steps:,} steps of {spec.name} take about {format_eta(steps / rate)} on this "
            "computer's CPU (measured by an earlier run)."
        )
        answer = self.ask(text, quick if quick != w.form.preset.currentText() else None)
        if answer == "quick" and quick:
            w.form.preset.setCurrentText(quick)
            w.bench_view.push_form()
            return True
        return answer == "train"

    def _ask(self, text: str, quick: str | None) -> str:
        box = QMessageBox(self.window)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("A long run on the CPU")
        box.setText(text)
        buttons = {}
        if quick:
            buttons[box.addButton(f"Use '{quick}'", QMessageBox.ButtonRole.AcceptRole)] = "quick"
        buttons[box.addButton("Train anyway", QMessageBox.ButtonRole.DestructiveRole)] = "train"
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return buttons.get(box.clickedButton(), "cancel")
