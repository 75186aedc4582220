"""CycleGAN's discriminator: the 70x70 PatchGAN of pix2pix (Isola et al., 2017), as the
CycleGAN paper and the book's chapter 6 build it.

    C64 - C128 - C256 - C512 - a 1-channel convolution

Ck: a 4x4 convolution (padding 1) to k channels, instance norm (not after the first),
LeakyReLU(0.2); stride 2 for the first three, 1 for the fourth and the last. Each
output value scores one 70x70 patch of the input (its receptive field), so the network
judges texture and style everywhere in the image, with few parameters, at any size.

The output is a score map, not a probability: the least-squares loss (LSGAN, Mao et
al. 2017) is applied to it directly. The book's listing ends with a sigmoid before its
squared error; ``sigmoid=True`` keeps that (the "book" preset does).
"""

from __future__ import annotations

import torch
from torch import nn


class PatchDiscriminator(nn.Module):
    """(N, channels, S, S) -> (N, 1, S/8 - 2, S/8 - 2) patch scores (256 -> 30x30)."""

    def __init__(self, channels: int = 3, ndf: int = 64, sigmoid: bool = False) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(channels, ndf, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        width = ndf
        for stride in (2, 2, 1):
            layers += [
                nn.Conv2d(width, width * 2, 4, stride, 1),
                nn.InstanceNorm2d(width * 2),
                nn.LeakyReLU(0.2, True),
            ]
            width *= 2
        layers.append(nn.Conv2d(width, 1, 4, 1, 1))
        if sigmoid:
            layers.append(nn.Sigmoid())
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)
