"""The fully connected GAN of the book's chapter 4, sized from the image shape.

Generator: noise (100) -> 256 -> 512 -> 1024 -> pixels, ReLU, tanh output in [-1, 1].
Discriminator: pixels -> 1024 -> 512 -> 256 -> 1, ReLU and dropout 0.3. The book ends
the discriminator with a sigmoid and uses BCELoss; here it returns the logit and the
trainer uses BCEWithLogitsLoss: the same loss, numerically safe under mixed precision.
"""

from __future__ import annotations

import torch
from torch import nn


class MLPGenerator(nn.Module):
    def __init__(self, latent_dim: int, image_shape: tuple[int, int, int], hidden: int = 256):
        super().__init__()
        self.image_shape = tuple(image_shape)
        pixels = int(torch.tensor(image_shape).prod())
        self.net = nn.Sequential(
            nn.Linear(latent_dim, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden * 2),
            nn.ReLU(),
            nn.Linear(hidden * 2, hidden * 4),
            nn.ReLU(),
            nn.Linear(hidden * 4, pixels),
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """(N, latent_dim) noise -> (N, C, H, W) images in [-1, 1]."""
        return self.net(z).view(z.shape[0], *self.image_shape)


class MLPDiscriminator(nn.Module):
    def __init__(self, image_shape: tuple[int, int, int], hidden: int = 256, dropout: float = 0.3):
        super().__init__()
        pixels = int(torch.tensor(image_shape).prod())
        self.net = nn.Sequential(
            nn.Linear(pixels, hidden * 4),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden * 4, hidden * 2),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden * 2, hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, 1),
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) images -> (N,) logits of "real"."""
        return self.net(images.flatten(1)).squeeze(1)
