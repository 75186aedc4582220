"""DCGAN, as PyTorch's examples/dcgan and the book: a generator of transposed
convolutions that doubles the image side at each layer from 4x4, a discriminator of
strided convolutions that halves it back, batch norm in both (not on the
discriminator's input layer), ReLU in the generator, LeakyReLU(0.2) in the
discriminator, tanh output, and weights drawn from N(0, 0.02).

For 64x64 images this is exactly the example's network (ngf * 8 -> 4 -> 2 -> 1); for
32x32 the first (widest) layer is dropped.

With ``codes`` > 0 the discriminator also reads a one-of-``codes`` code back from an
image (InfoGAN, Chen et al. 2016): a small head on its last 4x4 features, beside the
real/fake output. The generator then takes the code beside the noise (the conditional
GAN's generator, ``cgan_networks.CondGenerator``, is that network).
"""

from __future__ import annotations

import math

import torch
from torch import nn


def layers_for(image_size: int) -> int:
    """Number of stride-2 layers between 4x4 and ``image_size`` (32: 3, 64: 4)."""
    n = int(math.log2(image_size)) - 2
    if image_size != 4 * 2**n or n < 1:
        raise ValueError(f"image size must be a power of two >= 8, not {image_size}")
    return n


def weights_init(module: nn.Module) -> None:
    """The DCGAN paper's initialisation: conv weights N(0, 0.02), norm scales N(1, 0.02)."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, (nn.BatchNorm2d, nn.InstanceNorm2d)) and module.weight is not None:
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def pytorch_init(module: nn.Module) -> None:
    """PyTorch's default initialisation of every layer (``reset_parameters``): what the
    book's networks start from, since its ``weights_init`` matches on the whole
    module's class name and so never reaches a layer."""
    for layer in module.modules():
        if layer is not module and hasattr(layer, "reset_parameters"):
            layer.reset_parameters()


def generator_layers(in_features: int, channels: int, image_size: int, ngf: int) -> nn.Sequential:
    """(N, in_features, 1, 1) -> (N, channels, image_size, image_size) in [-1, 1]."""
    n = layers_for(image_size)
    mult = 2 ** (n - 1)
    layers: list[nn.Module] = [
        nn.ConvTranspose2d(in_features, ngf * mult, 4, 1, 0, bias=False),  # 1x1 -> 4x4
        nn.BatchNorm2d(ngf * mult),
        nn.ReLU(True),
    ]
    for _ in range(n - 1):
        layers += [
            nn.ConvTranspose2d(ngf * mult, ngf * mult // 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * mult // 2),
            nn.ReLU(True),
        ]
        mult //= 2
    layers += [nn.ConvTranspose2d(ngf, channels, 4, 2, 1, bias=False), nn.Tanh()]
    return nn.Sequential(*layers)


def discriminator_layers(
    in_channels: int, image_size: int, ndf: int, norm: str = "batch"
) -> nn.Sequential:
    """(N, in_channels, image_size, image_size) -> (N, 1, 1, 1) logits.

    ``norm`` is ``batch`` (DCGAN) or ``instance``: a WGAN-GP critic must not use batch
    norm, whose output for one image depends on the others in the batch (the gradient
    penalty is defined per image).
    """
    n = layers_for(image_size)

    def normalise(features: int) -> nn.Module:
        if norm == "batch":
            return nn.BatchNorm2d(features)
        return nn.InstanceNorm2d(features, affine=True)

    layers: list[nn.Module] = [
        nn.Conv2d(in_channels, ndf, 4, 2, 1, bias=False),
        nn.LeakyReLU(0.2, inplace=True),
    ]
    mult = 1
    for _ in range(n - 1):
        layers += [
            nn.Conv2d(ndf * mult, ndf * mult * 2, 4, 2, 1, bias=False),
            normalise(ndf * mult * 2),
            nn.LeakyReLU(0.2, inplace=True),
        ]
        mult *= 2
    layers += [nn.Conv2d(ndf * mult, 1, 4, 1, 0, bias=False)]  # 4x4 -> 1x1
    return nn.Sequential(*layers)


class DCGenerator(nn.Module):
    def __init__(self, latent_dim: int, channels: int, image_size: int, ngf: int = 64):
        super().__init__()
        self.net = generator_layers(latent_dim, channels, image_size, ngf)
        self.apply(weights_init)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """(N, latent_dim) noise -> (N, C, H, W) images in [-1, 1]."""
        return self.net(z.view(z.shape[0], -1, 1, 1))


class DCDiscriminator(nn.Module):
    def __init__(self, channels: int, image_size: int, ndf: int = 64, codes: int = 0):
        super().__init__()
        self.net = discriminator_layers(channels, image_size, ndf, norm="batch")
        self.apply(weights_init)
        self.code_head: nn.Module | None = None
        if codes:
            features = self.net[-1].in_channels
            self.code_head = nn.Sequential(
                nn.Conv2d(features, 128, 4, 1, 0),  # 4x4 -> 1x1
                nn.LeakyReLU(0.2, inplace=True),
                nn.Flatten(),
                nn.Linear(128, codes),
            )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) images -> (N,) logits of "real" (the example's sigmoid is in
        the loss, BCEWithLogits)."""
        return self.net(images).view(-1)

    def forward_with_code(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(N, C, H, W) images -> (N,) logits of "real" and (N, codes) logits of the
        code the image was generated from (one pass through the shared layers)."""
        if self.code_head is None:
            raise ValueError("this discriminator reads no code (codes = 0)")
        features = self.net[:-1](images)
        return self.net[-1](features).view(-1), self.code_head(features)
