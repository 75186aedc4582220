"""torchrun with gloo on the CPU: two processes train exactly what one does, rank 0
alone writes the run, a killed rank ends the job, and resume continues it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from studio.core.checkpoint import load_checkpoint
from studio.core.rundir import RunDir

ENTRY = str(Path(__file__).with_name("ddp_entry.py"))
ENV = {**os.environ, "OMP_NUM_THREADS": "1"}
TRAIN = ["train", "--model", "least-squares", "--sample-every", "0", "--device", "cpu"]


def torchrun(*args: str, nproc: int = 2) -> list[str]:
    return [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        f"--nproc-per-node={nproc}",
        ENTRY,
        *args,
    ]


def losses(run: Path) -> list[float]:
    return [row["loss"] for row in RunDir(run).read_metrics() if "loss" in row]


def test_two_processes_train_what_one_does(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    args = [*TRAIN, "--steps", "60", "--checkpoint-every", "30"]
    done = subprocess.run(
        [sys.executable, ENTRY, *args, "--run-dir", str(one)], env=ENV, capture_output=True
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    done = subprocess.run(
        torchrun(*args, "--run-dir", str(two)), env=ENV, capture_output=True, timeout=300
    )
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    # The same global batches, gradients averaged: the same curve and the same weights.
    a, b = losses(one), losses(two)
    assert len(a) == len(b) == 60
    assert a[-1] < a[0] / 20  # it learned
    for x, y in zip(a, b, strict=True):
        assert y == pytest.approx(x, rel=1e-4, abs=1e-6)
    wa, _ = load_checkpoint(RunDir(one).latest_checkpoint())
    wb, state = load_checkpoint(RunDir(two).latest_checkpoint())
    for key in wa:
        torch.testing.assert_close(wb[key], wa[key], rtol=1e-5, atol=1e-6)
    assert state["step"] == 60 and RunDir(two).checkpoint_steps() == [30, 60]
    # Rank 0 alone wrote: one start event, one status naming the job's size.
    run = RunDir(two)
    assert run.events().count("start at step 0") == 1
    assert "2 processes" in run.events()
    assert run.status()["world_size"] == 2
    assert run.record().extra["world_size"] == 2


def _worker_of_rank(parent: int, rank: int) -> int | None:
    """The pid of torchrun's worker with RANK=rank (a descendant of ``parent``)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    todo = list(children.get(parent, []))
    while todo:
        pid = todo.pop()
        try:
            env = (Path("/proc") / str(pid) / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"RANK={rank}".encode() in env and b"LOCAL_RANK=" + str(rank).encode() in env:
            return pid
        todo += children.get(pid, [])
    return None


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds torchrun's workers in /proc")
def test_a_killed_rank_ends_the_job_and_resume_continues(tmp_path):
    run_path = tmp_path / "run"
    job = subprocess.Popen(
        torchrun(
            *TRAIN, "--steps", "1000000", "--checkpoint-every", "50", "--run-dir", str(run_path)
        ),
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        run = RunDir(run_path)
        deadline = time.time() + 120
        while time.time() < deadline and not (run.is_run() and run.checkpoint_steps()):
            time.sleep(0.2)
        assert run.checkpoint_steps(), "no checkpoint was written"
        victim, survivor = _worker_of_rank(job.pid, 1), _worker_of_rank(job.pid, 0)
        assert victim is not None and survivor is not None
        os.kill(victim, signal.SIGKILL)
        # torchrun ends the survivors with SIGTERM; sent at once here, it arrives before
        # rank 0's next collective breaks (the order that once left "running" behind).
        os.kill(survivor, signal.SIGTERM)
        _out, err = job.communicate(timeout=120)
    finally:
        if job.poll() is None:
            job.kill()
    assert job.returncode != 0
    err = err.decode()
    assert "ChildFailedError" in err and "Signal 9 (SIGKILL)" in err, err[-2000:]
    # The job's status says what became of it, and resume continues from the checkpoint.
    status = run.status()
    assert status["state"] == "failed", status
    assert "another process of this 2-process job stopped" in status["message"]
    assert "the last good checkpoint (step" in status["message"] and "--resume" in status["message"]
    last = run.checkpoint_steps()[-1]
    done = subprocess.run(
        torchrun("train", "--resume", "--run-dir", str(run_path), "--steps", str(last + 40)),
        env=ENV,
        capture_output=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    assert run.checkpoint_steps()[-1] == last + 40
    assert run.status()["state"] == "finished"
    steps = [row["step"] for row in run.read_metrics()]
    assert steps == sorted(steps) and steps[-1] == last + 40  # no duplicated steps


def test_a_batch_that_does_not_split_evenly_is_refused(tmp_path):
    done = subprocess.run(
        torchrun(*TRAIN, "--steps", "5", "--batch-size", "33", "--run-dir", str(tmp_path / "r")),
        env=ENV,
        capture_output=True,
        timeout=300,
    )
    assert done.returncode != 0
    assert b"must be a multiple of the number of processes (2)" in done.stderr
