"""Installing and uninstalling plugins for the plugin manager dialog: pip in a
QProcess (streamed to the dialog's output pane, cancellable), the dry run and its
confirmation, the contract probe and rollback, single ``.py`` files copied into the
user plugin folder. A collaborator of :class:`studio.ui.plugin_dialog.PluginDialog`,
which it reports to (``log``, ``show_result``, ``after_load``...)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QProcess

from studio import plugin_install as pi

if TYPE_CHECKING:
    from studio.ui.plugin_dialog import PluginDialog


class PluginInstaller(QObject):
    """One pip command at a time on behalf of ``dialog``."""

    def __init__(self, dialog: PluginDialog) -> None:
        super().__init__(dialog)
        self.dialog = dialog
        self.process: QProcess | None = None
        self._stdout = ""
        self._cancelled = False

    @property
    def busy(self) -> bool:
        return self.process is not None

    def install(self, text: str) -> None:
        """Install a wheel, sdist, project folder, requirement or single .py file."""
        if self.process is not None:
            self.dialog.show_result("Another pip command is running; wait for it or cancel it.")
            return
        try:
            target = pi.classify(text)
        except ValueError as exc:
            self.dialog.show_result(f"Cannot install: {exc}")
            return
        self.dialog.output.clear()
        if target.kind == "file":
            self._install_file(Path(target.value))
            return
        self.dialog.log(f"Checking what installing {target.describe()} would do...")
        self.dialog.show_result(f"Checking {target.describe()}...")
        args = pi.pip(self.dialog.python, *pi.install_args(target, True, self.dialog.pip_options))
        self._start(args, lambda code: self._planned(target, code), stream_stdout=False)

    def _install_file(self, path: Path) -> None:
        try:
            dest = pi.copy_file_plugin(path, self.dialog.plugin_dir)
        except (OSError, ValueError) as exc:
            self.dialog.show_result(f"Not installed: {exc}")
            return
        name = f"file:{dest.stem}"
        if name in self.dialog.manager.records:  # an older copy is already imported
            self.dialog.show_result(f"Copied {path.name} to {dest.parent}.")
            self.dialog.needs_restart(f"{name} was replaced; the old code runs until a restart.")
            return
        self.dialog.manager.load_file_plugins(self.dialog.plugin_dir)
        self.dialog.after_load([name], f"Installed {path.name} into {dest.parent}")

    def _planned(self, target: pi.Target, code: int) -> None:
        if code != 0:
            self._finish(f"pip could not resolve {target.describe()} (exit code {code}).")
            return
        try:
            plan = pi.parse_report(self._stdout)
        except ValueError as exc:
            self._finish(str(exc))
            return
        self.dialog.log(plan.summary())
        if plan.refusals:
            self._finish("Refused: " + "; ".join(plan.refusals))
            return
        if not plan.packages:
            self._finish(f"Nothing to install: {target.describe()} is already installed.")
            return
        if not self.dialog.confirm_plan(plan):
            self._finish("Not installed (cancelled).")
            return
        self.dialog.log(f"\nInstalling {target.describe()}...")
        self.dialog.show_result(f"Installing {target.describe()}...")
        args = pi.pip(self.dialog.python, *pi.install_args(target, False, self.dialog.pip_options))
        self._start(args, lambda code: self._installed(target, plan, code))

    def _installed(self, target: pi.Target, plan: pi.InstallPlan, code: int) -> None:
        if code != 0:
            self._finish(f"pip failed to install {target.describe()} (exit code {code}).")
            return
        dists = [p.name for p in plan.packages if p.requested] or [p.name for p in plan.packages]
        self.dialog.log("\nChecking the new plugins' contract versions in a child process...")
        self._start(
            pi.probe_command(self.dialog.python, dists),
            lambda code: self._probed(target, plan, dists, code),
            stream_stdout=False,
        )

    def _probed(self, target: pi.Target, plan: pi.InstallPlan, dists: list[str], code: int) -> None:
        refusals = []
        if code == 0:
            try:
                refusals = pi.probe_refusals(self._stdout)
            except ValueError:
                self.dialog.log("(the probe printed no report; the app will check while loading)")
        if refusals:
            self.dialog.log("\nRolling back: " + "; ".join(refusals))
            args = pi.pip(self.dialog.python, *pi.uninstall_args(dists))
            self._start(args, lambda _code: self._finish("Refused: " + "; ".join(refusals)))
            return
        upgraded = [
            rec.name
            for p in plan.packages
            for rec in self.dialog.manager.records.values()
            if rec.dist and pi.canonical(rec.dist) == pi.canonical(p.name) and p.current
        ]
        new = self.dialog.manager.discover()
        self._process_done()
        installed = ", ".join(f"{p.name} {p.version}" for p in plan.packages)
        self.dialog.after_load(new, f"Installed {installed}")
        if upgraded:
            self.dialog.needs_restart(
                f"{', '.join(upgraded)} changed version; the old code runs until a restart."
            )
        elif plan.protected_changes:
            self.dialog.needs_restart("packages GenAI Studio runs on changed version.")

    def uninstall_selected(self) -> None:
        rec = self.dialog.selected()
        if rec is None or rec.builtin or self.process is not None:
            return
        busy = self.dialog.in_use(rec.name)
        if busy:
            self.dialog.show_result(
                f"{rec.name} is training {busy}: stop the run before uninstalling."
            )
            return
        if rec.path:
            if not self.dialog.confirm_uninstall(f"the single-file plugin {rec.path}"):
                return
            try:
                Path(rec.path).unlink()
            except OSError as exc:
                self.dialog.show_result(f"Could not delete {rec.path}: {exc}")
                return
            self.dialog.manager.forget([rec.name])
            self.dialog.after_load([], f"Removed {rec.name}")
            return
        names = [r.name for r in self.dialog.manager.records.values() if r.dist == rec.dist]
        if not self.dialog.confirm_uninstall(f"{rec.dist} (plugins: {', '.join(names)})"):
            return
        self.dialog.output.clear()
        self.dialog.log(f"Uninstalling {rec.dist}...")
        args = pi.pip(self.dialog.python, *pi.uninstall_args([rec.dist]))
        self._start(args, lambda code: self._uninstalled(rec.dist, names, code))

    def _uninstalled(self, dist: str, names: list[str], code: int) -> None:
        if code != 0:
            self._finish(f"pip failed to uninstall {dist} (exit code {code}).")
            return
        self.dialog.manager.forget(names)
        self._process_done()
        self.dialog.after_load([], f"Uninstalled {dist} ({', '.join(names)})")

    def _start(
        self, args: list[str], then: Callable[[int], None], stream_stdout: bool = True
    ) -> None:
        """Run ``args``; stream stderr (and stdout unless it is a report to parse) to
        the output pane; call ``then(exit_code)`` when it ends (-1: it did not run)."""
        if self.process is not None:  # the previous step's, whose slot called us
            self.process.deleteLater()
        process = QProcess(self)
        self.process = process
        self._stdout = ""
        self._cancelled = False
        process.setProgram(args[0])
        process.setArguments(args[1:])

        def read_out() -> None:
            text = bytes(process.readAllStandardOutput()).decode("utf-8", "replace")
            if stream_stdout:
                self.dialog.log(text)
            else:
                self._stdout += text

        def read_err() -> None:
            self.dialog.log(bytes(process.readAllStandardError()).decode("utf-8", "replace"))

        def finished(code: int, status: QProcess.ExitStatus) -> None:
            read_out()
            read_err()
            if self._cancelled:
                self._finish(
                    "Cancelled. pip was stopped; a half-done install may need an uninstall."
                )
                return
            crashed = status == QProcess.ExitStatus.CrashExit
            then(-1 if crashed else code)

        def failed(error: QProcess.ProcessError) -> None:
            if error == QProcess.ProcessError.FailedToStart:
                self._finish(f"Could not start {args[0]}: {process.errorString()}")

        process.readyReadStandardOutput.connect(read_out)
        process.readyReadStandardError.connect(read_err)
        process.finished.connect(finished)
        process.errorOccurred.connect(failed)
        self.dialog.log("$ " + " ".join(args))
        self.dialog.set_busy(True)
        process.start()

    def cancel(self) -> None:
        if self.process is not None and self.process.state() != QProcess.ProcessState.NotRunning:
            self._cancelled = True
            self.process.kill()

    def _process_done(self) -> None:
        if self.process is not None:
            self.process.deleteLater()
        self.process = None
        self.dialog.set_busy(False)

    def _finish(self, message: str) -> None:
        self._process_done()
        self.dialog.log(message)
        self.dialog.show_result(message)
