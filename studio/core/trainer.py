"""The Trainer base class: what a plugin implements so the engine can train its model.

The engine owns the loop (device, precision, seeding, steps, checkpoints, previews,
stop/pause/resume, NaN and out-of-memory handling). A Trainer says only what one
step is and how to sample::

    class MyTrainer(Trainer):
        def __init__(self, config, dataset, device):
            super().__init__(config, dataset, device)
            self.net = MyNet(config).to(device)
            self.opt = torch.optim.Adam(self.net.parameters(), lr=config.lr)

        def modules(self):    return {"net": self.net}
        def optimizers(self): return {"opt": self.opt}

        def train_step(self, batch, step):
            with self.autocast():
                loss = self.net(batch).mean()
            self.optimize(loss, self.opt)
            return {"loss": loss}

        def sample(self, generator, n=None, options=None):
            ...

A model with typed sampling options (``ModelSpec.sample_options``) receives an instance
of that dataclass as ``options`` (``None``: its defaults, as for the engine's previews).
A model whose sampling produces parts (tokens, denoising steps) also overrides
``sample_stream`` to yield them, checking the cancel token between parts.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import torch
from torch import nn

from studio.core.datasets import LoadedDataset
from studio.core.samples import Sample
from studio.core.sampling import CancelToken


class Trainer:
    """Base class for a model's training step and sampling.

    Subclasses build their networks and optimizers in ``__init__`` (on ``device``;
    the engine has already seeded every RNG) and implement ``modules``,
    ``optimizers``, ``train_step`` and ``sample``.
    """

    def __init__(self, config: Any, dataset: LoadedDataset, device: torch.device) -> None:
        self.config = config
        self.dataset = dataset
        self.device = torch.device(device)
        self.amp_dtype: torch.dtype | None = None  # set by the engine
        self.scaler: torch.amp.GradScaler | None = None  # set by the engine for fp16
        self.distributed = False  # set by the engine under torchrun: average gradients
        # The run's target step count, set by the engine (0: not known, e.g. sampling);
        # a schedule may end with the run (the text models' decay_steps 0).
        self.total_steps = 0
        # The health monitor's gradient norm (studio.core.health): measured in
        # ``optimize`` every N calls when the engine sets N (0: never).
        self.grad_norm_every = 0
        self.grad_norm: float | None = None
        self._optimize_calls = 0

    # --- to implement --------------------------------------------------------
    def modules(self) -> dict[str, nn.Module]:
        """The networks, by name; their weights are what a checkpoint's model file holds."""
        raise NotImplementedError

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        """The optimizers, by name; saved and restored with each checkpoint."""
        raise NotImplementedError

    def train_step(self, batch: Any, step: int) -> dict[str, torch.Tensor | float]:
        """One optimisation step on ``batch`` (already on the device); returns named losses."""
        raise NotImplementedError

    def sample(
        self, generator: torch.Generator, n: int | None = None, options: Any = None
    ) -> Sample:
        """Generate a sample using only ``generator`` for randomness (the engine calls it
        with a fixed seed for previews, so samples over training are comparable).

        ``options`` is an instance of the model's ``sample_options`` dataclass, or
        ``None`` for its defaults (the engine's previews pass ``None``)."""
        raise NotImplementedError

    def sample_stream(
        self,
        generator: torch.Generator,
        n: int | None = None,
        options: Any = None,
        cancel: CancelToken | None = None,
    ) -> Iterator[Sample]:
        """Yield partial samples as they are made (tokens so far, denoising steps...);
        the last one yielded is the final sample. Check ``cancel`` between parts
        (``cancel.raise_if_cancelled()``). By default: the whole sample, once."""
        if cancel is not None:
            cancel.raise_if_cancelled()
        yield self.sample(generator, n, options)

    # --- optional ------------------------------------------------------------
    def schedulers(self) -> dict[str, Any]:
        """Learning-rate schedulers by name (stepped by the trainer; saved by the engine)."""
        return {}

    @property
    def batch_size(self) -> int:
        """Batch size the engine draws; defaults to ``config.batch_size``."""
        return int(getattr(self.config, "batch_size", 32))

    def validate(self) -> dict[str, float]:
        """Named validation scalars (the engine logs them as ``val/<name>``); empty if none."""
        return {}

    def extra_state(self) -> dict[str, Any]:
        """Any other state to checkpoint (JSON values and tensors)."""
        return {}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        """Restore what ``extra_state`` returned."""

    # --- helpers -------------------------------------------------------------
    def autocast(self) -> contextlib.AbstractContextManager:
        """Mixed precision for forward passes when the run asked for it, else nothing."""
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=self.amp_dtype)

    def optimize(
        self, loss: torch.Tensor, optimizer: torch.optim.Optimizer, clip: float | None = None
    ) -> None:
        """zero_grad, backward, optional gradient clipping, step; loss scaling for fp16;
        under torchrun the gradients are averaged across processes before the step."""
        optimizer.zero_grad(set_to_none=True)
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
            self._sync(optimizer)
            if clip:
                self.scaler.unscale_(optimizer)
                self._clip(optimizer, clip)
            self.scaler.step(optimizer)
        else:
            loss.backward()
            self._sync(optimizer)
            self._measure(optimizer)
            if clip:
                self._clip(optimizer, clip)
            optimizer.step()

    def _measure(self, optimizer: torch.optim.Optimizer) -> None:
        """The total gradient norm, every ``grad_norm_every`` calls (fp32 and bf16: an
        fp16 run's gradients are scaled, so its norms are not comparable step to step)."""
        if not self.grad_norm_every:
            return
        self._optimize_calls += 1
        if self._optimize_calls % self.grad_norm_every:
            return
        grads = [p.grad for g in optimizer.param_groups for p in g["params"] if p.grad is not None]
        if grads:
            norms = torch.stack([torch.linalg.vector_norm(g) for g in grads])
            norm = torch.linalg.vector_norm(norms)
            value = float(norm)  # the largest of a step's optimizers; a NaN wins
            if self.grad_norm is None or not value <= self.grad_norm:
                self.grad_norm = value

    def _sync(self, optimizer: torch.optim.Optimizer) -> None:
        if self.distributed:
            from studio.core.distributed import average_gradients

            average_gradients(p for g in optimizer.param_groups for p in g["params"])

    @staticmethod
    def _clip(optimizer: torch.optim.Optimizer, clip: float) -> None:
        params = [p for g in optimizer.param_groups for p in g["params"]]
        torch.nn.utils.clip_grad_norm_(params, clip)

    @contextlib.contextmanager
    def eval_mode(self) -> Iterator[None]:
        """All modules in eval mode and no autograd; restores training mode after."""
        mods = self.modules()
        was = {k: m.training for k, m in mods.items()}
        for m in mods.values():
            m.eval()
        try:
            with torch.no_grad():
                yield
        finally:
            for k, m in mods.items():
                m.train(was[k])

    def weights(self) -> dict[str, torch.Tensor]:
        """All module weights flattened as ``<module>.<key>``."""
        return {
            f"{name}.{k}": v
            for name, m in self.modules().items()
            for k, v in m.state_dict().items()
        }

    def load_weights(self, weights: dict[str, torch.Tensor]) -> None:
        """Load what ``weights`` returned (strict: every key must match)."""
        for name, module in self.modules().items():
            prefix = f"{name}."
            part = {k[len(prefix) :]: v for k, v in weights.items() if k.startswith(prefix)}
            module.load_state_dict(part, strict=True)
