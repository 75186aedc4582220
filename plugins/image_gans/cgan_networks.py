"""The conditional GAN of the book's chapter 5: DCGAN-shaped networks that are also
given the class.

- Generator: noise and a label vector (one-hot, or a mix of two classes) concatenated
  into one (latent_dim + classes) x 1 x 1 input.
- Critic: the label vector broadcast to one constant plane per class, stacked on the
  image's channels (the book's "image and labels" input).

With the WGAN-GP loss the critic uses instance norm (batch norm would mix the images
of a batch, and the gradient penalty is per image) and outputs an unbounded score;
with the BCE loss it is the DCGAN discriminator with the extra planes.
"""

from __future__ import annotations

import torch
from torch import nn

from .dcgan_networks import discriminator_layers, generator_layers, weights_init


class CondGenerator(nn.Module):
    def __init__(
        self, latent_dim: int, classes: int, channels: int, image_size: int, ngf: int = 64
    ):
        super().__init__()
        self.classes = classes
        self.net = generator_layers(latent_dim + classes, channels, image_size, ngf)
        self.apply(weights_init)

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """(N, latent_dim) noise and (N, classes) label vectors -> (N, C, H, W) images."""
        x = torch.cat([z, labels.to(z.dtype)], dim=1)
        return self.net(x.view(x.shape[0], -1, 1, 1))


class CondCritic(nn.Module):
    def __init__(
        self, classes: int, channels: int, image_size: int, ndf: int = 64, norm: str = "instance"
    ):
        super().__init__()
        self.classes = classes
        self.net = discriminator_layers(channels + classes, image_size, ndf, norm=norm)
        self.apply(weights_init)

    def forward(self, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) images and (N, classes) label vectors -> (N,) scores."""
        n, _, h, w = images.shape
        planes = labels.to(images.dtype).view(n, self.classes, 1, 1).expand(n, self.classes, h, w)
        return self.net(torch.cat([images, planes], dim=1)).view(-1)
