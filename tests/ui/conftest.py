from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings

from studio.testing import close_windows


@pytest.fixture
def make_window(qtbot, tmp_path, plugins):
    """A main window on a temporary workspace and settings file; closed after the test
    by ``close_windows`` (training stopped and background jobs answered first, so no
    result is delivered to a deleted widget)."""
    from studio.ui.main_window import MainWindow

    made = []

    def make(manager=None, settings_name="settings.ini"):
        settings = QSettings(str(tmp_path / settings_name), QSettings.Format.IniFormat)
        w = MainWindow(manager or plugins, settings, tmp_path / "workspace")
        w.confirm_stop_on_close = lambda: True
        w.newcomer.ask = lambda text, quick: "train"  # a long CPU run: the user says go
        w.show()
        made.append(w)
        return w

    yield make
    close_windows(qtbot, made)
