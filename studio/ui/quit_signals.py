"""SIGTERM and Ctrl-C (SIGINT) for the window, handled as the CLI's first Ctrl-C: a
run in progress stops at the end of its step and writes a checkpoint (status
"stopped"), then the app quits.

Python runs a signal handler only when the interpreter gets control, and while Qt's
event loop waits in C++ it does not. So the C-level handler also writes a byte to a
socket (``signal.set_wakeup_fd``) that a ``QSocketNotifier`` watches: the loop wakes,
runs a little Python, and the handler runs under the loop, on the GUI thread."""

from __future__ import annotations

import contextlib
import signal
import socket
from collections.abc import Iterable

from PySide6.QtCore import QObject, QSocketNotifier, QTimer
from PySide6.QtWidgets import QApplication

EXIT_INTERRUPTED = 130  # as the CLI exits after a Ctrl-C or SIGTERM


class QuitOnSignal(QObject):
    """Installs handlers for ``signals`` that call ``window.stop_and_close()`` and exit
    the application with ``EXIT_INTERRUPTED`` once the window has closed. Install from
    the main thread, after the window exists; ``uninstall()`` restores the previous
    handlers."""

    def __init__(self, window, signals: Iterable[int] = (signal.SIGTERM, signal.SIGINT)) -> None:
        super().__init__(window)
        self.window = window
        self.received: int | None = None  # the first signal, once one came
        self._reader, self._writer = socket.socketpair()
        for end in (self._reader, self._writer):
            end.setblocking(False)
        self._previous_fd = signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)
        self.notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read, self)
        self.notifier.activated.connect(self._wake)
        self._previous = {sig: signal.signal(sig, self._handle) for sig in signals}
        window.closed.connect(self._closed)

    def _wake(self) -> None:
        # Only drains the socket: by the time this Python code runs, the interpreter
        # has run the pending handlers.
        with contextlib.suppress(OSError):
            self._reader.recv(512)

    def _handle(self, signum: int, _frame) -> None:
        if self.received is not None:
            return  # a second signal: the first one's stop is under way
        self.received = signum
        # Out of the handler: it may have interrupted any Python code of the loop.
        QTimer.singleShot(0, self.window.stop_and_close)

    def _closed(self) -> None:
        if self.received is not None:
            QApplication.exit(EXIT_INTERRUPTED)

    def uninstall(self) -> None:
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)
        signal.set_wakeup_fd(self._previous_fd)
        self.notifier.setEnabled(False)
        self._reader.close()
        self._writer.close()
