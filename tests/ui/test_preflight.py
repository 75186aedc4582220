from __future__ import annotations

from studio import preflight


def test_no_display_is_one_line_with_the_offscreen_alternative(monkeypatch):
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(preflight.sys, "platform", "linux")
    message = preflight.check()
    assert message and "\n" not in message and "QT_QPA_PLATFORM=offscreen" in message


def test_missing_xcb_libraries_give_one_apt_command(monkeypatch):
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(preflight.sys, "platform", "linux")
    monkeypatch.setattr(
        preflight, "missing_xcb_libraries", lambda: ["libxcb-cursor.so.0", "libxcb-icccm.so.4"]
    )
    message = preflight.check()
    assert "sudo apt-get install libxcb-cursor0 libxcb-icccm4" in message


def test_offscreen_needs_nothing(monkeypatch):
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert preflight.check() is None


def test_the_xcb_probe_runs_here():
    missing = preflight.missing_xcb_libraries()
    assert all(isinstance(m, str) and ".so" in m for m in missing)
