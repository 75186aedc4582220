"""Threads on a shared machine, for both entry points (the window and the CLI).

Two things go wrong when the cores are shared:

- **Thread count and waiting.** OpenMP's default keeps its worker threads spinning
  after each parallel region, and torch starts one intra-op thread per core. With one
  other job on a 2-core machine, 400 shape-GAN steps took 134 s with spinning threads
  and 3.4 s with passive ones; and two torch threads ran small convolutions 3-8x slower
  than one when a core was taken. So :func:`configure` picks the thread count from the
  cores actually free (the CPU affinity mask, a cgroup quota, the load average) and
  sets the passive wait policy. Both must be in the environment before torch loads.
  ``GENAI_STUDIO_THREADS=N`` overrides the count (``OMP_NUM_THREADS`` set by the user
  is kept too; ``OMP_WAIT_POLICY`` likewise).
- **Importing torch from several threads at once.** Two threads importing torch
  modules at the same moment see a partially initialized torch ("partially initialized
  module 'torch' has no attribute 'Tensor'", a ``_DeadlockError``, or a crash). Code
  that may be the first to import torch off the main thread runs inside
  :func:`torch_import_guard`, which lets one such block at a time run until torch is
  fully imported (after that it costs nothing).
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

THREADS_ENV = "GENAI_STUDIO_THREADS"


@dataclass(frozen=True)
class ThreadPolicy:
    """What :func:`configure` decided, and why (shown by ``--verbose`` tools and benches)."""

    threads: int
    wait_policy: str
    reason: str
    applied: bool  # False when torch was already loaded: the environment came too late


def _cgroup_cpus(root: Path = Path("/sys/fs/cgroup")) -> float | None:
    """The CPU quota of this container in cores (cgroup v2 ``cpu.max``), if any."""
    try:
        quota, period = (root / "cpu.max").read_text().split()[:2]
    except (OSError, ValueError):
        return None
    if quota == "max":
        return None
    try:
        return max(1.0, int(quota) / int(period))
    except (ValueError, ZeroDivisionError):
        return None


def usable_cores() -> int:
    """Cores this process may run on: the affinity mask, capped by a cgroup quota."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        cores = os.cpu_count() or 1
    quota = _cgroup_cpus()
    if quota is not None:
        cores = min(cores, int(quota))
    return max(1, cores)


def free_cores(cores: int | None = None, load: float | None = None) -> int:
    """Usable cores minus those the rest of the machine keeps busy (the 1-minute load
    average, rounded), at least one."""
    cores = usable_cores() if cores is None else cores
    if load is None:
        try:
            load = os.getloadavg()[0]
        except (AttributeError, OSError):
            load = 0.0
    return max(1, min(cores, cores - int(load + 0.5)))


def choose_threads(environ: MutableMapping[str, str] | None = None) -> tuple[int, str]:
    """The intra-op thread count and the reason for it: ``GENAI_STUDIO_THREADS``, else
    the user's ``OMP_NUM_THREADS``, else the free cores."""
    environ = os.environ if environ is None else environ
    for name in (THREADS_ENV, "OMP_NUM_THREADS"):
        raw = environ.get(name, "").strip()
        if raw:
            try:
                value = int(raw)
            except ValueError:
                value = 0
            if value >= 1:
                return value, f"{name}={value}"
            print(
                f"warning: {name}={raw!r} is not a positive whole number; ignored", file=sys.stderr
            )
    cores = usable_cores()
    free = free_cores(cores)
    return free, f"{free} of {cores} cores free"


def configure(environ: MutableMapping[str, str] | None = None) -> ThreadPolicy:
    """Set the thread count and the passive OpenMP wait policy in the environment.

    Call before torch is imported (the window's and the CLI's ``main`` do, first
    thing). Values the user set are kept. Child processes (torchrun workers, the device
    probe) inherit them."""
    environ = os.environ if environ is None else environ
    threads, reason = choose_threads(environ)
    environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if environ.get(THREADS_ENV, "").strip() or not environ.get(name, "").strip():
            environ[name] = str(threads)
    return ThreadPolicy(
        threads=threads,
        wait_policy=environ["OMP_WAIT_POLICY"],
        reason=reason,
        applied="torch" not in sys.modules,
    )


# --- importing torch once ---------------------------------------------------------------
_TORCH_LOCK = threading.RLock()


def torch_ready() -> bool:
    """Whether torch is fully imported (not absent, not half-way through its import)."""
    module = sys.modules.get("torch")
    spec = getattr(module, "__spec__", None)
    return module is not None and not getattr(spec, "_initializing", False)


@contextmanager
def torch_import_guard() -> Iterator[None]:
    """Run the block alone among guarded blocks while torch is not fully imported.

    Blocks that import no torch pay only the wait; once torch is in, the guard is free.
    Torch half-imported by an unguarded thread is waited for (importing the top-level
    module waits on its import lock; its submodules do not)."""
    if torch_ready():
        yield
        return
    with _TORCH_LOCK:
        if "torch" in sys.modules and not torch_ready():
            importlib.import_module("torch")
        yield


def import_torch():
    """``import torch``, safe to call from several threads at once."""
    with torch_import_guard():
        return importlib.import_module("torch")
