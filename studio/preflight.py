"""Checks before the window opens: is there a display, and does Qt's X11 plugin have
the system libraries it needs? Prints one line and exits non-zero when not.

Run as ``python -m studio.preflight`` (``make run`` does) or via ``studio.app.main``.
"""

from __future__ import annotations

import ctypes.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

# Shared libraries Qt's xcb platform plugin loads, and the Debian/Ubuntu packages
# that ship them (the ones a minimal Linux lacks most often come first).
XCB_PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libdbus-1.so.3": "libdbus-1-3",
}


def _qt_dir() -> Path | None:
    try:
        import PySide6
    except ImportError:
        return None
    return Path(PySide6.__file__).parent / "Qt"


def missing_xcb_libraries() -> list[str]:
    """Sonames the xcb plugin needs that the dynamic loader cannot find (Linux only)."""
    qt = _qt_dir()
    if qt is None or not sys.platform.startswith("linux") or not shutil.which("ldd"):
        return []
    targets = [qt / "plugins" / "platforms" / "libqxcb.so", qt / "lib" / "libQt6XcbQpa.so.6"]
    missing: set[str] = set()
    for target in targets:
        if not target.exists():
            continue
        try:
            out = subprocess.run(
                ["ldd", str(target)], capture_output=True, text=True, timeout=10
            ).stdout
        except (OSError, subprocess.SubprocessError):
            continue
        for line in out.splitlines():
            if "not found" in line:
                missing.add(line.split()[0])
    # Qt 6.5+ loads libxcb-cursor at run time, so ldd does not list it.
    if ctypes.util.find_library("xcb-cursor") is None:
        missing.add("libxcb-cursor.so.0")
    return sorted(missing, key=lambda s: list(XCB_PACKAGES).index(s) if s in XCB_PACKAGES else 99)


def check() -> str | None:
    """A one-line problem description, or None when the window can open."""
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if platform.startswith(("offscreen", "minimal", "vnc")):
        return None
    if sys.platform.startswith("linux") and not platform:
        if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
            return (
                "No display found (DISPLAY and WAYLAND_DISPLAY are unset): run it "
                "offscreen with 'QT_QPA_PLATFORM=offscreen make run', or "
                "'make screenshot' to train briefly and save the window as a PNG."
            )
        if os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
            missing = missing_xcb_libraries()
            if missing:
                pkgs = sorted({XCB_PACKAGES.get(m, m) for m in missing})
                return (
                    "Qt's X11 plugin needs system libraries that are missing ("
                    + ", ".join(missing)
                    + "); install them with: sudo apt-get install "
                    + " ".join(pkgs)
                )
    return None


def main() -> int:
    problem = check()
    if problem:
        print(problem, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
