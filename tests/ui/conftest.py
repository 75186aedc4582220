from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings


@pytest.fixture
def make_window(qtbot, tmp_path, plugins):
    """A main window on a temporary workspace and settings file; closed after the test."""
    from studio.ui.main_window import MainWindow

    made = []

    def make(manager=None, settings_name="settings.ini"):
        settings = QSettings(str(tmp_path / settings_name), QSettings.Format.IniFormat)
        w = MainWindow(manager or plugins, settings, tmp_path / "workspace")
        w.confirm_stop_on_close = lambda: True
        qtbot.addWidget(w)
        w.show()
        made.append(w)
        return w

    yield make
    for w in made:
        if w.session.is_running():
            w.session.stop()
            w.session.wait(60_000)
