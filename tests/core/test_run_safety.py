"""Run safety in the core: one writer per run, damaged checkpoints passed over (saying
which and why), a run killed before its first checkpoint restarts, checkpoints by
time, half-pruned folders cleaned up, status.json follows the step."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from studio.core import checkpoint as ck
from studio.core import config as cfg
from studio.core import engine as engine_module
from studio.core.listener import EngineListener
from studio.core.rundir import RunDir
from studio.core.runlock import RunLock, RunLocked, holder
from studio.core.session import RunSampler, create_engine, resume_engine
from studio.core.settings import EngineSettings


def toy_manager(toy, width: int = 3):
    """The conftest toy model on fixed data (its own data is random at each load); a
    width other than 3 is "another model": the same weight names, other shapes."""
    return toy.manager(
        toy.trainer_class(width=width),
        data=lambda: torch.linspace(-1, 1, 32 * width).reshape(32, width),
    )


def start(manager, path: Path, steps: int, listener=None, **settings):
    source = manager.model_source("toy")
    config = cfg.build(source.spec.config_class, {})
    values = dict(
        steps=steps, seed=1, device="cpu", sample_every=0, checkpoint_every=4, checkpoint_minutes=0
    )
    values.update(settings)
    return create_engine(
        source, manager.dataset("toy-data"), config, EngineSettings(**values), path, listener
    )


def weights(path: Path) -> dict[str, torch.Tensor]:
    return ck.load_checkpoint(RunDir(path).latest_checkpoint())[0]


# --- one writer per run -----------------------------------------------------------------
def test_a_second_writer_is_refused_naming_the_holder_and_the_run_reads_as_live(toy, tmp_path):
    manager = toy_manager(toy)
    engine = start(manager, tmp_path / "r", 8)  # holds the lock until run() ends
    run = RunDir(tmp_path / "r")
    assert run.status()["state"] == "created" and run.live_state() == "running"
    assert holder(run.path) == os.getpid()
    with pytest.raises(RunLocked, match=f"process {os.getpid()}"):
        resume_engine(run.path, manager.resolve_run)
    with pytest.raises(RunLocked, match=f"process {os.getpid()}"):
        start(manager, run.path, 8)
    assert engine.run().state == "finished"  # released at the end
    assert holder(run.path) is None and run.live_state() == "finished"
    assert resume_engine(run.path, manager.resolve_run, total_steps=12).run().step == 12
    assert [r["step"] for r in run.read_metrics()] == list(range(1, 13))


def test_the_lock_dies_with_the_process_that_held_it(tmp_path):
    code = textwrap.dedent(
        f"""
        import sys, time
        from studio.core.runlock import RunLock
        lock = RunLock({str(tmp_path / "r")!r}).acquire()
        print("locked", flush=True)
        time.sleep(120)
        """
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "locked"
        assert holder(tmp_path / "r") == child.pid
        with pytest.raises(RunLocked, match=f"process {child.pid}"):
            RunLock(tmp_path / "r").acquire()
    finally:
        child.kill()  # SIGKILL: no clean-up runs in the child
        child.wait()
    assert holder(tmp_path / "r") is None
    with RunLock(tmp_path / "r") as lock:
        assert lock.held


# --- damaged checkpoints --------------------------------------------------------------
def _truncate(d: Path) -> None:
    data = (d / "model.safetensors").read_bytes()
    (d / "model.safetensors").write_bytes(data[: len(data) // 2])


def _zero(name: str):
    def damage(d: Path) -> None:
        size = (d / name).stat().st_size
        (d / name).write_bytes(b"\x00" * size)

    return damage


def _garbage_json(d: Path) -> None:
    (d / "state.json").write_text("{not json")


def _missing(name: str):
    return lambda d: (d / name).unlink()


def _no_optimizer_state(d: Path) -> None:
    doc = json.loads((d / "state.json").read_text())
    del doc["state"]["optimizers"]
    (d / "state.json").write_text(json.dumps(doc))


def _other_model(d: Path) -> None:
    from safetensors.torch import save_file

    save_file(
        {"net.weight": torch.zeros(1, 5), "net.bias": torch.zeros(1)}, d / "model.safetensors"
    )


DAMAGES = {
    "truncated weights": (_truncate, "model.safetensors is unreadable"),
    "zeroed weights": (_zero("model.safetensors"), "model.safetensors is unreadable"),
    "zeroed state": (_zero("state.safetensors"), "state.safetensors is unreadable"),
    "garbage state.json": (_garbage_json, "state.json is unreadable"),
    "missing state tensors": (_missing("state.safetensors"), "state.safetensors is missing"),
    "missing state.json": (_missing("state.json"), "state.json is missing"),
    "state without optimizers": (_no_optimizer_state, "'optimizers' is missing"),
    "weights of another model": (_other_model, "the weights are not this model's"),
}


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_a_damaged_newest_checkpoint_is_passed_over_saying_which_and_why(toy, tmp_path, damage):
    manager = toy_manager(toy)
    assert start(manager, tmp_path / "r", 8).run().state == "finished"
    run = RunDir(tmp_path / "r")
    assert run.checkpoint_steps() == [4, 8]
    good = ck.load_checkpoint(run.checkpoints_dir / "step_0000004")[0]
    hurt, reason = DAMAGES[damage]
    hurt(run.checkpoints_dir / "step_0000008")

    sampler = RunSampler(run.path, manager.resolve_run)
    sampler.sample(seed=0)
    if damage == "state without optimizers":  # sampling needs only the weights
        assert sampler.loaded_step == 8 and not sampler.note
    else:
        assert sampler.loaded_step == 4
        assert "step 4" in sampler.note and reason in sampler.note
        torch.testing.assert_close(sampler.trainer().net.weight.detach(), good["net.weight"])

    events: list[tuple[str, str]] = []

    class Events(EngineListener):
        def on_event(self, message, level):
            events.append((level, message))

    engine = resume_engine(run.path, manager.resolve_run, total_steps=10, listener=Events())
    assert engine.step == 4
    assert any(level == "WARNING" and reason in m and "step 4" in m for level, m in events)
    assert "using the checkpoint at step 4" in run.events()
    assert engine.run().state == "finished"
    assert [r["step"] for r in run.read_metrics()] == list(range(1, 11))  # none twice
    assert ck.load_checkpoint(run.latest_checkpoint())[1]["step"] == 10


def test_a_run_with_no_intact_checkpoint_says_so_in_one_line(toy, tmp_path):
    manager = toy_manager(toy)
    start(manager, tmp_path / "r", 8).run()
    run = RunDir(tmp_path / "r")
    _truncate(run.checkpoints_dir / "step_0000008")
    _garbage_json(run.checkpoints_dir / "step_0000004")
    for attempt in (
        lambda: resume_engine(run.path, manager.resolve_run),
        lambda: RunSampler(run.path, manager.resolve_run).sample(),
    ):
        with pytest.raises(ck.CheckpointError) as caught:
            attempt()
        text = str(caught.value)
        assert "no intact checkpoint" in text and "\n" not in text
        assert "step_0000008: model.safetensors" in text and "step_0000004: state.json" in text
    assert holder(run.path) is None  # the failed resume let go of the folder


def test_weights_of_another_model_are_explained_not_a_size_mismatch(toy, tmp_path):
    start(toy_manager(toy), tmp_path / "r", 4).run()
    wider = toy_manager(toy, width=5)  # the plugin changed its model since
    with pytest.raises(ck.CheckpointError, match=r"net.weight is \[1, 3\], the model has \[1, 5\]"):
        RunSampler(tmp_path / "r", wider.resolve_run).sample()


# --- killed before the first checkpoint; checkpoints by time ----------------------------
class KillAt(EngineListener):
    """Ends the process's work at a step as a kill would: no checkpoint, no status."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_metrics(self, row):
        if row["step"] == self.step:
            raise KeyboardInterrupt


def test_a_run_killed_before_its_first_checkpoint_restarts_from_step_0(toy, tmp_path):
    manager = toy_manager(toy)
    start(manager, tmp_path / "full", 8, checkpoint_every=0).run()
    engine = start(manager, tmp_path / "r", 8, listener=KillAt(3), checkpoint_every=0)
    with pytest.raises(KeyboardInterrupt):
        engine.run()
    run = RunDir(tmp_path / "r")
    assert run.checkpoint_steps() == [] and run.read_metrics()  # rows, no checkpoint
    resumed = resume_engine(run.path, manager.resolve_run)
    assert resumed.step == 0 and "starts again from step 0" in run.events()
    assert resumed.run().state == "finished"
    assert [r["step"] for r in run.read_metrics()] == list(range(1, 9))
    a, b = weights(tmp_path / "full"), weights(run.path)
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_checkpoints_are_also_written_by_time(toy, tmp_path):
    manager = toy_manager(toy)
    # every step takes longer than 0.00001 minutes: a checkpoint after each step
    start(
        manager, tmp_path / "t", 6, checkpoint_every=0, checkpoint_minutes=1e-5, keep_checkpoints=10
    ).run()
    assert RunDir(tmp_path / "t").checkpoint_steps() == [1, 2, 3, 4, 5, 6]
    start(manager, tmp_path / "n", 6, checkpoint_every=0, checkpoint_minutes=60).run()
    assert RunDir(tmp_path / "n").checkpoint_steps() == [6]  # only the final one


# --- clean-up ---------------------------------------------------------------------------
def test_half_pruned_and_temporary_folders_are_cleaned_up_at_resume(toy, tmp_path):
    manager = toy_manager(toy)
    start(manager, tmp_path / "r", 8, keep_checkpoints=5).run()
    root = RunDir(tmp_path / "r").checkpoints_dir
    (root / "step_0000004" / "model.safetensors").unlink()  # a kill while deleting it
    (root / ".tmp-step_0000009-x").mkdir()  # a kill while writing
    (root / ".trash-step_0000002").mkdir()  # a kill after the rename aside
    (root / "step_0000007").mkdir()  # empty
    resume_engine(root.parent, manager.resolve_run).release()
    assert sorted(p.name for p in root.iterdir()) == ["step_0000008"]


def test_pruning_never_leaves_a_half_deleted_checkpoint_under_its_name(tmp_path, monkeypatch):
    model = torch.nn.Linear(2, 2)
    for step in (1, 2, 3):
        ck.save_checkpoint(tmp_path, step, model.state_dict(), {"step": step})

    def killed(path, ignore_errors=False):
        raise KeyboardInterrupt  # the process dies while deleting

    monkeypatch.setattr(ck.shutil, "rmtree", killed)
    with pytest.raises(KeyboardInterrupt):
        ck.prune_checkpoints(tmp_path, keep=2)
    monkeypatch.undo()
    assert [s for s, _ in ck.list_checkpoints(tmp_path)] == [2, 3]  # step 1 renamed aside
    ck.clean_checkpoints(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["step_0000002", "step_0000003"]


# --- status.json during the run ---------------------------------------------------------
def test_status_json_follows_the_step_while_running(toy, tmp_path, monkeypatch):
    monkeypatch.setattr(engine_module, "METRICS_FLUSH_S", 0.0)
    monkeypatch.setattr(engine_module, "STATUS_EVERY_S", 0.0)
    seen: list[tuple[str, int]] = []

    class Watch(EngineListener):
        def on_metrics(self, row):
            status = RunDir(tmp_path / "r").status()
            seen.append((status["state"], status["step"]))

    start(toy_manager(toy), tmp_path / "r", 8, listener=Watch()).run()
    assert seen[-1] == ("running", 7)  # written after step 7's row, read at step 8
    assert RunDir(tmp_path / "r").status()["step"] == 8
