from __future__ import annotations

import json

import pytest

from studio.core.rundir import RunDir, RunDirError, RunRecord, list_runs, new_run_path


def record(**kw) -> RunRecord:
    base = dict(
        model="m",
        plugin="p",
        plugin_version="1",
        config={"lr": 1.0},
        dataset={"id": "d"},
        seed=0,
        device="cpu",
        precision="fp32",
        steps=10,
        sample_every=5,
        checkpoint_every=5,
    )
    base.update(kw)
    return RunRecord(**base)


def test_create_writes_config_and_status_and_refuses_to_overwrite(tmp_path):
    run = RunDir.create(tmp_path / "r", record())
    assert json.loads(run.config_path.read_text())["model"] == "m"
    assert run.status()["state"] == "created"
    assert run.record().config == {"lr": 1.0}
    with pytest.raises(RunDirError, match="already holds a run"):
        RunDir.create(tmp_path / "r", record())


def test_metrics_reader_ignores_a_partly_written_last_line(tmp_path):
    run = RunDir.create(tmp_path / "r", record())
    run.append_metrics([{"step": 1, "loss": 1.0}, {"step": 2, "loss": 0.5}])
    with open(run.metrics_path, "a") as fh:
        fh.write('{"step": 3, "lo')  # a writer in the middle of a line
    assert [r["step"] for r in run.read_metrics()] == [1, 2]
    rows, offset = run.read_metrics_from(0)
    assert [r["step"] for r in rows] == [1, 2]
    with open(run.metrics_path, "a") as fh:
        fh.write('ss": 0.25}\n')
    rows, offset2 = run.read_metrics_from(offset)
    assert rows == [{"step": 3, "loss": 0.25}] and offset2 > offset


def test_truncate_drops_rows_after_a_step(tmp_path):
    run = RunDir.create(tmp_path / "r", record())
    run.append_metrics([{"step": s} for s in range(1, 8)])
    run.truncate_metrics_after(4)
    assert [r["step"] for r in run.read_metrics()] == [1, 2, 3, 4]


def test_not_a_run_gives_a_clear_error(tmp_path):
    with pytest.raises(RunDirError, match="not a run folder"):
        RunDir(tmp_path).record()
    (tmp_path / "config.json").write_text("{broken")
    with pytest.raises(RunDirError, match="unreadable"):
        RunDir(tmp_path).record()


def test_new_run_paths_are_unique_and_listed(tmp_path):
    a = new_run_path(tmp_path, "gan")
    RunDir.create(a, record())
    b = new_run_path(tmp_path, "gan")
    assert a != b
    RunDir.create(b, record())
    assert {r.path for r in list_runs(tmp_path)} == {a, b}


def test_a_run_whose_process_died_reads_as_interrupted(tmp_path):
    import subprocess
    import sys

    run = RunDir.create(tmp_path / "r", record())
    run.write_status("running", 12)
    assert run.live_state() == "running"  # this process is alive
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    doc = json.loads(run.status_path.read_text())
    doc["pid"] = dead.pid
    run.status_path.write_text(json.dumps(doc))
    assert run.live_state() == "interrupted"
    doc["host"] = "another-machine"  # a shared folder: trust what the writer said
    run.status_path.write_text(json.dumps(doc))
    assert run.live_state() == "running"
