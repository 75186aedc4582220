"""Soak: the real main window (offscreen) trains for a long time with the live plots,
progress and gallery updating; does memory stay flat and the GUI responsive?

Measures, over the whole run:
- the resident memory (RSS) every few seconds; its growth after a warm-up (torch
  loaded, the first checkpoints and previews made), target <= 5%;
- the lateness of a 10 ms timer in the GUI thread (as bench/ui_latency.py), p99;
- steps trained, previews shown in the gallery, points kept by the loss plot.

    python bench/soak.py                 # 30 minutes
    python bench/soak.py --minutes 5     # shorter, on a shared machine

Prints JSON last.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from studio.core.threads import configure

POLICY = configure()


def rss_mb() -> float:
    """This process's resident memory in MB (Linux /proc; else ru_maxrss)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=30.0, help="how long to train")
    ap.add_argument(
        "--warmup-minutes",
        type=float,
        help="memory growth is measured after this (default: a fifth of the run, at most 5)",
    )
    ap.add_argument("--model", default="gan-shape")
    ap.add_argument("--sample-every", type=int, default=100, help="gallery previews every N")
    ap.add_argument("--checkpoint-every", type=int, default=1000)
    ap.add_argument("--rss-every", type=float, default=5.0, help="seconds between RSS samples")
    args = ap.parse_args()
    warmup_s = 60 * (
        args.warmup_minutes if args.warmup_minutes is not None else min(5.0, args.minutes / 5)
    )
    duration_s = 60 * args.minutes

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
        window.form.steps.setValue(window.form.steps.maximum())
        window.form.sample_every.setValue(args.sample_every)
        window.form.checkpoint_every.setValue(args.checkpoint_every)

        lateness: list[float] = []
        rss: list[tuple[float, float]] = []  # (seconds since start, MB)
        clock = QElapsedTimer()
        clock.start()
        last = {"t": clock.nsecsElapsed()}

        def tick() -> None:
            now = clock.nsecsElapsed()
            lateness.append(max(0.0, (now - last["t"]) / 1e6 - 10.0))
            last["t"] = now

        def sample_rss() -> None:
            rss.append((clock.elapsed() / 1000, rss_mb()))

        timer = QTimer(interval=10)
        timer.setTimerType(Qt.TimerType.PreciseTimer)
        timer.timeout.connect(tick)
        memory = QTimer(interval=int(args.rss_every * 1000))
        memory.timeout.connect(sample_rss)
        t0 = time.perf_counter()
        sample_rss()
        if not window.start_training():
            sys.exit("the window refused to train: " + str(window.notifications.messages()[-3:]))
        timer.start()
        memory.start()
        loop = QEventLoop()
        QTimer.singleShot(int(duration_s * 1000), loop.quit)
        loop.exec()
        timer.stop()
        memory.stop()
        sample_rss()
        elapsed = time.perf_counter() - t0
        steps = window.progress.value()
        previews = len(window.gallery.entries)
        plot_points = sum(len(s) for s in window.loss_plot.series.values())
        done = QEventLoop()
        window.session.finished.connect(done.quit)
        window.stop_training()
        done.exec()
        window.close()

    after = [mb for t, mb in rss if t >= warmup_s]
    baseline = after[0] if after else rss[-1][1]
    # The end as the median of the last few samples: one garbage-collection peak is
    # not growth.
    final = statistics.median(mb for _, mb in rss[-3:])
    slope = 0.0
    if len(after) >= 3:
        xs = [t for t, _ in rss if t >= warmup_s]
        mx, my = statistics.fmean(xs), statistics.fmean(after)
        var = sum((x - mx) ** 2 for x in xs)
        slope = (
            sum((x - mx) * (y - my) for x, y in zip(xs, after, strict=True)) / var if var else 0.0
        )
    print(
        json.dumps(
            {
                "model": args.model,
                "minutes": round(elapsed / 60, 2),
                "warmup_minutes": round(warmup_s / 60, 2),
                "threads": POLICY.threads,
                "thread_policy": POLICY.reason,
                "steps": steps,
                "steps_per_s": round(steps / elapsed, 1),
                "previews_shown": previews,
                "loss_plot_points": plot_points,
                "rss_start_mb": round(rss[0][1], 1),
                "rss_after_warmup_mb": round(baseline, 1),
                "rss_end_mb": round(final, 1),
                "rss_max_mb": round(max(mb for _, mb in rss), 1),
                "rss_growth_after_warmup_pct": round(100 * (final / baseline - 1), 2),
                "rss_slope_after_warmup_mb_per_min": round(60 * slope, 3),
                "timer_ticks": len(lateness),
                "timer_p50_ms": round(percentile(lateness, 0.50), 2),
                "timer_p99_ms": round(percentile(lateness, 0.99), 2),
                "timer_max_ms": round(max(lateness, default=float("nan")), 2),
                "targets": {"rss_growth_after_warmup_pct": "<= 5"},
            }
        )
    )


if __name__ == "__main__":
    main()
