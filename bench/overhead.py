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
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as the app sets it (studio/app.py)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

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
    window._begin("bench", steps)
    t0 = time.perf_counter()
    window.session.start(lambda listener: _make(plugins, root, steps, seed, listener))
    loop.exec()
    window.session.finished.disconnect(finished)
    window.session.wait()
    return steps / (done["t"] - t0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()

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
