"""Run management in the Runs list: open (highlighted, reopened at the next start),
rename, notes and tags, use a run's settings for a new one, move to the trash; the
live run's Step column; a desktop notice when a run ends behind other windows."""

from __future__ import annotations

from pathlib import Path

from studio.ui.run_actions import parse_tags, read_notes

WAIT = 120_000


def _cli_run(folder: Path, name: str, lr: str) -> Path:
    from studio import cli

    run = folder / name
    args = ["train", "--model", "gan-numbers", "--steps", "20", "--sample-every", "10"]
    assert cli.main([*args, "--lr", lr, "--run-dir", str(run)]) == 0
    return run


def test_runs_are_renamed_noted_reused_and_trashed(qtbot, make_window, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data-home"))  # the trash goes here
    runs_dir = tmp_path / "workspace" / "runs"
    a = _cli_run(runs_dir, "gan-numbers-a", "1e-3")
    b = _cli_run(runs_dir, "gan-numbers-b", "5e-3")
    w = make_window()
    qtbot.waitUntil(lambda: w.runs.tree.topLevelItemCount() == 2, timeout=WAIT)
    w.open_run(str(a))
    assert w.runs.item_for(a).font(0).bold() and not w.runs.item_for(b).font(0).bold()

    # Rename the open run: its folder moves, the window shows it under the new name.
    actions = w.runs.actions
    renamed = actions.rename(str(a), "lr-1e-3-baseline")
    assert renamed == runs_dir / "lr-1e-3-baseline" and renamed.is_dir() and not a.exists()
    assert w.current_run == renamed and w.runs.item_for(renamed).font(0).bold()
    assert actions.rename(str(renamed), "gan-numbers-b") is None  # taken: refused
    assert "exists already" in w.notifications.messages()[-1]

    # Notes and tags: kept in the run folder, shown in the tooltip.
    answers = iter(["baseline, sweep #lr", "The first try."])
    actions.ask_text = lambda title, label, value: next(answers)
    actions.edit_notes(str(renamed))
    assert read_notes(renamed) == {"notes": "The first try.", "tags": ["baseline", "sweep", "lr"]}
    assert "#sweep" in w.runs.item_for(renamed).toolTip(0)
    assert parse_tags("#a, b  c") == ["a", "b", "c"]

    # Use b's settings for a new run: its values go into the form.
    w.form.editors["lr"][1].setText("0.1")
    w.runs.settings_requested.emit(str(b))
    assert float(w.form.editors["lr"][1].text()) == 5e-3
    assert w.form.preset.currentText() == "custom"

    # The next start reopens the run that was open.
    again = make_window()
    assert again.current_run == renamed

    # Move to the trash, after a confirmation; the window stops showing it.
    asked = []
    actions.confirm = lambda title, text: asked.append(text) or True
    assert actions.delete(str(renamed))
    assert asked and "lr-1e-3-baseline" in asked[0]
    assert not renamed.exists() and w.current_run is None
    qtbot.waitUntil(lambda: w.runs.tree.topLevelItemCount() == 1, timeout=WAIT)
    declined = _cli_run(runs_dir, "kept", "2e-3")
    actions.confirm = lambda title, text: False
    assert not actions.delete(str(declined)) and declined.exists()


def test_live_step_and_a_notice_when_the_run_ends_behind_other_windows(qtbot, make_window):
    w = make_window()
    w.isActiveWindow = lambda: False  # the user is in another application
    w.workbench.set_model("gan-shape")
    w.form.steps.setValue(100_000)
    w.train_action.trigger()
    qtbot.waitUntil(lambda: w.current_run is not None, timeout=WAIT)
    qtbot.waitUntil(lambda: w.runs.item_for(w.current_run) is not None, timeout=WAIT)

    def listed_step() -> int:
        return int(w.runs.item_for(w.current_run).text(2).replace(",", ""))

    qtbot.waitUntil(lambda: listed_step() >= 50, timeout=WAIT)  # not the status file's 0
    assert w.runs.item_for(w.current_run).font(0).bold()  # the open run is highlighted
    with qtbot.waitSignal(w.session.finished, timeout=WAIT):
        w.stop_action.trigger()
    assert w.run_manager.notices and "stopped" in w.run_manager.notices[-1][0]
