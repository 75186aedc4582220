"""CycleGAN's generator: the ResNet image-to-image network of Johnson et al. (2016), as
the CycleGAN paper (Zhu et al., 2017, appendix 7.2) and the book's chapter 6 build it.

    c7s1-ngf, d2ngf, d4ngf, R4ngf x blocks, u2ngf, ungf, c7s1-channels, tanh

- c7s1-k: reflection padding 3, a 7x7 convolution to k channels, instance norm, ReLU;
- dk: a 3x3 convolution with stride 2 (the side halves), instance norm, ReLU;
- Rk: a residual block: two 3x3 convolutions on reflection-padded maps, instance norm
  after each, ReLU after the first; its input is added to its output;
- uk: a 3x3 transposed convolution with stride 2 (the side doubles), instance norm, ReLU.

Instance norm has no learned scale or shift here (PyTorch's default, as the paper's
code), so the convolutions before it keep their bias. The paper uses 6 blocks for
128x128 images and 9 for 256x256; the image side must be a multiple of 4.
"""

from __future__ import annotations

import torch
from torch import nn


class ResidualBlock(nn.Module):
    """x + (pad, conv3, norm, ReLU, pad, conv3, norm)(x): the block keeps the shape."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.block = nn.Sequential(
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3),
            nn.InstanceNorm2d(channels),
            nn.ReLU(True),
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3),
            nn.InstanceNorm2d(channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.block(x)


class ResnetGenerator(nn.Module):
    """(N, channels, S, S) images in [-1, 1] -> the same shape in [-1, 1]."""

    def __init__(self, channels: int = 3, ngf: int = 64, blocks: int = 9) -> None:
        super().__init__()
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(3),
            nn.Conv2d(channels, ngf, 7),
            nn.InstanceNorm2d(ngf),
            nn.ReLU(True),
        ]
        width = ngf
        for _ in range(2):  # down: S -> S/2 -> S/4, channels x2 each time
            layers += [
                nn.Conv2d(width, width * 2, 3, stride=2, padding=1),
                nn.InstanceNorm2d(width * 2),
                nn.ReLU(True),
            ]
            width *= 2
        layers += [ResidualBlock(width) for _ in range(blocks)]
        for _ in range(2):  # up: S/4 -> S/2 -> S
            layers += [
                nn.ConvTranspose2d(width, width // 2, 3, stride=2, padding=1, output_padding=1),
                nn.InstanceNorm2d(width // 2),
                nn.ReLU(True),
            ]
            width //= 2
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, channels, 7), nn.Tanh()]
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] % 4 or x.shape[-2] % 4:
            raise ValueError(f"the image side must be a multiple of 4, not {tuple(x.shape[-2:])}")
        return self.model(x)
