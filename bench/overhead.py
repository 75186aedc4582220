"""Engine overhead: steps/s of the app's engine against a bare PyTorch loop of the
same model (the chapter 3 shape GAN) in the same process.

Four loops, interleaved in rounds so that machine noise hits them alike:

- bare: the training step written out by hand, no engine, in the main thread;
- bare_thread: the same in a plain Python thread (what running anything off the main
  thread costs by itself, whatever the engine does);
- engine: the app's engine, headless (what the CLI runs);
- engine_gui: the engine on a QThread through the GUI bridge, with the real main
  window drawing the live curves and samples (offscreen).

Prints JSON last: {"engine_vs_bare", "engine_headless_vs_bare", "engine_vs_bare_thread",
...}; target engine_vs_bare >= 0.95.

``--competing-load``: the headless engine (what the CLI runs) on a machine shared with
another job, a busy loop pinned to one core: steps/s with torch's defaults (a thread
per core, OpenMP's spinning wait: the CLI before studio/core/threads.py) against the
thread count and passive wait policy ``threads.configure`` picks, each in a fresh
process (both must be set before torch loads). Prints JSON last.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
if "--child" not in sys.argv:  # as both entry points do, before torch loads
    from studio.core.threads import configure

    configure()
elif os.environ.get("BENCH_POLICY") == "configure":
    from studio.core.threads import configure

    print(json.dumps({"policy": configure().reason}), file=sys.stderr)

import torch

from studio.core import config as cfg
from studio.core.session import TrainSettings, create_engine
from studio.plugins import load_plugins

MODEL, DATASET = "gan-shape", "exponential-curve"


def bare_loop(steps: int, seed: int) -> float:
    """The same GAN step written by hand; returns steps/s."""
    from torch import nn

    from studio_plugins.shapes_gan.data import load_exponential_curve
    from studio_plugins.shapes_gan.shape_networks import ShapeDiscriminator, ShapeGenerator

    torch.manual_seed(seed)
    data = load_exponential_curve().train[0]
    g, d = ShapeGenerator(2), ShapeDiscriminator(0.3)
    opt_g = torch.optim.Adam(g.parameters(), lr=5e-4)
    opt_d = torch.optim.Adam(d.parameters(), lr=5e-4)
    loss_fn = nn.BCELoss()
    bs = 128
    ones, zeros = torch.ones(bs, 1), torch.zeros(bs, 1)
    done = 0
    t0 = time.perf_counter()
    while done < steps:
        perm = torch.randperm(len(data))
        for i in range(len(data) // bs):
            real = data[perm[i * bs : (i + 1) * bs]]
            fake = g(torch.randn(bs, 2))
            d_loss = loss_fn(d(torch.cat([real, fake.detach()])), torch.cat([ones, zeros]))
            opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            opt_d.step()
            g_loss = loss_fn(d(g(torch.randn(bs, 2))), ones)
            opt_g.zero_grad(set_to_none=True)
            g_loss.backward()
            opt_g.step()
            d_loss.item(), g_loss.item()  # a real loop logs its losses
            done += 1
            if done >= steps:
                break
    return steps / (time.perf_counter() - t0)


def bare_in_thread(steps: int, seed: int) -> float:
    import threading

    out: dict[str, float] = {}
    t = threading.Thread(target=lambda: out.setdefault("rate", bare_loop(steps, seed)))
    t.start()
    t.join()
    return out["rate"]


def _make(plugins, root: Path, steps: int, seed: int, listener=None):
    source = plugins.model_source(MODEL)
    config = cfg.build(source.spec.config_class, {})
    settings = TrainSettings(
        steps=steps, seed=seed, device="cpu", sample_every=500, checkpoint_every=0
    )
    path = Path(tempfile.mkdtemp(dir=root))
    return create_engine(source, plugins.dataset(DATASET), config, settings, path / "run", listener)


def engine_loop(plugins, root: Path, steps: int, seed: int) -> float:
    engine = _make(plugins, root, steps, seed)
    t0 = time.perf_counter()
    engine.run()
    return steps / (time.perf_counter() - t0)


def engine_gui_loop(window, plugins, root: Path, steps: int, seed: int) -> float:
    from PySide6.QtCore import QEventLoop

    loop = QEventLoop()
    done = {}

    def finished(_result) -> None:
        done["t"] = time.perf_counter()
        loop.quit()

    window.session.finished.connect(finished)
    t0 = time.perf_counter()
    make = lambda listener: _make(plugins, root, steps, seed, listener)  # noqa: E731
    window.training.start(make, "bench", steps, MODEL)
    loop.exec()
    window.session.finished.disconnect(finished)
    window.session.wait()
    return steps / (done["t"] - t0)


def _child(steps: int) -> None:
    """One headless engine run in this fresh process; prints its steps/s."""
    plugins = load_plugins()
    with tempfile.TemporaryDirectory() as tmp:
        engine_loop(plugins, Path(tmp), 30, 0)  # warm-up
        rate = engine_loop(plugins, Path(tmp), steps, 1)
    print(json.dumps({"rate": rate, "threads": torch.get_num_threads()}))


def competing_load(steps: int, rounds: int, timeout: float) -> None:
    """Steps/s with and without the policy while a busy loop holds one core."""
    import subprocess

    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    with contextlib.suppress(AttributeError, OSError):  # not on Linux: unpinned
        os.sched_setaffinity(busy.pid, {sorted(os.sched_getaffinity(0))[0]})
    time.sleep(2.0)  # let the load average see it
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OMP_", "MKL_", "GENAI"))}
    variants = {"torch_defaults": {**base}, "policy": {**base, "BENCH_POLICY": "configure"}}
    rates: dict[str, list[float]] = {k: [] for k in variants}
    info: dict[str, int] = {}
    try:
        for _ in range(rounds):
            for name, env in variants.items():
                cmd = [sys.executable, __file__, "--child", "--steps", str(steps)]
                try:
                    done = subprocess.run(
                        cmd, env=env, capture_output=True, text=True, timeout=timeout
                    )
                    row = json.loads(done.stdout.strip().splitlines()[-1])
                    rates[name].append(row["rate"])
                    info[f"{name}_threads"] = row["threads"]
                except subprocess.TimeoutExpired:  # slower than steps/timeout
                    rates[name].append(steps / timeout)
                    info[f"{name}_timeouts"] = info.get(f"{name}_timeouts", 0) + 1
    finally:
        busy.kill()
    med = {k: statistics.median(v) for k, v in rates.items()}
    print(
        json.dumps(
            {
                "model": MODEL,
                "steps": steps,
                "rounds": rounds,
                "cores": len(os.sched_getaffinity(0)),
                "competing": "one busy-loop process pinned to one core",
                "torch_defaults_steps_per_s": round(med["torch_defaults"], 1),
                "policy_steps_per_s": round(med["policy"], 1),
                "speedup": round(med["policy"] / med["torch_defaults"], 2),
                "all": {k: [round(x, 1) for x in v] for k, v in rates.items()},
                **info,
                "note": "a run past --timeout counts as steps/timeout steps/s (an upper bound)",
            }
        )
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--competing-load", action="store_true", help="see the module docstring")
    ap.add_argument("--timeout", type=float, default=120.0, help="per run (competing load)")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return _child(args.steps)
    if args.competing_load:
        return competing_load(args.steps, args.rounds, args.timeout)

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from studio.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    plugins = load_plugins()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        settings = QSettings(str(root / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(plugins, settings, root / "workspace")
        window.show()
        app.processEvents()
        bare_loop(100, 0)  # warm-up
        rates = {"bare": [], "bare_thread": [], "engine": [], "engine_gui": []}
        for r in range(args.rounds):
            rates["bare"].append(bare_loop(args.steps, r))
            rates["bare_thread"].append(bare_in_thread(args.steps, r))
            rates["engine"].append(engine_loop(plugins, root, args.steps, r))
            rates["engine_gui"].append(engine_gui_loop(window, plugins, root, args.steps, r))
        window.close()
    med = {k: statistics.median(v) for k, v in rates.items()}
    print(
        json.dumps(
            {
                "model": MODEL,
                "steps": args.steps,
                "rounds": args.rounds,
                "torch_threads": torch.get_num_threads(),
                "bare_steps_per_s": round(med["bare"], 1),
                "bare_thread_steps_per_s": round(med["bare_thread"], 1),
                "engine_headless_steps_per_s": round(med["engine"], 1),
                "engine_gui_steps_per_s": round(med["engine_gui"], 1),
                "engine_headless_vs_bare": round(med["engine"] / med["bare"], 3),
                "engine_vs_bare": round(med["engine_gui"] / med["bare"], 3),
                "engine_vs_bare_thread": round(med["engine_gui"] / med["bare_thread"], 3),
            }
        )
    )


if __name__ == "__main__":
    main()
