"""The embedded dataset: a mixture of eight Gaussians on a circle, generated in code."""

from __future__ import annotations

import math

import torch

from studio import api

RADIUS, SIGMA, MODES = 2.0, 0.15, 8


def centres() -> torch.Tensor:
    angles = torch.arange(MODES) * (2 * math.pi / MODES)
    return RADIUS * torch.stack([angles.cos(), angles.sin()], 1)


def eight_gaussians(n: int = 4096, seed: int = 0) -> api.LoadedDataset:
    g = torch.Generator().manual_seed(seed)
    which = torch.randint(0, MODES, (n,), generator=g)
    points = centres()[which] + SIGMA * torch.randn(n, 2, generator=g)
    train, val = api.split((points,), 0.1, seed)
    return api.LoadedDataset(
        kind="points2d", train=train, val=val, info={"reference": centres().tolist()}
    )
