"""What ships and how the app starts: the window icon is package data (an installed
wheel has it), and ``make run`` fails when its preflight does."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_the_icon_resolves_inside_the_package():
    import studio
    from studio.app import icon_path

    icon = icon_path()
    assert icon is not None and icon.read_text().lstrip().startswith("<")
    # Read from the package, not from the source tree beside it.
    assert Path(studio.__file__).resolve().parent in icon.resolve().parents
    assert not (ROOT / "resources" / "icon.svg").exists()


def test_the_wheel_ships_the_icon(tmp_path):
    """The window icon was missing from an installed wheel (read from resources/ in the
    source tree)."""
    shutil.copytree(
        ROOT,
        tmp_path / "src",
        ignore=shutil.ignore_patterns(".venv", ".git", "*cache*", "build", "*.egg-info", "tests"),
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path / "dist"),
            str(tmp_path / "src"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    assert "studio/resources/icon.svg" in zipfile.ZipFile(wheel).namelist()


@pytest.mark.skipif(shutil.which("make") is None, reason="no make")
def test_make_run_fails_when_the_preflight_does():
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["QT_QPA_PLATFORM"] = ""
    venv = Path(sys.executable).parent.parent
    # -o: never (re)install; PY: this interpreter.
    done = subprocess.run(
        ["make", "-s", "-o", f"{venv}/.installed", "run", f"VENV={venv}", f"PY={sys.executable}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert "No display found" in done.stderr
    assert done.returncode != 0
