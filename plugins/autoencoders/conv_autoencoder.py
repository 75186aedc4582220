"""A convolutional autoencoder: the book's VAE encoder and decoder (``conv_networks``)
with a deterministic code, the mean head only. The ``autoencoder`` model's
``network="conv"`` variant; the same interface as ``MLPAutoencoder``."""

from __future__ import annotations

import torch
from torch import nn

from .conv_networks import ConvDecoder, ConvEncoder


class ConvAutoencoder(nn.Module):
    def __init__(
        self,
        image_shape: tuple[int, int, int],
        latent_dim: int = 20,
        hidden: int = 200,
        width: int = 8,
    ) -> None:
        super().__init__()
        channels, size, _ = image_shape
        self.image_shape = tuple(image_shape)
        self.latent_dim = latent_dim
        self.encoder = ConvEncoder(channels, size, latent_dim, width, hidden, heads=1)
        self.decoder_net = ConvDecoder(channels, size, latent_dim, width, hidden)

    def encode(self, images: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) images in [0, 1] -> (N, latent_dim) codes."""
        return self.encoder(images)[0]

    def decode_logits(self, codes: torch.Tensor) -> torch.Tensor:
        return self.decoder_net.logits(codes)

    def decoder(self, codes: torch.Tensor) -> torch.Tensor:
        """Codes -> (N, C, H, W) images in [0, 1]."""
        return self.decoder_net(codes)

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        codes = self.encode(images)
        return self.decoder(codes), codes
