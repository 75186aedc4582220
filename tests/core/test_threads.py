"""Thread count and wait policy from the free cores, with overrides; torch imported
once when several threads need it at the same moment."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from studio.core import threads


def test_free_cores_subtracts_the_load_and_keeps_one():
    assert threads.free_cores(cores=2, load=0.1) == 2
    assert threads.free_cores(cores=2, load=1.0) == 1  # one competing busy loop
    assert threads.free_cores(cores=2, load=7.3) == 1
    assert threads.free_cores(cores=16, load=3.6) == 12


def test_configure_sets_passive_waiting_and_the_free_cores(monkeypatch):
    monkeypatch.setattr(threads, "usable_cores", lambda: 4)
    monkeypatch.setattr(os, "getloadavg", lambda: (1.2, 0.0, 0.0))
    env: dict[str, str] = {}
    policy = threads.configure(env)
    assert env == {"OMP_WAIT_POLICY": "PASSIVE", "OMP_NUM_THREADS": "3", "MKL_NUM_THREADS": "3"}
    assert policy.threads == 3 and "3 of 4 cores free" in policy.reason


def test_the_users_settings_win(monkeypatch, capsys):
    env = {"OMP_NUM_THREADS": "2", "OMP_WAIT_POLICY": "ACTIVE"}
    assert threads.configure(env).threads == 2
    assert env["OMP_WAIT_POLICY"] == "ACTIVE" and env["MKL_NUM_THREADS"] == "2"
    env = {"OMP_NUM_THREADS": "2", threads.THREADS_ENV: "5"}
    assert threads.configure(env).threads == 5 and env["OMP_NUM_THREADS"] == "5"
    monkeypatch.setattr(threads, "usable_cores", lambda: 2)
    monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    assert threads.configure({threads.THREADS_ENV: "many"}).threads == 2
    assert "GENAI_STUDIO_THREADS='many'" in capsys.readouterr().err


def test_the_cli_sets_the_policy_before_torch_loads():
    code = textwrap.dedent(
        """
        import os, sys
        from studio.cli import main
        main(["models"])
        import torch
        print(os.environ["OMP_WAIT_POLICY"], torch.get_num_threads())
        """
    )
    env = {**os.environ, threads.THREADS_ENV: "1"}
    env.pop("OMP_WAIT_POLICY", None)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-2:] == ["PASSIVE", "1"]


CONCURRENT = textwrap.dedent(
    """
    import threading
    from studio.core.threads import import_torch, torch_import_guard
    names = ["torch.nn", "torch", "torch.nn.functional", "safetensors.torch", "torch.optim"]
    errors = []

    def run(name):
        try:
            with torch_import_guard():
                import importlib
                importlib.import_module(name)
            import_torch().Tensor
        except Exception as exc:
            errors.append(repr(exc))

    ts = [threading.Thread(target=run, args=(n,)) for n in names]
    [t.start() for t in ts]
    [t.join() for t in ts]
    print("errors", errors)
    """
)


def test_guarded_first_imports_from_several_threads():
    done = subprocess.run(
        [sys.executable, "-c", CONCURRENT], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("errors []"), done.stdout
