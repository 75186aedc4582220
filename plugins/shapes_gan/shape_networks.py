"""Networks of the shape GAN (book, chapter 3): a small generator turning 2-D noise
into a point, and a discriminator telling real points on the curve from fakes."""

from __future__ import annotations

from torch import nn


class ShapeGenerator(nn.Module):
    """noise (latent_dim) -> 16 -> 32 -> point (x, y)."""

    def __init__(self, latent_dim: int = 2) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(latent_dim, 16),
            nn.ReLU(),
            nn.Linear(16, 32),
            nn.ReLU(),
            nn.Linear(32, 2),
        )

    def forward(self, z):
        return self.net(z)


class ShapeDiscriminator(nn.Module):
    """point (x, y) -> 256 -> 128 -> 64 -> probability that it is real."""

    def __init__(self, dropout: float = 0.3) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(2, 256),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(256, 128),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(128, 64),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(64, 1),
            nn.Sigmoid(),
        )

    def forward(self, x):
        return self.net(x)
