"""The guard that reports an exception escaping a plugin's code on the GUI thread (a
sampling widget's ``show_sample``, its buttons) with the plugin's name."""

from __future__ import annotations

import contextlib
import sys
import traceback
import weakref
from collections.abc import Callable
from types import TracebackType

from PySide6.QtWidgets import QWidget

from studio.plugins import PluginManager


class PluginErrorGuard:
    """Reports an exception that escapes a plugin's code into Qt's event loop (a
    sampling widget's ``show_sample``, a button handler) against the plugin, with its
    traceback, instead of only printing it. Installed as ``sys.excepthook``; other
    exceptions, and these too after reporting, go on to the previous hook."""

    def __init__(
        self,
        manager: PluginManager,
        report: Callable[[str, str, str], None],
        owner: QWidget | None = None,
    ) -> None:
        self.manager = manager
        self.report = report
        self._owner = weakref.ref(owner) if owner is not None else None
        self.previous = sys.excepthook
        sys.excepthook = self

    def __call__(
        self, kind: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        alive = self._owner is None or self._owner() is not None
        name = self.manager.plugin_for_traceback(tb) if alive else None
        if name is not None:
            details = "".join(traceback.format_exception(kind, exc, tb))
            rec = self.manager.records.get(name)
            if rec is not None:
                rec.errors.append((f"raised {kind.__name__}: {exc}", details))
            with contextlib.suppress(RuntimeError):  # the window is being deleted
                self.report("error", f"plugin {name} raised {kind.__name__}: {exc}", details)
        self.previous(kind, exc, tb)
