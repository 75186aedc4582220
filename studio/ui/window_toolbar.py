"""The main window's toolbar: Add data, the model box, Train / Pause / Stop / Resume,
Plugins; and which of them can work in each state.

Every button takes the keyboard focus with Tab (a toolbar's buttons do not by
default), Space or Enter presses it; Alt+M goes to the model box."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QComboBox, QLabel, QToolBar, QWidget


class MainToolbar(QToolBar):
    """The actions (``add_data``, ``train``, ``pause``, ``stop``, ``resume``,
    ``plugins``) call the given slots; ``model_box`` lists the models."""

    def __init__(
        self,
        parent: QWidget,
        add_data: Callable[[], object],
        train: Callable[[], object],
        pause: Callable[[], object],
        stop: Callable[[], object],
        resume: Callable[[], object],
        plugins: Callable[[], object],
    ) -> None:
        super().__init__("Main", parent)
        self.setObjectName("toolbar-main")
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.add_data = self._action("Add data...", add_data)
        self.addSeparator()
        label = QLabel(" &Model ")
        self.addWidget(label)
        self.model_box = QComboBox()
        self.model_box.setMinimumWidth(220)
        label.setBuddy(self.model_box)  # Alt+M
        self.addWidget(self.model_box)
        self.addSeparator()
        self.train = self._action("Train", train, "Ctrl+T")
        self.pause = self._action("Pause", pause)
        self.stop = self._action("Stop", stop)
        self.resume = self._action("Resume", resume)
        self.addSeparator()
        self.plugins = self._action("Plugins", plugins)

    def _action(self, text: str, slot: Callable[[], object], shortcut: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        # Reachable with Tab (toolbar buttons take no focus by default).
        self.widgetForAction(action).setFocusPolicy(Qt.FocusPolicy.TabFocus)
        return action

    def set_state(
        self, running: bool, paused: bool, can_train: bool, resume_problem: str | None
    ) -> None:
        """Enable what can work: Train with a model and no run going, Pause and Stop
        while one goes, Resume for a paused run or a run on screen that can continue
        (else its tooltip says why not); no model change while training."""
        self.train.setEnabled(not running and can_train)
        self.pause.setEnabled(running and not paused)
        self.stop.setEnabled(running)
        self.resume.setEnabled(paused or (not running and resume_problem is None))
        self.resume.setToolTip(
            "Continue the paused run"
            if paused
            else resume_problem or "Continue the run on screen from its last checkpoint"
        )
        self.model_box.setEnabled(not running)
