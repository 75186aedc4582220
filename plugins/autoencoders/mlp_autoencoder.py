"""The book's fully connected autoencoder (chapter 7, listing "Build and train an
autoencoder"): 784 pixels -> 200 -> a code of 20 -> 200 -> 784 pixels.

The encoder is one hidden layer with ReLU and a linear code; the decoder mirrors it
and ends in a sigmoid, so images are in [0, 1] as the book's ``ToTensor`` gives
them. The layer names are the book's (``common``, ``encoded``, ``l1``, ``decode``).
Sized from the image (``channels`` x ``size`` x ``size`` inputs), so it also takes
images other than MNIST's 28 x 28.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class MLPAutoencoder(nn.Module):
    def __init__(self, image_shape: tuple[int, int, int], latent_dim: int = 20, hidden: int = 200):
        super().__init__()
        self.image_shape = tuple(image_shape)
        pixels = image_shape[0] * image_shape[1] * image_shape[2]
        self.latent_dim = latent_dim
        self.common = nn.Linear(pixels, hidden)
        self.encoded = nn.Linear(hidden, latent_dim)
        self.l1 = nn.Linear(latent_dim, hidden)
        self.decode = nn.Linear(hidden, pixels)

    def encode(self, images: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) images in [0, 1] -> (N, latent_dim) codes."""
        return self.encoded(F.relu(self.common(images.flatten(1))))

    def decode_logits(self, codes: torch.Tensor) -> torch.Tensor:
        """Codes -> (N, C, H, W) pre-sigmoid outputs (for a BCE loss)."""
        out = self.decode(F.relu(self.l1(codes)))
        return out.view(-1, *self.image_shape)

    def decoder(self, codes: torch.Tensor) -> torch.Tensor:
        """Codes -> (N, C, H, W) images in [0, 1]."""
        return torch.sigmoid(self.decode_logits(codes))

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(reconstructions, codes), as the book's ``AE.forward`` returns them."""
        codes = self.encode(images)
        return self.decoder(codes), codes
