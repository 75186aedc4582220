"""Background jobs: results never reach a deleted receiver, and several jobs importing
torch for the first time at once all get a complete torch."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading

import shiboken6
from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import QWidget

from studio.ui import tasks
from studio.ui.tasks import run_in_thread


def test_a_result_for_a_deleted_receiver_is_dropped(qtbot):
    gate = threading.Event()
    got: list[object] = []
    widget = QWidget()
    run_in_thread(
        lambda: gate.wait(60) and "done",
        lambda result: got.append(widget.setWindowTitle(result)),
        lambda msg, details: got.append(msg),
        receiver=widget,
    )
    shiboken6.delete(widget)  # the window closed while the job ran
    gate.set()
    qtbot.waitUntil(lambda: not tasks._alive, timeout=60_000)
    assert got == []  # neither a call into the deleted widget nor an error


def test_the_browser_closed_or_item_removed_before_its_count_ends(qtbot, tmp_path, monkeypatch):
    """A background count delivered to a tree item already deleted raised
    ``RuntimeError: Internal C++ object already deleted`` (pytest-qt fails the test on
    an exception in a Qt callback)."""
    from studio.ui import dataset_browser
    from studio.ui.dataset_browser import DatasetBrowser

    gate = threading.Event()
    real_count = dataset_browser.count_files
    monkeypatch.setattr(dataset_browser, "count_files", lambda p: gate.wait(60) and real_count(p))
    folder = tmp_path / "imgs" / "a"
    folder.mkdir(parents=True)
    (folder / "x.txt").write_text("hello")
    browser = DatasetBrowser()
    browser.add_paths([tmp_path / "imgs"])
    shiboken6.delete(browser)
    gate.set()
    QThreadPool.globalInstance().waitForDone(60_000)
    qtbot.waitUntil(lambda: not tasks._alive, timeout=60_000)


FIRST_IMPORTS = textwrap.dedent(
    """
    import sys, threading
    from PySide6.QtCore import QThreadPool
    from PySide6.QtWidgets import QApplication
    from studio.ui.tasks import run_in_thread

    app = QApplication([])
    names = ["torch.nn", "torch", "torch.nn.functional", "safetensors.torch",
             "torch.utils.data", "torch.optim"]
    QThreadPool.globalInstance().setMaxThreadCount(len(names))
    # Without a guard all start importing at the same moment; with one, the first
    # waits out the timeout and the rest find the barrier broken.
    barrier = threading.Barrier(len(names), timeout=3)
    results = {}

    def job(name):
        def run():
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                pass
            import importlib
            importlib.import_module(name)
            import torch
            return torch.Tensor.__name__
        return run

    for name in names:
        run_in_thread(job(name), lambda r, n=name: results.__setitem__(n, r),
                      lambda m, d, n=name: results.__setitem__(n, m))
    QThreadPool.globalInstance().waitForDone(120_000)
    while len(results) < len(names):
        app.processEvents()
    print(sorted(set(results.values())))
    """
)


def test_jobs_importing_torch_for_the_first_time_at_once():
    """Relaunching with several dropped datasets read at once showed "partially
    initialized module 'torch' has no attribute 'Tensor'": without the guard this
    scenario fails with that, a _DeadlockError, or a crash."""
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-c", FIRST_IMPORTS],
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        )
        assert done.returncode == 0, done.stderr[-3000:]
        assert done.stdout.split("\n")[-2] == "['Tensor']", done.stdout[-3000:]
