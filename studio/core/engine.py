"""The training loop, owned by the engine so every model gets the same guarantees:
seeding, device and precision, steps, previews at a fixed seed, checkpoints written
atomically, exact resume, stop/pause, and a clean end on NaN, out-of-memory or a
plugin's exception (the last good checkpoint is kept and the reason is recorded).

The engine is Qt-free; it reports through an ``EngineListener`` (plain callbacks),
which the GUI's bridge turns into batched Qt signals and the CLI into a progress bar.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
import traceback
from collections.abc import Iterator
from typing import Any

import torch

from studio.core.checkpoint import (
    CheckpointError,
    Chosen,
    load_checkpoint,
    newest_intact,
    prune_checkpoints,
    save_checkpoint,
)
from studio.core.datasets import BatchOrder, move_to
from studio.core.devices import resolve_precision
from studio.core.distributed import SINGLE, DistContext
from studio.core.early_stop import EarlyStopper, StopCriterion
from studio.core.listener import EngineListener, EngineResult
from studio.core.restore import (
    load_model_state,
    rng_state,
    seed_everything,
    set_rng_state,
    tensors_in,
)
from studio.core.rundir import RunDir
from studio.core.samples import Sample
from studio.core.trainer import Trainer

# Held around every training step, and by anyone else in the process who touches the
# global RNGs (e.g. the GUI building a model to sample from a checkpoint under
# ``fork_rng``), so that a live run's random stream is never disturbed.
RNG_LOCK = threading.RLock()

PREVIEW_SEED = 1234  # previews use their own generator: the same latents at every step
METRICS_FLUSH_S = 0.5
GRAD_NORM_EVERY = 10  # optimizer steps between the health monitor's gradient norms
STATUS_EVERY_S = 2.0  # status.json's step is refreshed this often while running


def _is_peer_failure(exc: Exception) -> bool:
    """A collective failed because a peer process died or hung (gloo or NCCL)."""
    dist_error = getattr(torch.distributed, "DistError", ())
    text = str(exc)
    return isinstance(exc, dist_error) or any(
        k in text for k in ("gloo", "NCCL", "Connection reset by peer", "Connection closed")
    )


class Engine:
    """Runs a Trainer in a run directory until ``total_steps``, a stop, or a failure.

    Call ``run()`` in the thread that should do the work; ``stop()``, ``pause()`` and
    ``unpause()`` are safe from any thread.
    """

    def __init__(
        self,
        run: RunDir,
        trainer: Trainer,
        *,
        total_steps: int,
        seed: int,
        precision: str = "fp32",
        sample_every: int = 100,
        checkpoint_every: int = 500,
        checkpoint_minutes: float = 0.0,
        validate_every: int = 0,
        keep_checkpoints: int = 3,
        listener: EngineListener | None = None,
        dist: DistContext = SINGLE,
        lock: Any = None,
        stop: StopCriterion | None = None,
        health: Any = None,
    ) -> None:
        self.dist = dist
        self.run_dir = run
        self.trainer = trainer
        self.total_steps = int(total_steps)
        self.seed = int(seed)
        self.sample_every = int(sample_every)
        self.checkpoint_every = int(checkpoint_every)
        # Also checkpoint when this many minutes passed since the last one (0: off).
        self.checkpoint_minutes = float(checkpoint_minutes)
        self.validate_every = int(validate_every)
        self.keep_checkpoints = max(1, int(keep_checkpoints))
        self.listener = listener or EngineListener()
        self.step = 0
        self.epoch = 0
        self.batch_in_epoch = 0
        self._elapsed_before = 0.0
        self._stop = threading.Event()
        self._pause = threading.Event()
        self._last_good_checkpoint: int | None = None
        self._last_checkpoint_time = time.perf_counter()
        # The run folder's ``RunLock``, held from construction until ``run()`` ends.
        self._lock = lock
        self.device = trainer.device
        trainer.total_steps = self.total_steps  # a schedule may end with the run
        trainer.amp_dtype = resolve_precision(precision, self.device)
        if precision == "fp16":
            trainer.scaler = torch.amp.GradScaler(self.device.type)
        self._agreed_stop = False
        # Early stopping (studio.core.early_stop) and the health monitor
        # (studio.core.health): both read the metrics rows as they are made.
        self.stopper = EarlyStopper(stop) if stop is not None else None
        self._early = False
        self.health = health
        if health is not None and health.alarms:
            trainer.grad_norm_every = GRAD_NORM_EVERY
        if dist.enabled:
            from studio.core import distributed

            trainer.distributed = True
            distributed.broadcast_modules(trainer.modules().values())
            self._seed_rank()

    def _seed_rank(self) -> None:
        """Ranks other than 0 draw their own noise and dropout (rank 0 keeps the stream
        a one-process run would have)."""
        if self.dist.rank > 0:
            seed_everything(self.seed + 7919 * self.dist.rank + self.step)

    # --- control, from any thread -----------------------------------------------
    def stop(self) -> None:
        self._stop.set()
        self._pause.clear()

    def pause(self) -> None:
        self._pause.set()

    def unpause(self) -> None:
        self._pause.clear()

    @property
    def paused(self) -> bool:
        return self._pause.is_set()

    # --- checkpoints ---------------------------------------------------------
    def _state(self) -> dict[str, Any]:
        t = self.trainer
        return {
            "step": self.step,
            "epoch": self.epoch,
            "batch_in_epoch": self.batch_in_epoch,
            "elapsed": self._elapsed(),
            "seed": self.seed,
            "optimizers": {k: o.state_dict() for k, o in t.optimizers().items()},
            "schedulers": {k: s.state_dict() for k, s in t.schedulers().items()},
            "scaler": t.scaler.state_dict() if t.scaler is not None else None,
            "rng": rng_state(),
            "trainer": t.extra_state(),
            **({"early_stop": self.stopper.state(self.step)} if self.stopper else {}),
            **({"health": self.health.state()} if self.health is not None else {}),
        }

    def save_checkpoint(self) -> None:
        if not self.dist.is_main:  # rank 0's weights are every rank's weights
            self._last_good_checkpoint = self.step
            return
        save_checkpoint(
            self.run_dir.checkpoints_dir, self.step, self.trainer.weights(), self._state()
        )
        prune_checkpoints(self.run_dir.checkpoints_dir, self.keep_checkpoints)
        self._last_good_checkpoint = self.step
        self._last_checkpoint_time = time.perf_counter()
        self._event(f"checkpoint written at step {self.step}")

    def _checkpoint_due(self) -> bool:
        if self.checkpoint_every and self.step % self.checkpoint_every == 0:
            return True
        # By time as well, so that a long first interval (or a slow model) is
        # protected: rank 0 decides alone, since only it writes.
        minutes = self.checkpoint_minutes
        return minutes > 0 and time.perf_counter() - self._last_checkpoint_time >= minutes * 60

    def restore(self, checkpoint_dir) -> None:
        """Load weights, optimizer, scheduler, RNG and loop position from one
        checkpoint (``CheckpointError`` if it is damaged or not this model's)."""
        weights, state = load_checkpoint(checkpoint_dir)
        self._apply(weights, state, checkpoint_dir)

    def restore_newest(self) -> Chosen:
        """Restore the newest intact checkpoint; a damaged newer one is passed over,
        saying which and why (events.log and the listener). ``NoCheckpoint`` or
        ``CheckpointError`` (one line) when none can be used; ``DatasetError`` when
        the data changed since the run was made."""
        chosen = newest_intact(self.run_dir.checkpoints_dir, self._apply)
        if chosen.skipped:
            self._event(chosen.note(), "WARNING")
        return chosen

    def _apply(self, weights: dict[str, torch.Tensor], state: Any, directory) -> None:
        name = getattr(directory, "name", str(directory))
        t = self.trainer
        load_model_state(t, weights, state, name, self.run_dir)
        try:
            t.load_weights({k: v.to(self.device) for k, v in weights.items()})
            for k, opt in t.optimizers().items():
                opt.load_state_dict(state["optimizers"][k])
            for k, sched in t.schedulers().items():
                sched.load_state_dict(state["schedulers"][k])
            if t.scaler is not None and state.get("scaler"):
                t.scaler.load_state_dict(state["scaler"])
            step = int(state["step"])
            epoch, batch = int(state["epoch"]), int(state["batch_in_epoch"])
            elapsed = float(state.get("elapsed", 0.0))
            set_rng_state(state["rng"])
        except (KeyError, TypeError, ValueError, IndexError, RuntimeError) as exc:
            what = f"{exc.args[0]!r} is missing" if isinstance(exc, KeyError) else str(exc)
            raise CheckpointError(
                f"checkpoint {name}: its training state is incomplete ({what.splitlines()[0]})"
            ) from None
        self.step, self.epoch, self.batch_in_epoch = step, epoch, batch
        self._elapsed_before = elapsed
        if self.stopper is not None:
            self.stopper.load_state(state.get("early_stop"))
        if self.health is not None:
            self.health.load_state(state.get("health"))
        self._last_good_checkpoint = self.step
        if self.dist.enabled:
            self._seed_rank()

    # --- the loop ----------------------------------------------------------------
    def _elapsed(self) -> float:
        return self._elapsed_before + (time.perf_counter() - self._t0)

    def _event(self, message: str, level: str = "INFO") -> None:
        if not self.dist.is_main:
            if level == "ERROR":  # a rank's own failure: say so on its stderr
                import sys

                print(f"rank {self.dist.rank}: {message}", file=sys.stderr)
            return
        self.run_dir.log_event(message, level)
        self.listener.on_event(message, level)

    def _set_state(self, state: str, message: str = "") -> None:
        if not self.dist.is_main:
            return
        self.run_dir.write_status(
            state, self.step, message, total=self.total_steps, world_size=self.dist.world_size
        )
        self.listener.on_state(state, self.step, message)

    def _write_metrics(self, rows: list[dict[str, Any]]) -> None:
        if self.dist.is_main:
            self.run_dir.append_metrics(rows)

    @contextlib.contextmanager
    def _aside(self) -> Iterator[None]:
        """Eval mode, no grad, and the global RNGs put back after: for work between
        steps (previews, validation) that must not change the training stream."""
        devices = [self.device] if self.device.type == "cuda" else []
        with RNG_LOCK, torch.random.fork_rng(devices=devices), self.trainer.eval_mode():
            yield

    def preview(self) -> Sample | None:
        """A sample at the fixed preview seed, without touching the training RNG (on
        rank 0 only in a distributed run)."""
        if not self.dist.is_main:
            return None
        with self._aside():
            g = torch.Generator(device="cpu").manual_seed(PREVIEW_SEED)
            sample = self.trainer.sample(g)
            if self.health is not None:  # the judge's scores join the sample's own
                sample.metrics.update(self.health.score_sample(sample))
        sample.save(self.run_dir.sample_stem(self.step))
        self.listener.on_sample(self.step, sample)
        return sample

    def _validate(self) -> dict[str, float]:
        if not self.dist.is_main:
            return {}
        with self._aside():
            return {f"val/{k}": float(v) for k, v in self.trainer.validate().items()}

    def _keep_msg(self) -> str:
        if self._last_good_checkpoint is None:
            return "no checkpoint was written before it"
        return f"the last good checkpoint (step {self._last_good_checkpoint}) is kept"

    def _watch(self, row: dict[str, Any]) -> bool:
        """Alarms and early stopping on a new metrics row (rank 0 decides: its rows are
        the logged ones); True when the loop should end now."""
        if not self.dist.is_main:
            return False
        if self.health is not None:
            grad_norm, self.trainer.grad_norm = self.trainer.grad_norm, None
            for alarm in self.health.observe(row, grad_norm):
                self._event(alarm.message(), "WARNING")
        if self.stopper is None or not self.stopper.watch(self.step, row, self.trainer.weights):
            return False
        self._early = True
        self._stop.set()  # under torchrun the ranks agree on it at the next step
        return not self.dist.enabled

    def release(self) -> None:
        """Let go of the run folder's lock (``run()`` does it when it ends)."""
        lock, self._lock = self._lock, None
        if lock is not None:
            lock.release()

    def run(self) -> EngineResult:
        """Train until the target step, a stop or a failure; the run folder's lock is
        released when it returns."""
        try:
            return self._run()
        finally:
            self.release()

    def _data_nonfinite(self, batch: Any) -> bool:
        """Whether the batch (or the weights it produced) holds NaN or inf: asked only
        after a step failed, so that a NaN in the data ends as a NaN, not as whatever
        error it caused downstream."""
        tensors = [x for x in tensors_in(batch) if x.is_floating_point()]
        tensors += [p for m in self.trainer.modules().values() for p in m.parameters()]
        try:
            return any(not bool(torch.isfinite(x).all()) for x in tensors)
        except RuntimeError:
            return False

    def _run(self) -> EngineResult:
        self._t0 = time.perf_counter()
        self._last_checkpoint_time = time.perf_counter()
        t = self.trainer
        order = BatchOrder(
            t.dataset.train,
            t.batch_size,
            seed=self.seed,
            shard=(self.dist.rank, self.dist.world_size),
        )
        fresh = self.step == 0
        if self.dist.is_main:
            self.listener.on_start(self.step, self.total_steps, str(self.device))
        where = str(self.device)
        if self.dist.enabled:
            where = f"{self.dist.world_size} processes ({self.device.type})"
        self._event(
            f"{'start' if fresh else 'resume'} at step {self.step} of {self.total_steps} "
            f"on {where} ({order.n} items, batch {order.batch_size})"
        )
        self._set_state("running")
        pending: list[dict[str, Any]] = []
        last_flush = last_status = time.perf_counter()
        batch = None
        result: EngineResult | None = None
        try:
            if fresh and self.sample_every and self.dist.is_main:
                sample = self.preview()
                first = {"step": 0, "time": 0.0, "epoch": 0}
                first.update({f"sample/{k}": float(v) for k, v in sample.metrics.items()})
                pending.append(first)
                self.listener.on_metrics(first)
            batches = order.iterate(self.epoch, self.batch_in_epoch)
            while self.step < self.total_steps:
                if self._agreed_stop or (self._stop.is_set() and not self.dist.enabled):
                    break
                if self._pause.is_set():
                    self._write_metrics(pending)
                    pending.clear()
                    self._set_state("paused")
                    while self._pause.is_set() and not self._stop.is_set():
                        time.sleep(0.05)
                    if self._stop.is_set():
                        break
                    self._set_state("running")
                epoch, index, batch = next(batches)
                with RNG_LOCK:
                    losses = t.train_step(move_to(batch, self.device), self.step)
                    if t.scaler is not None:
                        t.scaler.update()
                self.step += 1
                self.epoch, self.batch_in_epoch = epoch, index + 1
                if self.batch_in_epoch >= order.batches_per_epoch:
                    self.epoch, self.batch_in_epoch = epoch + 1, 0
                row = {"step": self.step, "time": round(self._elapsed(), 4), "epoch": self.epoch}
                values = [float(v) for v in losses.values()]
                if self.dist.enabled:  # the losses of the global batch; stop together
                    from studio.core import distributed

                    values, self._agreed_stop = distributed.average_values(
                        values, self._stop.is_set(), self.device
                    )
                bad = []
                for name, value in zip(losses, values, strict=True):
                    row[name] = value
                    if not math.isfinite(value):
                        bad.append(name)
                if bad:
                    pending.append(row)
                    msg = (
                        f"loss {', '.join(bad)} became {row[bad[0]]} at step {self.step}; "
                        f"training stopped and {self._keep_msg()}. Try a lower learning rate"
                        + (" or fp32 precision" if t.amp_dtype is not None else "")
                        + "."
                    )
                    self._event(msg, "ERROR")
                    result = EngineResult("nan", self.step, msg)
                    break
                if self.validate_every and self.step % self.validate_every == 0:
                    row.update(self._validate())
                if self.sample_every and self.step % self.sample_every == 0:
                    sample = self.preview()
                    if sample is not None:
                        row.update({f"sample/{k}": float(v) for k, v in sample.metrics.items()})
                pending.append(row)
                if self.dist.is_main:
                    self.listener.on_metrics(row)
                if self._watch(row):
                    break
                now = time.perf_counter()
                if now - last_flush > METRICS_FLUSH_S:
                    self._write_metrics(pending)
                    pending.clear()
                    last_flush = now
                    if now - last_status > STATUS_EVERY_S and self.dist.is_main:
                        # The step in status.json, for readers of the folder; the
                        # listener has its own rows, so it is not told again.
                        self.run_dir.write_status(
                            "running",
                            self.step,
                            "",
                            total=self.total_steps,
                            world_size=self.dist.world_size,
                        )
                        last_status = now
                if self._checkpoint_due():
                    self._write_metrics(pending)
                    pending.clear()
                    self.save_checkpoint()
        except torch.cuda.OutOfMemoryError:
            msg = (
                f"out of memory on {self.device} at step {self.step}; {self._keep_msg()}. "
                "Lower the batch size or the model size, or use mixed precision."
            )
            self._event(msg + "\n" + traceback.format_exc(), "ERROR")
            result = EngineResult("failed", self.step, msg)
        except Exception as exc:
            msg = (
                f"training failed at step {self.step}: {type(exc).__name__}: {exc}; "
                f"{self._keep_msg()}."
            )
            nan = batch is not None and self._data_nonfinite(batch)
            if nan:
                msg = (
                    f"NaN or inf values reached the model at step {self.step + 1} "
                    f"(the data or the weights hold them; {type(exc).__name__}: "
                    f"{str(exc).splitlines()[0][:120] if str(exc) else ''}); training "
                    f"stopped and {self._keep_msg()}. Check the dataset for NaN/inf "
                    "values, or try a lower learning rate."
                )
            if self.dist.enabled and _is_peer_failure(exc):
                msg = (
                    f"another process of this {self.dist.world_size}-process job stopped "
                    f"at step {self.step} ({str(exc).splitlines()[0][:160]}); "
                    f"{self._keep_msg()}. Run the same torchrun command with --resume "
                    "to continue."
                )
            self._event(msg + "\n" + traceback.format_exc(), "ERROR")
            result = EngineResult("nan" if nan else "failed", self.step, msg)
        finally:
            self._write_metrics(pending)
        if result is None:
            early = self._early and self.stopper is not None
            restored = early and self.stopper.restore_into(self.trainer, self.step)
            if self.sample_every and (self.step % self.sample_every != 0 or restored):
                self.preview()  # a restored run's last preview shows the weights it keeps
            if self._last_good_checkpoint != self.step or restored:
                self.save_checkpoint()
            done = self.step >= self.total_steps
            state = "finished" if done or early else "stopped"
            what = "finished" if done else "stopped by request"
            message = f"{what} at step {self.step} ({self._elapsed():.1f} s)"
            if early:
                message = (
                    f"stopped early at step {self.step} ({self._elapsed():.1f} s): "
                    f"{self.stopper.reason(restored)}"
                )
            result = EngineResult(state, self.step, message)
            self._event(result.message)
        self._set_state(result.state, result.message)
        return result
