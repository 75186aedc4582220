"""The window opens, reads a dropped image folder and paints its thumbnails without
loading torch (half a gigabyte resident with the CUDA build): torch is loaded when a
run or sampling starts, and the device list comes from a child process."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCENARIO = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path

    class NoTorch:
        def find_spec(self, name, path=None, target=None):
            if name == "torch":
                raise ImportError("torch was imported while browsing data")

    sys.meta_path.insert(0, NoTorch())
    from PIL import Image
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication
    from studio.plugins import load_plugins
    from studio.ui.main_window import MainWindow

    tmp = Path(sys.argv[1])
    for c in ("cats", "dogs", "owls"):
        (tmp / "imgs" / c).mkdir(parents=True)
        for i in range(30):
            Image.new("RGB", (16, 16), (i * 8, 0, 0)).save(tmp / "imgs" / c / f"{i}.png")
    app = QApplication([])
    settings = QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat)
    w = MainWindow(load_plugins(), settings, tmp / "ws")
    w.show()
    w.datasets.add_paths([tmp / "imgs"])

    def wait(cond):
        end = time.time() + 60
        while time.time() < end and not cond():
            app.processEvents()
            time.sleep(0.01)
        return cond()

    assert wait(lambda: str(tmp / "imgs") in w.datasets.loaded), "not read"
    assert wait(lambda: len(w.data_preview.thumbs.cache) >= 20), "no thumbnails"
    assert wait(lambda: w.form.device.count() > 1), "devices not probed"
    print("ok", w.data_preview.thumbs.rowCount(), "torch" in sys.modules)
    """
)


def test_browsing_data_does_not_load_torch(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", SCENARIO, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=180,
        env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split()[-3:] == ["ok", "90", "False"]
