"""An exponential moving average of a network's weights (DDPM samples from it).

After each optimizer step: ``ema = d * ema + (1 - d) * weights``, with the decay
warmed up as ``min(decay, (1 + n) / (10 + n))`` so that early on the average follows
the fast-changing weights instead of remembering the random start.
"""

from __future__ import annotations

import copy

import torch
from torch import nn


class EMA(nn.Module):
    """Holds ``shadow``, a frozen copy of ``model`` that trails its weights."""

    def __init__(self, model: nn.Module, decay: float = 0.999) -> None:
        super().__init__()
        self.decay = decay
        self.shadow = copy.deepcopy(model).eval().requires_grad_(False)
        self.register_buffer("updates", torch.zeros((), dtype=torch.long))

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        n = int(self.updates)
        d = min(self.decay, (1 + n) / (10 + n))
        ema = list(self.shadow.parameters()) + list(self.shadow.buffers())
        new = list(model.parameters()) + list(model.buffers())
        floats = [(e, m) for e, m in zip(ema, new, strict=True) if e.dtype.is_floating_point]
        torch._foreach_lerp_([e for e, _ in floats], [m.detach() for _, m in floats], 1 - d)
        self.updates += 1
