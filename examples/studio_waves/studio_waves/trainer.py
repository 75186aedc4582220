"""The model: an MLP that predicts the next point of a waveform (a mean and a log
standard deviation) from the ``context`` points before it."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from studio import api

from .kind import Waveforms


def sine_waves(n: int, points: int, seed: int = 0) -> torch.Tensor:
    """``n`` waves sin(f t + phase), f in [0.2, 0.6] rad per point."""
    g = torch.Generator().manual_seed(seed)
    freq = 0.2 + 0.4 * torch.rand(n, 1, generator=g)
    phase = 2 * math.pi * torch.rand(n, 1, generator=g)
    return torch.sin(freq * torch.arange(points).float() + phase)


def roughness(values: np.ndarray) -> float:
    """Mean |second difference|: about 0.1 for the data's sines, far more for noise."""
    return float(np.abs(np.diff(values, 2, axis=1)).mean())


class WaveTrainer(api.Trainer):
    """The data set's ``train`` is a tuple of one tensor (waves, 64), so each batch is
    a float tensor (batch_size, 64) of its rows (with two tensors, such as images and
    labels, a batch is the tuple of both)."""

    def __init__(self, config, dataset, device):
        super().__init__(config, dataset, device)
        self.waves = dataset.train[0]
        c = config.context
        self.net = nn.Sequential(
            nn.Linear(c, config.hidden), nn.Tanh(), nn.Linear(config.hidden, 2)
        ).to(device)
        self.opt = torch.optim.Adam(self.net.parameters(), lr=config.lr)

    def modules(self):
        return {"net": self.net}

    def optimizers(self):
        return {"opt": self.opt}

    def train_step(self, batch, step):
        waves = batch
        c = self.config.context
        windows = waves.unfold(1, c + 1, 1).reshape(-1, c + 1)  # every (past, next) pair
        mean, log_std = self.net(windows[:, :c]).unbind(1)
        log_std = log_std.clamp(-7, 2)
        nll = (log_std + 0.5 * ((windows[:, c] - mean) / log_std.exp()) ** 2).mean()
        self.optimize(nll, self.opt)
        return {"nll": nll.detach()}

    def sample(self, generator, n=None, options=None):
        *_, last = self.sample_stream(generator, n, options)
        return last

    def sample_stream(self, generator, n=None, options=None, cancel=None):
        """Yield the waves every ``options.every`` points; the last one is final."""
        from . import WaveOptions

        opts = options or WaveOptions()
        c = self.config.context
        rows = torch.randint(len(self.waves), (n or opts.waves,), generator=generator)
        values = self.waves[rows, :c].clone().to(self.device)
        for i in range(opts.length):
            if cancel is not None:
                cancel.raise_if_cancelled()
            mean, log_std = self.net(values[:, -c:]).unbind(1)
            noise = torch.randn(len(values), generator=generator).to(self.device)
            nxt = mean + opts.temperature * log_std.clamp(-7, 2).exp() * noise
            values = torch.cat([values, nxt[:, None]], 1)
            if (i + 1) % opts.every == 0 or i + 1 == opts.length:
                out = values.cpu().numpy()
                yield Waveforms(values=out, prompt=c, metrics={"roughness": roughness(out[:, c:])})
