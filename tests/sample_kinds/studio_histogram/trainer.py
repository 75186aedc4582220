"""A one-parameter model: learns the data's mean; samples are mean + noise."""

from __future__ import annotations

import torch

from studio import api

from .kind import Histogram


class HistTrainer(api.Trainer):
    def __init__(self, config, dataset, device):
        super().__init__(config, dataset, device)
        self.shift = torch.nn.Parameter(torch.zeros(1, device=device))
        self.holder = torch.nn.ParameterList([self.shift])
        self.opt = torch.optim.SGD(self.holder.parameters(), lr=config.lr)

    def modules(self):
        return {"shift": self.holder}

    def optimizers(self):
        return {"opt": self.opt}

    def train_step(self, batch, step):
        (x,) = batch if isinstance(batch, (tuple, list)) else (batch,)
        loss = ((x - self.shift) ** 2).mean()
        self.optimize(loss, self.opt)
        return {"loss": loss.detach()}

    def sample(self, generator, n=None, options=None):
        z = torch.randn(n or 200, generator=generator) * 0.2
        values = (z + self.shift.detach().cpu()).numpy()
        return Histogram.of(values)
