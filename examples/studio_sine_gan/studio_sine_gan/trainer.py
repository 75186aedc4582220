"""The networks and the training step. The engine owns the loop; this says what one
step is and how to sample."""

from __future__ import annotations

import math
from itertools import pairwise

import numpy as np
import torch
from torch import nn

from studio import api


def mlp(sizes: list[int], out: nn.Module | None = None) -> nn.Sequential:
    layers: list[nn.Module] = []
    for a, b in pairwise(sizes):
        layers += [nn.Linear(a, b), nn.LeakyReLU(0.2)]
    layers = layers[:-1] + ([out] if out is not None else [])
    return nn.Sequential(*layers)


class SineGANTrainer(api.Trainer):
    def __init__(self, config, dataset, device):
        super().__init__(config, dataset, device)
        self.generator = mlp([config.noise, 64, 64, 2]).to(self.device)
        self.discriminator = mlp([2, 64, 64, 1], nn.Sigmoid()).to(self.device)
        self.opt_g = torch.optim.Adam(self.generator.parameters(), lr=config.lr)
        self.opt_d = torch.optim.Adam(self.discriminator.parameters(), lr=config.lr)
        self.bce = nn.BCELoss()

    def modules(self):
        return {"generator": self.generator, "discriminator": self.discriminator}

    def optimizers(self):
        return {"generator": self.opt_g, "discriminator": self.opt_d}

    def train_step(self, batch, step):
        n = batch.shape[0]
        ones = torch.ones(n, 1, device=self.device)
        zeros = torch.zeros(n, 1, device=self.device)
        with self.autocast():
            fake = self.generator(torch.randn(n, self.config.noise, device=self.device))
            d_loss = self.bce(self.discriminator(batch), ones) + self.bce(
                self.discriminator(fake.detach()), zeros
            )
        self.optimize(d_loss, self.opt_d)
        with self.autocast():
            g_loss = self.bce(self.discriminator(fake), ones)
        self.optimize(g_loss, self.opt_g)
        return {"d_loss": d_loss.detach(), "g_loss": g_loss.detach()}

    def sample(self, generator, n=None):
        z = torch.randn(n or 256, self.config.noise, generator=generator).to(self.device)
        pts = self.generator(z).float().cpu().numpy()
        x = np.linspace(-math.pi, math.pi, 200)
        metrics = {
            # how far points are from the wave, and how widely they spread along it
            # (the data's x is uniform on [-pi, pi]: standard deviation 1.81)
            "sine_error": float(np.abs(pts[:, 1] - np.sin(pts[:, 0])).mean()),
            "x_spread": float(pts[:, 0].std()),
        }
        return api.Points(points=pts, reference=np.stack([x, np.sin(x)], 1), metrics=metrics)
