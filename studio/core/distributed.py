"""Multi-process training under ``torchrun``, with PyTorch's own distributed engine.

``torchrun --nproc-per-node N -m studio.cli train ...`` starts N copies of the CLI with
RANK / WORLD_SIZE / LOCAL_RANK / MASTER_ADDR set. Each rank builds the same model from
the same seed (and rank 0's weights are broadcast, as DistributedDataParallel does),
takes its slice of every global batch, and gradients are averaged across ranks before
each optimizer step (NCCL on GPUs, gloo on CPU). Rank 0 alone writes the run
directory; its checkpoints are ordinary single-process checkpoints.

Why the gradients are averaged in ``Trainer.optimize`` rather than by wrapping every
network in ``DistributedDataParallel``: the book's models step several networks per
batch (a GAN's generator and discriminator, a critic five times per generator step),
and DDP's reducer expects one forward and one backward per wrapped module per step.
Averaging, per optimizer, the gradients of its parameters is what DDP computes,
without that constraint. The global batch is sliced (not sampled per rank by a
``DistributedSampler``) so that a run on N processes sees exactly the batches of a
one-process run, which is what makes their losses and weights comparable and resume
exact.
"""

from __future__ import annotations

import contextlib
import datetime
import gc
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class DistContext:
    """This process's place in a distributed job (rank 0 of 1 when not distributed)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


SINGLE = DistContext()


def launched_by_torchrun() -> bool:
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def setup(device: torch.device, timeout_s: float = 600.0) -> DistContext:
    """Join the process group torchrun describes in the environment (once).

    NCCL when ``device`` is a GPU, gloo otherwise. ``timeout_s`` bounds how long a rank
    waits for a peer that has died before it gives up.
    """
    if not launched_by_torchrun():
        return SINGLE
    ctx = DistContext(
        rank=int(os.environ["RANK"]),
        world_size=int(os.environ["WORLD_SIZE"]),
        local_rank=int(os.environ.get("LOCAL_RANK", "0")),
    )
    if not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group(
            backend, timeout=datetime.timedelta(seconds=timeout_s), device_id=None
        )
    return ctx


def local_device(name: str | None) -> str | None:
    """Under torchrun, "auto" or "cuda" means this rank's own GPU (cuda:LOCAL_RANK)."""
    if not launched_by_torchrun():
        return name
    if (name or "auto") in ("auto", "cuda") and torch.cuda.is_available():
        return f"cuda:{int(os.environ.get('LOCAL_RANK', '0'))}"
    return name


def current() -> DistContext:
    """The context of an initialised process group, else ``SINGLE``."""
    if not (dist.is_available() and dist.is_initialized()):
        return SINGLE
    return DistContext(
        dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0"))
    )


def broadcast_modules(modules: Iterable[torch.nn.Module]) -> None:
    """Give every rank rank 0's parameters and buffers."""
    for module in modules:
        for tensor in [*module.parameters(), *module.buffers()]:
            dist.broadcast(tensor.data, src=0)


def average_gradients(params: Iterable[torch.nn.Parameter]) -> None:
    """Average the gradients of ``params`` across ranks, in one flat buffer per dtype
    (one collective instead of one per tensor)."""
    world = dist.get_world_size()
    by_dtype: dict[torch.dtype, list[torch.Tensor]] = {}
    for p in params:
        if p.grad is not None:
            by_dtype.setdefault(p.grad.dtype, []).append(p.grad)
    for grads in by_dtype.values():
        flat = torch.cat([g.reshape(-1) for g in grads])
        dist.all_reduce(flat)
        flat /= world
        offset = 0
        for g in grads:
            n = g.numel()
            g.copy_(flat[offset : offset + n].view_as(g))
            offset += n


def average_values(
    values: list[float], stop: bool, device: torch.device
) -> tuple[list[float], bool]:
    """Average per-rank scalars (the step's losses) and agree on stopping: one collective
    per step, so every rank leaves the loop at the same step."""
    t = torch.tensor([*values, 1.0 if stop else 0.0], dtype=torch.float64, device=device)
    dist.all_reduce(t)
    world = dist.get_world_size()
    out = (t[:-1] / world).tolist()
    return out, bool(t[-1].item() > 0)


def teardown(clean: bool = True) -> None:
    """Leave the process group, completely, while the interpreter is fully alive.

    After a clean end the ranks first wait for each other: a rank that tears gloo down
    while a peer is still using it breaks the peer's last collective. After a failure
    there may be no peer left to wait for.

    Why a finished rank could still abort at exit ("terminate called without an active
    exception", exit -6): ``destroy_process_group`` unregisters the group, but its C++
    objects (gloo's worker threads and the work items they hold, with their tensors)
    live until the last Python reference goes, which a reference cycle can postpone to
    interpreter finalization; destroying them then needs the GIL of an interpreter
    being torn down, and the process aborts. So the references are dropped and
    collected here; :func:`exit_now` then leaves without finalization at all.
    """
    if not (dist.is_available() and dist.is_initialized()):
        return
    if clean:
        # A peer gone at the very end leaves nothing to wait for.
        with contextlib.suppress(Exception):
            dist.barrier()
    dist.destroy_process_group()
    gc.collect()  # the group's C++ objects go now, not during finalization


def exit_now(code: int) -> None:
    """End a distributed worker process: flush what it printed, then exit without the
    interpreter's finalization (nothing is left to clean up once :func:`teardown`
    has run and the run folder is closed, and finalization is where gloo's threads
    could still abort the process, turning a finished job into a failed one)."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)
