"""Application start-up: settings, workspace, plugins, the main window."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from studio.app_paths import WORKSPACE_ENV, default_workspace


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="genai-studio", description="GenAI Studio desktop app")
    p.add_argument("--workspace", type=Path, help="folder for runs (remembered)")
    p.add_argument("--model", help="model id to select at start")
    p.add_argument(
        "--screenshot",
        type=Path,
        help="train briefly, save the window as PNG files at this path, and quit",
    )
    p.add_argument(
        "--safe-mode",
        action="store_true",
        help="load only the built-in plugins (to recover from a third-party plugin)",
    )
    p.add_argument(
        "--train-steps",
        type=int,
        help="steps to train before --screenshot (default: the quick CPU preset's)",
    )
    return p.parse_args(argv)


def icon_path() -> Path | None:
    """The window icon, shipped as package data (None if a packager dropped it)."""
    from importlib.resources import files

    icon = files("studio") / "resources" / "icon.svg"
    return Path(str(icon)) if icon.is_file() else None


def main(argv: list[str] | None = None) -> int:
    # The window shares the CPU with the training thread (and the machine with other
    # jobs): threads from the free cores, passive OpenMP waiting; before torch loads.
    # Measured with bench/overhead.py. GENAI_STUDIO_THREADS=N overrides the count.
    from studio.core.threads import configure

    configure()
    args = parse_args(argv)
    from studio.preflight import check

    problem = check()
    if problem:
        print(problem, file=sys.stderr)
        return 1

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from studio.plugins import load_plugins
    from studio.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName("GenAI Studio")
    app.setApplicationName("GenAI Studio")
    icon = icon_path()
    if icon is not None:
        from PySide6.QtGui import QIcon

        app.setWindowIcon(QIcon(str(icon)))
    if args.screenshot:
        # A scripted session must neither depend on nor change the user's settings.
        import tempfile

        settings = QSettings(
            str(Path(tempfile.mkdtemp()) / "screenshot.ini"), QSettings.Format.IniFormat
        )
    else:
        settings = QSettings()
    workspace = (
        args.workspace
        or (Path(os.environ[WORKSPACE_ENV]) if os.environ.get(WORKSPACE_ENV) else None)
        or Path(str(settings.value("workspace", "") or default_workspace()))
    )
    if args.workspace:
        settings.setValue("workspace", str(args.workspace))
    disabled = settings.value("plugins/disabled", []) or []
    if isinstance(disabled, str):
        disabled = [disabled]
    from studio.plugin_install import user_plugin_dir

    plugins = load_plugins(disabled, safe_mode=args.safe_mode, plugin_dir=user_plugin_dir())
    window = MainWindow(plugins, settings, workspace)
    if args.safe_mode:
        window.setWindowTitle(window.windowTitle() + " (safe mode: built-in plugins only)")
    if args.model:
        from studio.core.workbench import WorkbenchError

        try:
            window.workbench.set_model(args.model)
        except WorkbenchError as exc:
            window.notify("error", f"--model: {exc}")
    window.show()
    if args.screenshot:
        from studio.ui.screenshot import ScreenshotScript

        script = ScreenshotScript(window, args.screenshot, args.train_steps)
        script.start()
    from studio.ui.quit_signals import QuitOnSignal

    # SIGTERM (a logout, a service manager, kill) and Ctrl-C in the terminal stop a run
    # at the end of its step with a checkpoint, then quit (exit 130, as the CLI).
    quitter = QuitOnSignal(window)
    try:
        return app.exec()
    finally:
        quitter.uninstall()


if __name__ == "__main__":
    sys.exit(main())
