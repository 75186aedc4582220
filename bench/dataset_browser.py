"""A folder of 100,000 small images (10 class folders) dropped on the real window,
offscreen: how long until the first thumbnails are painted, until everything is
listed and counted, and the peak memory while scrolling the whole grid.

Prints JSON last: {"items", "first_paint_s", "full_count_s", "peak_rss_mb", ...};
targets for 100,000 images on 2 cores: first paint <= 1 s, full count <= 5 s,
peak RSS <= 600 MB.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def make_folder(root: Path, items: int, classes: int = 10) -> Path:
    from PIL import Image

    folder = root / "images"
    per_class = items // classes
    blobs = []
    for i in range(16):  # a few distinct tiny images, written many times
        buf = io.BytesIO()
        Image.new("RGB", (28, 28), (i * 15, 255 - i * 15, 128)).save(buf, "PNG")
        blobs.append(buf.getvalue())
    for c in range(classes):
        d = folder / f"class_{c}"
        d.mkdir(parents=True)
        for i in range(per_class):
            (d / f"{i:06d}.png").write_bytes(blobs[(c + i) % len(blobs)])
    return folder


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=100_000)
    args = ap.parse_args()

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from studio.plugins import load_plugins
    from studio.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        folder = make_folder(Path(tmp), args.items)
        generate_s = time.perf_counter() - t
        settings = QSettings(str(Path(tmp) / "s.ini"), QSettings.Format.IniFormat)
        window = MainWindow(load_plugins(), settings, Path(tmp) / "workspace")
        window.resize(1400, 860)
        window.show()
        browser, preview = window.datasets, window.data_preview
        browser.choose_reader = lambda path, found: next(
            r for r in found if r.id == "image-classes"
        )
        app.processEvents()
        rss_before = rss_mb()

        t0 = time.perf_counter()
        browser.add_paths([folder])

        def wait(cond, timeout=120.0):
            end = time.perf_counter() + timeout
            while not cond() and time.perf_counter() < end:
                app.processEvents()
                time.sleep(0.002)
            return time.perf_counter() - t0

        # First paint: thumbnails on screen, from the drop (the first images found are
        # shown while the reader checks every file).
        first_paint_s = wait(lambda: len(preview.thumbs.cache) >= 20)
        full_count_s = wait(lambda: str(folder) in browser.loaded)
        wait(lambda: preview.thumbs.rowCount() == args.items, timeout=30)
        bar = preview.grid.verticalScrollBar()
        last = [-1, time.perf_counter()]

        def laid_out() -> bool:  # the batched layout has settled (the bar stops growing)
            if bar.maximum() != last[0]:
                last[:] = [bar.maximum(), time.perf_counter()]
            return time.perf_counter() - last[1] > 0.5

        wait(laid_out, timeout=30)
        # Scroll through the whole grid, as a person dragging the scroll bar would.
        for value in range(0, bar.maximum() + 1, max(1, bar.maximum() // 200)):
            bar.setValue(value)
            app.processEvents()
        wait(lambda: not preview.thumbs.pending, timeout=30)
        items = preview.thumbs.rowCount()
        window.close()
    print(
        json.dumps(
            {
                "items": items,
                "generate_s": round(generate_s, 1),
                "full_count_s": round(full_count_s, 2),
                "first_paint_s": round(first_paint_s, 2),
                "peak_rss_mb": round(rss_mb(), 1),
                "rss_before_drop_mb": round(rss_before, 1),
                "thumbnails_cached": len(preview.thumbs.cache),
            }
        )
    )


if __name__ == "__main__":
    main()
