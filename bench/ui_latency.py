"""GUI responsiveness while a model trains: the lateness of a 10 ms timer in the GUI
thread of the real main window (offscreen) while the shape GAN trains on a QThread
and the live plot, progress bar and gallery update.

Prints JSON last: {"p50_ms", "p99_ms", "max_ms", "ticks", "steps_per_s", ...};
target p99 <= 20 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as the app sets it (studio/app.py)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20.0, help="measuring time")
    ap.add_argument("--model", default="gan-shape")
    args = ap.parse_args()

    from PySide6.QtCore import QElapsedTimer, QEventLoop, QSettings, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from studio.plugins import load_plugins
    from studio.ui.main_window import MainWindow

    _app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        settings = QSettings(str(Path(tmp) / "s.ini"), QSettings.Format.IniFormat)
        window = MainWindow(load_plugins(), settings, Path(tmp) / "workspace")
        window.show()
        window.model_combo.setCurrentIndex(window.model_combo.findData(args.model))
        window.form.steps.setValue(10_000_000)
        window.form.sample_every.setValue(200)
        window.start_training()

        # Let torch load and the first steps run before measuring.
        loop = QEventLoop()
        QTimer.singleShot(3000, loop.quit)
        loop.exec()
        step0, t_start = window.progress.value(), time.perf_counter()

        lateness: list[float] = []
        clock = QElapsedTimer()
        clock.start()
        last = {"t": clock.nsecsElapsed()}
        timer = QTimer(interval=10)
        timer.setTimerType(Qt.TimerType.PreciseTimer)

        def tick() -> None:
            now = clock.nsecsElapsed()
            lateness.append(max(0.0, (now - last["t"]) / 1e6 - 10.0))
            last["t"] = now

        timer.timeout.connect(tick)
        timer.start()
        QTimer.singleShot(int(args.seconds * 1000), loop.quit)
        loop.exec()
        timer.stop()
        steps = window.progress.value() - step0
        elapsed = time.perf_counter() - t_start
        with_samples = len(window.gallery.entries)
        done = QEventLoop()
        window.session.finished.connect(done.quit)
        window.stop_training()
        done.exec()
        window.close()
    print(
        json.dumps(
            {
                "model": args.model,
                "seconds": round(elapsed, 1),
                "ticks": len(lateness),
                "p50_ms": round(percentile(lateness, 0.50), 2),
                "p99_ms": round(percentile(lateness, 0.99), 2),
                "max_ms": round(max(lateness), 2),
                "steps_per_s": round(steps / elapsed, 1),
                "previews_shown": with_samples,
            }
        )
    )


if __name__ == "__main__":
    main()
