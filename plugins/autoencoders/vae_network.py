"""The book's variational autoencoder (chapter 7): the convolutional encoder gives each
image a normal distribution over codes (mean ``mu``, standard deviation
``std = exp(log_std)``), a code is drawn from it with the reparameterisation trick
(``z = mu + std * eps``, eps ~ N(0, 1), so gradients flow to mu and std), and the
decoder turns codes into images.

The book's encoder draws eps from a ``torch.distributions.Normal`` whose parameters it
moves to ``.cuda()`` in ``__init__`` (so it cannot be built without a GPU) and its
``forward`` moves the input to a global ``device``; here eps is drawn with
``randn_like`` on the input's device, from the global RNG (checkpointed by the engine)
or from a given generator.
"""

from __future__ import annotations

import torch
from torch import nn

from .conv_networks import ConvDecoder, ConvEncoder


def kl_to_standard_normal(mu: torch.Tensor, log_std: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, std^2) || N(0, 1)) per code dimension, the book's
    ``std^2/2 + mu^2/2 - log(std) - 1/2`` (summed by the caller)."""
    return 0.5 * (torch.exp(2 * log_std) + mu * mu - 1) - log_std


class VAE(nn.Module):
    def __init__(
        self,
        image_shape: tuple[int, int, int],
        latent_dim: int = 100,
        hidden: int = 1024,
        width: int = 8,
    ) -> None:
        super().__init__()
        channels, size, _ = image_shape
        self.image_shape = tuple(image_shape)
        self.latent_dim = latent_dim
        self.encoder = ConvEncoder(channels, size, latent_dim, width, hidden, heads=2)
        self.decoder = ConvDecoder(channels, size, latent_dim, width, hidden)

    def encode_distribution(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(mu, log_std), each (N, latent_dim), of images in [0, 1]."""
        mu, log_std = self.encoder(images)
        assert log_std is not None
        return mu, log_std

    def encode(self, images: torch.Tensor) -> torch.Tensor:
        """The code's mean: what reconstruction, interpolation and arithmetic use."""
        return self.encode_distribution(images)[0]

    @staticmethod
    def reparameterise(
        mu: torch.Tensor, log_std: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """z = mu + std * eps, eps ~ N(0, 1) drawn on mu's device."""
        if generator is None:
            eps = torch.randn_like(mu)
        else:
            eps = torch.randn(mu.shape, generator=generator).to(mu.device, mu.dtype)
        return mu + torch.exp(log_std) * eps

    def decode_logits(self, codes: torch.Tensor) -> torch.Tensor:
        return self.decoder.logits(codes)

    def forward(
        self, images: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """(mu, log_std, z, decoder logits of z): what the training step needs."""
        mu, log_std = self.encode_distribution(images)
        z = self.reparameterise(mu, log_std)
        return mu, log_std, z, self.decoder.logits(z)
