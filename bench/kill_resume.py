"""Crash safety under SIGKILL: train the shape GAN with the CLI, kill it again and again
(at random moments, inside checkpoint writes, inside pruning, and once before the
first checkpoint), resume after each kill, and compare the end with one uninterrupted
run.

Each child is this script with ``--child MODE`` (it installs the kill, then runs
``genai-studio-cli train``): MODE ``random`` is killed by this process after a random
delay; ``write`` kills itself at a random point of a checkpoint write (a
safetensors file written, an fsync, the rename); ``prune`` kills itself at a random
point of deleting an old checkpoint; ``first`` kills itself when the first checkpoint
is about to be written (a run with no checkpoint at all).

Prints JSON last: kills (>= 20), unreadable_checkpoints_used (0), resumes_failed (0),
duplicated_metric_steps and missing_metric_steps (0), max_weight_difference (0.0).

    python bench/kill_resume.py [--kills 24] [--steps 400] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRAIN = ["--model", "gan-shape", "--seed", "3", "--device", "cpu", "--sample-every", "25"]
TRAIN += ["--checkpoint-every", "10", "--keep-checkpoints", "2"]


# --- the child: install a kill, then run the CLI ------------------------------------------
def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _install(mode: str, rng: random.Random) -> None:
    import safetensors.torch

    from studio.core import checkpoint as ck
    from studio.core import engine

    if mode == "first":
        engine.Engine.save_checkpoint = lambda self: _die()
    elif mode == "write":
        # The points of a checkpoint write, in order: weights file, state file, three
        # fsyncs, the rename into place. Die at one of them in the 1st-3rd write.
        target = rng.randrange(3) * 6 + rng.randrange(6)
        count = {"n": 0}

        def tick() -> None:
            if count["n"] == target:
                _die()
            count["n"] += 1

        real_save, real_fsync, real_rename = safetensors.torch.save_file, ck._fsync_file, os.rename

        def save_file(tensors, path, metadata=None):
            real_save(tensors, path, metadata=metadata)
            tick()

        def fsync(path):
            real_fsync(path)
            tick()

        def rename(src, dst):
            if Path(dst).name.startswith("step_"):
                tick()
            real_rename(src, dst)

        safetensors.torch.save_file = save_file
        ck._fsync_file = fsync
        ck.os.rename = rename
    elif mode == "prune":
        # Die while an old checkpoint is deleted: before the rename aside, after it,
        # or with part of its files gone.
        where = rng.choice(("before", "after", "partly"))
        real_rename, real_rmtree = os.rename, shutil.rmtree

        def rename(src, dst):
            if Path(dst).name.startswith(".trash-") and where == "before":
                _die()
            real_rename(src, dst)

        def rmtree(path, ignore_errors=False, **kw):
            if Path(path).name.startswith(".trash-"):
                if where == "partly":
                    files = sorted(Path(path).iterdir())
                    if files:
                        files[0].unlink()
                _die()
            real_rmtree(path, ignore_errors=ignore_errors, **kw)

        ck.os.rename = rename
        ck.shutil.rmtree = rmtree


def child(mode: str, seed: int, argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    _install(mode, random.Random(seed))
    from studio import cli

    return cli.main(argv)


# --- the parent ------------------------------------------------------------------------
def _launch(mode: str, seed: int, argv: list[str]) -> subprocess.Popen:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", mode, "--child-seed"]
    cmd += [str(seed), "--", *argv]
    env = {**os.environ, "GENAI_STUDIO_THREADS": "1"}
    return subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env
    )


def _newest_loadable(run: Path) -> int:
    """The step a resume must start from: the newest checkpoint that loads (0: none)."""
    from studio.core.checkpoint import CheckpointError, list_checkpoints, load_checkpoint

    for step, path in reversed(list_checkpoints(run / "checkpoints")):
        try:
            load_checkpoint(path)
        except CheckpointError:
            continue
        return step
    return 0


def _weights(run: Path):
    from studio.core.checkpoint import latest_checkpoint, load_checkpoint

    return load_checkpoint(latest_checkpoint(run / "checkpoints"))[0]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kills", type=int, default=24)
    p.add_argument("--steps", type=int, default=400)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--child")
    p.add_argument("--child-seed", type=int, default=0)
    p.add_argument("rest", nargs="*")
    args = p.parse_args()
    if args.child:
        return child(args.child, args.child_seed, args.rest)

    sys.path.insert(0, str(ROOT))
    from studio.core.rundir import RunDir

    rng = random.Random(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="kill-resume-"))
    reference, run = tmp / "reference", tmp / "run"
    t0 = time.perf_counter()
    kills = {"random": 0, "write": 0, "prune": 0, "first": 0}
    unreadable_used = damaged_listed = resumes = resumes_failed = 0
    failures: list[str] = []
    modes = ["first"] + [rng.choice(("random", "random", "write", "prune")) for _ in range(400)]
    cycle = 0
    while True:
        finished = RunDir(run).status().get("state") == "finished"
        mode = modes[cycle] if sum(kills.values()) < args.kills and not finished else "none"
        cycle += 1
        fresh = not (run / "config.json").is_file()
        if fresh:
            argv = ["train", *TRAIN, "--steps", str(args.steps), "--run-dir", str(run)]
        else:
            argv = ["train", "--resume", "--run-dir", str(run), "--steps", str(args.steps)]
            resumes += 1
        expected = None if fresh else _newest_loadable(run)
        proc = _launch(mode, rng.randrange(2**31), argv)
        lines: list[str] = []
        started = threading.Event()

        def read(proc=proc, lines=lines, started=started) -> None:
            for line in proc.stderr:
                lines.append(line)
                if line.startswith("training on"):
                    started.set()
            started.set()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        if mode == "random":
            started.wait(120)
            time.sleep(rng.uniform(0.0, 1.0))
            proc.send_signal(signal.SIGKILL)
        code = proc.wait()
        reader.join(10)
        if code == -signal.SIGKILL:
            kills[mode if mode in kills else "random"] += 1
        elif code != 0:
            failures.append(f"{' '.join(argv[:2])} exited {code}: {''.join(lines)[-400:]}")
            if not fresh:
                resumes_failed += 1
            if len(failures) > 5:
                break
        if expected is not None:
            text = "".join(lines)
            started_at = [
                int(ln.split("from step ")[1].split()[0])
                for ln in text.splitlines()
                if ln.startswith("training on") and "from step " in ln
            ]
            if started_at and started_at[0] != expected:
                unreadable_used += 1
                failures.append(f"resumed at {started_at[0]}, the newest loadable is {expected}")
        from studio.core.checkpoint import CheckpointError, list_checkpoints, load_checkpoint

        for _, path in list_checkpoints(run / "checkpoints"):
            try:
                load_checkpoint(path)
            except CheckpointError:
                damaged_listed += 1
        if code == 0 and mode == "none":
            break
        if cycle > 400:
            failures.append("too many cycles")
            break

    # The uninterrupted run, last (it does not compete with the kills for the CPU).
    argv = ["train", *TRAIN, "--steps", str(args.steps), "--run-dir", str(reference)]
    ref = _launch("none", 0, argv)
    _, ref_err = ref.communicate()
    if ref.returncode != 0:
        print(ref_err, file=sys.stderr)
        return 1

    rows = [r for r in RunDir(run).read_metrics() if "d_loss" in r]
    steps = [r["step"] for r in rows]
    duplicated = len(steps) - len(set(steps))
    missing = len(set(range(1, args.steps + 1)) - set(steps))
    a, b = _weights(reference), _weights(run)
    diff = max(float((a[k] - b[k]).abs().max()) for k in a) if a.keys() == b.keys() else None
    status = RunDir(run).status()
    for line in failures:
        print("failure:", line, file=sys.stderr)
    report = {
        "kills": sum(kills.values()),
        "kills_random": kills["random"],
        "kills_in_checkpoint_write": kills["write"],
        "kills_in_pruning": kills["prune"],
        "kills_before_first_checkpoint": kills["first"],
        "resumes": resumes,
        "resumes_failed": resumes_failed,
        "unreadable_checkpoints_used": unreadable_used,
        "damaged_checkpoints_listed": damaged_listed,
        "duplicated_metric_steps": duplicated,
        "missing_metric_steps": missing,
        "max_weight_difference": diff,
        "final_state": status.get("state"),
        "final_step": status.get("step"),
        "steps": args.steps,
        "seconds": round(time.perf_counter() - t0, 1),
    }
    shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(report))
    ok = (
        report["kills"] >= 20
        and not (resumes_failed or unreadable_used or duplicated or missing)
        and diff == 0.0
        and status.get("state") == "finished"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
