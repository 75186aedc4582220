"""The main window with real widgets, real signals and real drops, offscreen."""

from __future__ import annotations

import time
from pathlib import Path

from studio.core.rundir import RunDir
from studio.testing import drop_paths

# Generous: the suite must hold on a machine busy with other jobs (waits end as soon as
# their condition holds, so this costs nothing when the machine is idle).
WAIT = 120_000


def train(qtbot, window, steps: int, model: str = "gan-shape", timeout: int = 2 * WAIT):
    """Train ``model`` for ``steps`` on its quick preset with a preview every 100 steps
    (the "book" presets follow the listings: slower, previews every 10 steps)."""
    window.workbench.set_model(model)
    if window.form.preset.findText("quick CPU") >= 0:
        window.form.preset.setCurrentText("quick CPU")
    window.form.sample_every.setValue(100)
    window.form.steps.setValue(steps)
    with qtbot.waitSignal(window.session.finished, timeout=timeout) as blocker:
        window.train_action.trigger()
    return blocker.args[0]


def test_window_opens_with_models_datasets_and_form(make_window):
    w = make_window()
    models = [w.model_combo.itemData(i) for i in range(w.model_combo.count())]
    assert models[:2] == ["gan-shape", "gan-numbers"] and set(models) == set(w.plugins.models)
    assert w.datasets.embedded.childCount() == len(w.plugins.datasets) >= 2
    assert "batch_size" in w.form.editors and w.form.preset.currentText() == "book"
    assert w.train_action.isEnabled() and not w.stop_action.isEnabled()
    assert w.tabs.count() == 5


def test_training_updates_plot_gallery_progress_and_runs(qtbot, make_window):
    w = make_window()
    updates = []
    w.session.updates.connect(lambda batch: updates.append(time.perf_counter()))
    t0 = time.perf_counter()
    result = train(qtbot, w, 300)
    elapsed = time.perf_counter() - t0
    assert result.state == "finished" and result.step == 300
    assert {"d_loss", "g_loss"} <= set(w.loss_plot.series)
    assert len(w.loss_plot.series["d_loss"]) == 300
    assert "sample/mean_distance" in w.loss_plot.series
    assert [s for s, _ in w.gallery.entries] == [0, 100, 200, 300]
    assert w.gallery.current_step() == 300 and w.gallery.view is not None
    assert w.progress.value() == 300
    # Signals are batched: at most ~15 a second whatever the step rate, plus a few
    # immediate ones for state changes.
    assert len(updates) <= 15 * elapsed + 10, (len(updates), elapsed)
    run = RunDir(w.current_run)
    assert run.status()["state"] == "finished"
    qtbot.waitUntil(lambda: w.runs.tree.topLevelItemCount() == 1, timeout=WAIT)
    assert w.runs.tree.topLevelItem(0).text(1) == "finished"


def test_the_plugin_widget_samples_after_training(qtbot, make_window):
    w = make_window()
    train(qtbot, w, 50, model="gan-numbers")
    widget = w.explore.currentWidget()
    assert widget is w.sampling_widgets["gan-numbers"]
    with qtbot.waitSignal(widget.sampled, timeout=WAIT) as blocker:
        widget.generate_button.click()
    assert blocker.args[0].kind == "numbers"
    assert "multiples of 5" in widget.share.text()


def test_stop_pause_and_resume(qtbot, make_window):
    w = make_window()
    w.form.steps.setValue(1_000_000)
    w.train_action.trigger()
    qtbot.waitUntil(lambda: w.progress.value() > 20, timeout=WAIT)
    w.pause_action.trigger()
    qtbot.waitUntil(
        lambda: w.resume_action.isEnabled() and not w.pause_action.isEnabled(), timeout=WAIT
    )
    assert RunDir(w.current_run).status()["state"] == "paused"
    w.resume_action.trigger()  # unpause
    qtbot.waitUntil(lambda: w.pause_action.isEnabled(), timeout=WAIT)
    with qtbot.waitSignal(w.session.finished, timeout=WAIT) as blocker:
        w.stop_action.trigger()
    result = blocker.args[0]
    assert result.state == "stopped"
    run = RunDir(w.current_run)
    assert run.checkpoint_steps()[-1] == result.step
    # Resume continues the stopped run from its checkpoint.
    assert w.resume_action.isEnabled()
    w.form.steps.setValue(result.step + 40)
    with qtbot.waitSignal(w.session.finished, timeout=WAIT) as blocker:
        w.resume_action.trigger()
    assert blocker.args[0].state == "finished"
    assert run.checkpoint_steps()[-1] == result.step + 40


def test_closing_during_training_stops_and_checkpoints(qtbot, make_window):
    w = make_window()
    w.form.steps.setValue(1_000_000)
    w.train_action.trigger()
    qtbot.waitUntil(lambda: w.progress.value() > 10, timeout=WAIT)
    asked = []
    w.confirm_stop_on_close = lambda: asked.append(1) or True
    w.close()
    assert asked and w.session.is_running()  # it asked, then stops in the background
    qtbot.waitUntil(lambda: not w.session.is_running() and not w.isVisible(), timeout=WAIT)
    run = RunDir(w.current_run)
    assert run.status()["state"] == "stopped"
    assert run.checkpoint_steps()


def test_declining_to_close_keeps_training(qtbot, make_window):
    w = make_window()
    w.form.steps.setValue(1_000_000)
    w.train_action.trigger()
    qtbot.waitUntil(lambda: w.progress.value() > 5, timeout=WAIT)
    w.confirm_stop_on_close = lambda: False
    w.close()
    assert w.isVisible() and w.session.is_running()


def test_opening_a_finished_run_shows_its_curves_and_samples(qtbot, make_window):
    w = make_window()
    train(qtbot, w, 120, model="gan-numbers")
    path = str(w.current_run)
    other = make_window(settings_name="other.ini")
    before = other.datasets.selected_id()
    other.open_run(path)
    assert before != RunDir(path).record().dataset["id"]
    assert other.model_id == "gan-numbers"
    assert len(other.loss_plot.series["d_loss"]) == 120
    assert [s for s, _ in other.gallery.entries] == [0, 100, 120]
    assert other.resume_action.isEnabled()
    # The form shows the settings the run was trained with, not a preset's.
    record = RunDir(path).record()
    config, settings = other.form.values()
    assert other.form.preset.currentText() == "custom"
    assert settings.steps == 120 and config.batch_size == record.config["batch_size"]
    # The dataset browser highlights the run's data, not what was picked before.
    assert other.datasets.selected_id() == record.dataset["id"]


def test_dropping_an_image_folder_reads_it_off_the_gui_thread(qtbot, make_window, tmp_path):
    from PIL import Image

    w = make_window()
    folder = tmp_path / "my images"
    folder.mkdir()
    for i in range(4):
        Image.new("RGB", (12, 10), (i * 40, 0, 0)).save(folder / f"{i}.png")
    (folder / "broken.png").write_bytes(b"x")
    drop_paths(w, folder)
    item = lambda: w.datasets.dropped.child(0)  # noqa: E731
    qtbot.waitUntil(
        lambda: w.datasets.dropped.childCount() == 1 and item().text(1) == "images", timeout=WAIT
    )
    assert item().text(0) == "my images" and item().text(2) == "4"
    messages = w.notifications.messages()
    assert any("4 items read as images" in m for m in messages)
    assert any("1 files or lines skipped" in m and "broken.png" in m for m in messages)


def test_dropping_ambiguous_unknown_and_broken_data(qtbot, make_window, tmp_path):
    from PIL import Image

    w = make_window()
    asked = []
    w.datasets.choose_reader = lambda path, candidates: (
        asked.append(sorted(r.id for r in candidates)) or candidates[0]
    )
    pair = tmp_path / "summer-winter"
    for d in ("summer", "winter"):
        (pair / d).mkdir(parents=True)
        Image.new("L", (8, 8)).save(pair / d / "a.png")
    unknown = tmp_path / "thing.xyz"
    unknown.write_bytes(b"\x00")
    broken = tmp_path / "broken.npy"
    broken.write_bytes(b"not numpy")
    drop_paths(w, pair, unknown, broken)
    qtbot.waitUntil(
        lambda: (
            w.datasets.dropped.childCount() == 3
            and all(
                w.datasets.dropped.child(i).text(1) not in ("counting...", "reading...")
                for i in range(3)
            )
        ),
        timeout=WAIT,
    )
    assert asked == [["image-classes", "image-two-domains"]]
    states = [w.datasets.dropped.child(i).text(1) for i in range(3)]
    assert states[1] == "no reader" and states[2] == "unreadable"
    messages = " | ".join(w.notifications.messages())
    assert "thing.xyz" in messages and "formats understood" in messages and "*.png" in messages
    assert "broken.npy: not a NumPy array file" in messages


def test_a_broken_plugin_is_shown_and_the_app_goes_on(qtbot, make_window):
    from studio import api
    from studio.plugins import load_plugins

    class Broken:
        STUDIO_API = "1.0"

        @staticmethod
        @api.hookimpl
        def studio_models():
            raise RuntimeError("boom")

    manager = load_plugins()
    manager.register(Broken, "broken_plugin")
    w = make_window(manager)
    assert any("broken_plugin" in m and "boom" in m for m in w.notifications.messages())
    assert w.model_combo.count() == len(manager.models) >= 2


def test_settings_persist_the_last_model_and_layout(qtbot, make_window, tmp_path):
    w = make_window()
    w.model_combo.setCurrentIndex(w.model_combo.findData("gan-numbers"))  # the user picks
    assert w.workbench.model_id == w.model_id == "gan-numbers"
    assert w.form.spec.id == "gan-numbers"
    w.close()
    again = make_window()
    assert again.model_id == "gan-numbers"
    assert Path(tmp_path / "settings.ini").read_text().count("geometry") == 1


def test_sampling_in_the_window_while_a_run_trains(qtbot, make_window):
    w = make_window()
    w.workbench.set_model("gan-numbers")
    w.form.steps.setValue(1_000_000)
    w.form.checkpoint_every.setValue(50)
    w.train_action.trigger()
    qtbot.waitUntil(
        lambda: w.current_run is not None and bool(RunDir(w.current_run).checkpoint_steps()),
        timeout=WAIT,
    )
    widget = w.explore.currentWidget()
    with qtbot.waitSignal(widget.sampled, timeout=WAIT) as blocker:
        widget.generate_button.click()
    assert blocker.args[0].kind == "numbers"
    assert w.session.is_running()  # training went on meanwhile
    with qtbot.waitSignal(w.session.finished, timeout=WAIT):
        w.stop_action.trigger()


def test_a_plugin_that_raises_while_training_is_reported(qtbot, make_window, toy):
    manager = toy.manager(
        toy.trainer_class(fail_at=5, message="kaboom in the plugin"), with_builtins=True
    )
    w = make_window(manager)
    result = train(qtbot, w, 50, model="toy")
    assert result.state == "failed" and result.step == 5
    assert any("kaboom in the plugin" in m for m in w.notifications.messages())
    assert w.train_action.isEnabled() and not w.stop_action.isEnabled()
    assert RunDir(w.current_run).status()["state"] == "failed"


def test_a_killed_cli_run_shows_as_interrupted_and_resumes(qtbot, make_window, tmp_path):
    """kill -9 a headless training: the window lists it as interrupted and resumes it
    from its last checkpoint."""
    import signal
    import subprocess
    import sys

    w = make_window()
    run_path = tmp_path / "workspace" / "runs" / "killed"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "studio.cli",
            "train",
            "--model",
            "gan-numbers",
            "--steps",
            "10000000",
            "--run-dir",
            str(run_path),
            "--checkpoint-every",
            "100",
        ],
        stderr=subprocess.DEVNULL,
    )
    run = RunDir(run_path)
    qtbot.waitUntil(lambda: len(run.checkpoint_steps()) >= 2, timeout=WAIT)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert run.status()["state"] == "running" and run.live_state() == "interrupted"
    w.runs.refresh()
    assert w.runs.tree.topLevelItem(0).text(1) == "interrupted"
    w.open_run(str(run_path))
    assert w.resume_action.isEnabled()
    last = run.checkpoint_steps()[-1]
    w.form.steps.setValue(last + 30)
    with qtbot.waitSignal(w.session.finished, timeout=WAIT) as blocker:
        w.resume_action.trigger()
    assert blocker.args[0].state == "finished" and blocker.args[0].step == last + 30
    assert max(r["step"] for r in run.read_metrics()) == last + 30


def _wait_read(qtbot, window, count: int) -> None:
    qtbot.waitUntil(
        lambda: (
            window.datasets.dropped.childCount() == count
            and all(
                window.datasets.dropped.child(i).text(1) not in ("counting...", "reading...")
                for i in range(count)
            )
        ),
        timeout=WAIT,
    )


def test_a_dropped_archive_is_unpacked_registered_and_listed_again(qtbot, make_window, tmp_path):
    import zipfile

    from studio.core.dataset_registry import DatasetRegistry

    arc = tmp_path / "shakespeare.zip"
    with zipfile.ZipFile(arc, "w") as zf:
        zf.writestr("shakespeare/sonnets.txt", "Shall I compare thee to a summer's day?\n" * 50)
    w = make_window()
    drop_paths(w, arc)
    _wait_read(qtbot, w, 1)
    assert w.datasets.dropped.child(0).text(1) == "text"
    entries = DatasetRegistry(tmp_path / "workspace").entries()
    assert len(entries) == 1 and entries[0]["reader"] == "text"
    unpacked = tmp_path / "workspace" / "datasets" / "shakespeare" / "shakespeare"
    assert entries[0]["path"] == str(unpacked) and (unpacked / "sonnets.txt").exists()

    again = make_window(settings_name="again.ini")  # the next start
    _wait_read(qtbot, again, 1)
    assert again.datasets.dropped.child(0).text(1) == "text"


def test_copy_mode_copies_into_the_workspace_and_is_remembered(qtbot, make_window, tmp_path):
    src = tmp_path / "table.csv"
    src.write_text("a,b\n1,2\n3,4\n")
    w = make_window()
    w.datasets.import_mode.setCurrentIndex(w.datasets.import_mode.findData("copy"))
    drop_paths(w, src)
    _wait_read(qtbot, w, 1)
    copied = tmp_path / "workspace" / "datasets" / "table" / "table.csv"
    assert copied.exists() and w.datasets.dropped.child(0).text(2) == "2"
    src.unlink()  # the copy is what the workspace reads from now on
    again = make_window()  # same settings file: the mode is remembered
    assert again.datasets.import_mode.currentData() == "copy"
    _wait_read(qtbot, again, 1)
    assert again.datasets.dropped.child(0).text(1) == "table"


def test_a_dangerous_archive_is_refused_with_its_reason(qtbot, make_window, tmp_path):
    import zipfile

    arc = tmp_path / "evil.zip"
    with zipfile.ZipFile(arc, "w") as zf:
        zf.writestr("../../escape.txt", "gotcha")
    w = make_window()
    drop_paths(w, arc)
    _wait_read(qtbot, w, 1)
    assert w.datasets.dropped.child(0).text(1) == "unreadable"
    assert any("outside its folder" in m for m in w.notifications.messages())
    assert not (tmp_path / "escape.txt").exists()


def _select_dropped(window, index: int) -> None:
    window.datasets.tree.setCurrentItem(window.datasets.dropped.child(index))


def test_the_data_tab_previews_each_kind(qtbot, make_window, tmp_path):
    import json

    from PIL import Image

    pets = tmp_path / "pets"
    for cls, n in (("cats", 3), ("dogs", 5)):
        (pets / cls).mkdir(parents=True)
        for i in range(n):
            Image.new("RGB", (30, 20), (40 * i, 100, 0)).save(pets / cls / f"{i}.png")
    corpus = tmp_path / "poem.txt"
    corpus.write_text("Shall I compare thee\nto a summer's day?\n")
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("Go.\tVa !\nRun!\tCours !\n")
    chorales = tmp_path / "chorales.json"
    chorales.write_text(json.dumps({"train": [[[74, 70, 65, 58]] * 8, [[60, 64, 67, -1]] * 4]}))
    w = make_window()
    # Two class folders could also be two domains: the user is asked; here, classes.
    w.datasets.choose_reader = lambda path, found: next(r for r in found if r.id == "image-classes")
    drop_paths(w, pets, corpus, pairs, chorales)
    _wait_read(qtbot, w, 4)
    preview = w.data_preview

    _select_dropped(w, 0)
    assert w.tabs.currentWidget() is preview
    assert preview.stack.currentWidget() is preview.images_page
    assert preview.thumbs.rowCount() == 8
    assert [preview.class_filter.itemText(i) for i in range(3)] == [
        "all (8)",
        "cats (3)",
        "dogs (5)",
    ]
    qtbot.waitUntil(lambda: len(preview.thumbs.cache) == 8, timeout=WAIT)
    preview.class_filter.setCurrentIndex(2)
    assert preview.thumbs.rowCount() == 5
    assert "labelled-images, 8 items" in preview.header.text()

    _select_dropped(w, 1)
    assert preview.stack.currentWidget() is preview.text
    assert "summer's day" in preview.text.toPlainText()
    assert "vocabulary" in preview.header.text()

    _select_dropped(w, 2)
    assert preview.stack.currentWidget() is preview.table
    assert preview.rows_model.rowCount() == 2
    assert preview.rows_model.data(preview.rows_model.index(1, 1)) == "Cours !"

    _select_dropped(w, 3)
    assert preview.stack.currentWidget() is preview.roll
    assert preview.roll_image.image.shape == (8, 128)


def test_a_dropped_midi_file_shows_as_a_piano_roll(qtbot, make_window, tmp_path):
    import mido

    track = mido.MidiTrack()
    for pitch in (60, 62, 64):
        track.append(mido.Message("note_on", note=pitch, velocity=90, time=0))
        track.append(mido.Message("note_off", note=pitch, time=240))
    midi = mido.MidiFile(ticks_per_beat=480)
    midi.tracks.append(track)
    path = tmp_path / "scale.mid"
    midi.save(str(path))
    w = make_window()
    drop_paths(w, path)
    _wait_read(qtbot, w, 1)
    _select_dropped(w, 0)
    preview = w.data_preview
    assert preview.stack.currentWidget() is preview.roll
    assert preview.roll_image.image.shape == (6, 128)
    assert "scale.mid" in preview.roll.plotItem.titleLabel.text


def test_a_dropped_table_becomes_the_training_data(qtbot, make_window, tmp_path):
    import math

    w = make_window()
    w.workbench.set_model("gan-numbers")
    table = tmp_path / "ring.csv"
    rows = [f"{5 * math.cos(i / 9):.3f},{5 * math.sin(i / 9):.3f}" for i in range(200)]
    table.write_text("x,y\n" + "\n".join(rows) + "\n")
    drop_paths(w, table)
    item = lambda: w.datasets.dropped.child(0)  # noqa: E731
    qtbot.waitUntil(lambda: item() is not None and item().text(1) == "table", timeout=WAIT)
    w.datasets.tree.setCurrentItem(item())  # the user clicks it
    assert w.model_id == "gan-shape"  # the model that trains on a two-column table
    assert f"--dataset {table}" in w.form.command.toPlainText().replace("'", "")
    assert "--reader csv" in w.form.command.toPlainText()
    result = train(qtbot, w, 20)
    assert result.state == "finished"
    record = RunDir(w.current_run).record()
    assert record.dataset["source"] == "path" and record.dataset["path"] == str(table)


def test_runs_in_a_watched_folder_are_listed_and_compared(qtbot, make_window, tmp_path):
    from studio import cli

    shared = tmp_path / "cluster-runs"  # where torchrun jobs elsewhere write, say
    for name, lr in (("a", "1e-3"), ("b", "5e-3")):
        args = ["train", "--model", "gan-numbers", "--steps", "20", "--sample-every", "10"]
        assert cli.main([*args, "--lr", lr, "--run-dir", str(shared / name)]) == 0
    w = make_window()
    w.runs.watch(shared)
    assert w.settings.value("runs/folders") == [str(shared)]
    qtbot.waitUntil(lambda: w.runs.tree.topLevelItemCount() == 2, timeout=WAIT)
    assert not w.runs.compare_button.isEnabled()
    for i in range(2):
        w.runs.tree.topLevelItem(i).setSelected(True)
    assert w.runs.compare_button.isEnabled()
    w.runs.compare_button.click()
    assert w.tabs.currentWidget() is w.compare
    assert w.compare.metric.currentText() == "d_loss"
    curves = w.compare.plot.getPlotItem().listDataItems()
    assert len(curves) == 2 and all(len(c.xData) == 20 for c in curves)
    assert w.compare.step_label.text() == "Samples at step 20"
    views = [view for _label, view in w.compare.views]
    assert all(view is not None and view._kind == "numbers" for view in views)
    # A run that goes on is re-read: its curve grows.
    assert cli.main(["train", "--resume", "--run-dir", str(shared / "a"), "--steps", "30"]) == 0
    w.compare.refresh()
    lengths = sorted(len(c.xData) for c in w.compare.plot.getPlotItem().listDataItems())
    assert lengths == [20, 30]
    # The window remembers the folder at the next start.
    again = make_window()
    qtbot.waitUntil(lambda: again.runs.tree.topLevelItemCount() == 2, timeout=WAIT)
