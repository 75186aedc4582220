"""Networks of the number GAN (book, chapter 3): integers 0..99 as one-hot vectors."""

from __future__ import annotations

from torch import nn


class NumberGenerator(nn.Module):
    """noise (width) -> width scores; the arg-max is the generated integer."""

    def __init__(self, width: int = 100) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(width, width), nn.ReLU())

    def forward(self, z):
        return self.net(z)


class NumberDiscriminator(nn.Module):
    """one-hot vector (width) -> probability that it is a real multiple of 5."""

    def __init__(self, width: int = 100) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(width, 1), nn.Sigmoid())

    def forward(self, x):
        return self.net(x)
