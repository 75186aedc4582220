"""What the main window's collaborators (training, the run on screen, plugins) may ask
of the window: this, and the widgets and models handed to them when built."""

from __future__ import annotations

from typing import Protocol


class WindowHost(Protocol):
    def notify(self, level: str, text: str, details: str = "") -> None:
        """Post a message (info, warning, error) with optional details."""

    def update_actions(self) -> None:
        """Enable the actions (Train, Pause, Stop, Resume) that can work now."""

    def run_shown(self) -> None:
        """The run on screen changed, started or ended: show its model's widget."""

    def training_ended(self) -> None:
        """The window's run has reported its result (the window may close now)."""
