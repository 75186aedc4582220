"""The window never trains on data the user did not select, never offers an action that
cannot work, reports one failure once, and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

from PySide6.QtCore import Qt

from studio.core.rundir import RunDir, list_runs
from studio.testing import drop_paths

WAIT = 120_000  # generous: waits end as soon as their condition holds


def test_an_unreadable_selected_dataset_is_never_replaced_by_other_data(
    qtbot, make_window, tmp_path
):
    w = make_window()
    broken = tmp_path / "mine.npy"
    broken.write_bytes(b"not numpy")
    drop_paths(w, broken)
    item = lambda: w.datasets.dropped.child(0)  # noqa: E731
    qtbot.waitUntil(lambda: item() is not None and item().text(1) == "unreadable", timeout=WAIT)
    w.datasets.tree.setCurrentItem(item())  # the user clicks it
    assert w.workbench.selection.path == str(broken) and w.workbench.selection.error
    w.model_combo.setCurrentIndex(w.model_combo.findData("cgan"))  # then picks a model
    assert w.model_id == "cgan"
    assert w.datasets.tree.currentItem() is item()  # the highlight stays on the selection
    errors = len(w.notifications.messages())
    w.train_action.trigger()
    assert not w.session.is_running() and w.current_run is None
    assert list_runs(w.workspace) == []  # nothing trained, not the embedded digits
    [message] = w.notifications.messages()[errors:]
    assert "cannot train on the selected data" in message and "mine.npy" in message
    assert w.datasets.tree.currentItem() is item()
    assert w.train_action.isEnabled()  # the user may pick other data and train


def test_a_run_whose_plugin_was_disabled_cannot_be_resumed(qtbot, make_window, tmp_path):
    from studio import cli
    from studio.plugins import load_plugins

    run_path = tmp_path / "workspace" / "runs" / "shape"
    args = ["train", "--model", "gan-shape", "--steps", "10", "--run-dir", str(run_path)]
    assert cli.main(args) == 0
    manager = load_plugins()
    w = make_window(manager)
    w.open_run(str(run_path))
    assert w.model_id == "gan-shape" and w.resume_action.isEnabled()
    assert len(w.loss_plot.series["d_loss"]) == 10
    errors_before = {n: len(r.errors) for n, r in manager.records.items()}
    dialog = w.show_plugins()
    row = [r.name for r in dialog.records].index("shapes_gan")
    dialog.table.item(row, 0).setCheckState(Qt.CheckState.Unchecked)
    assert "gan-shape" not in manager.models
    # The box cannot show gan-shape: the plots no longer show its run either.
    assert w.model_id != "gan-shape" and w.model_combo.currentData() == w.model_id
    assert w.current_run is None and not w.loss_plot.series.get("d_loss")
    assert not w.resume_action.isEnabled()
    messages = " | ".join(w.notifications.messages())
    assert "shapes_gan" in messages and "disabled" in messages
    w.resume()  # even asked directly, nothing starts and no plugin is blamed
    assert not w.session.is_running()
    assert {n: len(r.errors) for n, r in manager.records.items()} == errors_before
    # Opened again, the run says why it cannot be shown.
    w.open_run(str(run_path))
    assert w.current_run is None
    assert "plugin shapes_gan, which is disabled" in w.notifications.messages()[-1]
    assert "KeyError" not in " | ".join(w.notifications.messages())


def test_a_run_locked_by_another_process_shows_as_live_and_cannot_be_resumed(
    qtbot, make_window, tmp_path
):
    from studio import cli

    run_path = tmp_path / "workspace" / "runs" / "numbers"
    args = ["train", "--model", "gan-numbers", "--steps", "10", "--run-dir", str(run_path)]
    assert cli.main(args) == 0
    holder = subprocess.Popen(  # another process writes the run (it holds its lock)
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
                import sys, time
                from studio.core.runlock import RunLock
                lock = RunLock({str(run_path)!r})
                lock.acquire()
                print("locked", flush=True)
                time.sleep(600)
            """),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        assert RunDir(run_path).live_state() == "running"
        w = make_window()
        w.open_run(str(run_path))
        assert "in another process" in w.rate_label.text()
        assert not w.resume_action.isEnabled()
        assert "another process" in w.resume_action.toolTip()
        w.resume()
        assert not w.session.is_running()
        assert "another process" in w.notifications.messages()[-1]
    finally:
        holder.kill()
        holder.wait()
    w.update_actions()  # the lock died with its process: the run can be resumed again
    assert w.resume_action.isEnabled()


def test_one_failure_is_one_message_naming_plugin_and_model(qtbot, make_window, toy):
    manager = toy.manager(toy.trainer_class(fail_at=5, message="kaboom"), with_builtins=True)
    w = make_window(manager)
    w.workbench.set_model("toy")
    w.form.steps.setValue(50)
    before = len(w.notifications.messages())
    with qtbot.waitSignal(w.session.finished, timeout=WAIT) as blocker:
        w.train_action.trigger()
    assert blocker.args[0].state == "failed"
    about = [m for m in w.notifications.messages()[before:] if "kaboom" in m or "failed" in m]
    assert len(about) == 1, about
    assert "plugin toy_plugin failed while training toy" in about[0] and "kaboom" in about[0]


SIGTERM_SCRIPT = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from studio import app

real_exec = QApplication.exec

def exec_and_train(self):
    window = next(w for w in QApplication.topLevelWidgets() if hasattr(w, "workbench"))
    window.workbench.set_model("gan-numbers")
    window.form.steps.setValue(10_000_000)
    window.form.checkpoint_every.setValue(1_000_000)  # the stop writes the checkpoint
    QTimer.singleShot(0, window.start_training)
    return real_exec()

QApplication.exec = exec_and_train
sys.exit(app.main(sys.argv[1:]))
"""


def test_sigterm_stops_the_run_with_a_checkpoint_then_quits(tmp_path):
    workspace = tmp_path / "ws"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "cfg"))
    proc = subprocess.Popen(
        [sys.executable, "-c", SIGTERM_SCRIPT, "--workspace", str(workspace)],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + WAIT / 1000
        run = None
        while time.monotonic() < deadline and proc.poll() is None:
            runs = list_runs(workspace)
            if runs and int(runs[0].status().get("step", 0)) >= 20:
                run = runs[0]
                break
            time.sleep(0.2)
        assert run is not None, proc.stderr.read() if proc.poll() is not None else "no run"
        assert run.status()["state"] == "running"
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=WAIT / 1000)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    stderr = proc.stderr.read()
    assert code == 130, stderr
    status = run.status()
    assert status["state"] == "stopped", status
    assert run.checkpoint_steps()[-1] == status["step"] >= 20
    assert "Traceback" not in stderr


def test_the_run_on_screen_is_always_of_the_model_in_the_box(qtbot, make_window, tmp_path):
    from studio import cli

    run_path = tmp_path / "workspace" / "runs" / "numbers"
    args = ["train", "--model", "gan-numbers", "--steps", "10", "--run-dir", str(run_path)]
    assert cli.main(args) == 0
    w = make_window()
    w.open_run(str(run_path))
    assert w.model_combo.currentData() == "gan-numbers" and w.resume_action.isEnabled()
    w.model_combo.setCurrentIndex(w.model_combo.findData("gan-shape"))  # the user picks
    # Resume would continue the gan-numbers run under a gan-shape box: no run is shown.
    assert w.current_run is None and not w.loss_plot.series.get("d_loss")
    assert not w.resume_action.isEnabled() and w.train_action.isEnabled()
    w.open_run(str(run_path))
    assert w.model_id == "gan-numbers" and len(w.loss_plot.series["d_loss"]) == 10


def test_resuming_a_run_made_elsewhere_asks_before_reading_its_dataset_path(
    qtbot, make_window, tmp_path, monkeypatch
):
    import json
    import math

    from studio import cli
    from studio.core.dataset_trust import KEY_DIR_ENV

    table = tmp_path / "ring.csv"
    rows = [f"{5 * math.cos(i / 9):.3f},{5 * math.sin(i / 9):.3f}" for i in range(200)]
    table.write_text("x,y\n" + "\n".join(rows) + "\n")
    run_path = tmp_path / "workspace" / "runs" / "ring"
    monkeypatch.setenv(KEY_DIR_ENV, str(tmp_path / "their-key"))  # made on their machine
    args = ["train", "--model", "gan-shape", "--dataset", str(table), "--reader", "csv"]
    assert cli.main([*args, "--steps", "10", "--run-dir", str(run_path)]) == 0
    monkeypatch.setenv(KEY_DIR_ENV, str(tmp_path / "my-key"))  # opened on mine
    w = make_window()
    w.open_run(str(run_path))
    assert w.resume_action.isEnabled()  # the user is asked when pressing it
    asked = []
    w.confirm_dataset_path = lambda run, path: asked.append((run, path)) or False
    w.form.steps.setValue(20)
    w.resume_action.trigger()
    assert asked == [("ring", str(table))] and not w.session.is_running()
    w.confirm_dataset_path = lambda run, path: True
    with qtbot.waitSignal(w.session.finished, timeout=WAIT) as blocker:
        w.resume_action.trigger()
    assert blocker.args[0].state == "finished" and blocker.args[0].step == 20
    # A run that points its data at a system location is never read, whatever is said.
    config = json.loads((run_path / "config.json").read_text())
    config["dataset"]["path"] = "/etc/passwd"
    (run_path / "config.json").write_text(json.dumps(config))
    w.open_run(str(run_path))
    assert not w.resume_action.isEnabled()
    assert "system location" in w.resume_action.toolTip()
    w.resume()
    assert not w.session.is_running()
    assert "system location" in w.notifications.messages()[-1]
    # Nor does Train read it: the form repeats the run, the data must be added first.
    w.train_action.trigger()
    assert not w.session.is_running()
    assert "cannot train on the selected data" in w.notifications.messages()[-1]
    assert "/etc/passwd" in w.notifications.messages()[-1]
