"""The convolutional encoder and decoder of the book's VAE (chapter 7), sized from the
image instead of hard-coded for 256 x 256 colour images.

Encoder: three 3 x 3 stride-2 convolutions (``width``, 2 x ``width``, 4 x ``width``
feature maps; batch norm after the second; the third unpadded), a hidden linear layer,
then one linear head per output: the code's mean ``linear2`` and, for the VAE, the log
of its standard deviation ``linear3``. Decoder: the mirror image with transposed
convolutions and batch norm, ending in a sigmoid (images in [0, 1]).

At 256 x 256 with ``width`` 8 and ``hidden`` 1024 these are the book's layers, with
the book's names, but for one fix: the book's third convolution is unpadded
(64 -> 31), so it never reads the last row and column of its input, and its first
transposed convolution (31 -> 64, no padding, output padding 1) gives its last output
row and column no input at all, only a bias: the bottom and right borders of every
image are never learnt (on the digits, the bottom four rows of the reconstructions
are 20 times worse than the rest). Both are padded here: 256 -> 128 -> 64 -> 32, and
32 x 32 x 32 features into the linear layers. Any side that is a multiple of 8 works
(32 -> 16 -> 8 -> 4 for the digits). Unlike the book's encoder, nothing here names a
device: the module goes where ``.to()`` puts it.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def feature_side(size: int) -> int:
    """The side of the encoder's last feature maps for ``size`` x ``size`` images."""
    if size % 8 or size < 16:
        raise ValueError(
            f"the convolutional networks need a side that is a multiple of 8 "
            f"and at least 16, not {size}"
        )
    return size // 8


class ConvEncoder(nn.Module):
    """Images in [0, 1] -> the code's mean (and, with ``heads=2``, its log std)."""

    def __init__(
        self,
        channels: int,
        size: int,
        latent_dim: int,
        width: int = 8,
        hidden: int = 1024,
        heads: int = 2,
    ) -> None:
        super().__init__()
        side = feature_side(size)
        self.conv1 = nn.Conv2d(channels, width, 3, stride=2, padding=1)
        self.conv2 = nn.Conv2d(width, 2 * width, 3, stride=2, padding=1)
        self.batch2 = nn.BatchNorm2d(2 * width)
        self.conv3 = nn.Conv2d(2 * width, 4 * width, 3, stride=2, padding=1)  # book: 0
        self.linear1 = nn.Linear(side * side * 4 * width, hidden)
        self.linear2 = nn.Linear(hidden, latent_dim)  # the mean
        self.linear3 = nn.Linear(hidden, latent_dim) if heads == 2 else None  # log std

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(mean, log std) of the code; log std is None for a one-headed encoder."""
        x = F.relu(self.conv1(images))
        x = F.relu(self.batch2(self.conv2(x)))
        x = F.relu(self.conv3(x))
        x = F.relu(self.linear1(torch.flatten(x, start_dim=1)))
        log_std = self.linear3(x) if self.linear3 is not None else None
        return self.linear2(x), log_std


class ConvDecoder(nn.Module):
    """Codes -> images in [0, 1] (``forward``) or their pre-sigmoid values (``logits``)."""

    def __init__(
        self, channels: int, size: int, latent_dim: int, width: int = 8, hidden: int = 1024
    ) -> None:
        super().__init__()
        side = feature_side(size)
        self.decoder_lin = nn.Sequential(
            nn.Linear(latent_dim, hidden),
            nn.ReLU(True),
            nn.Linear(hidden, side * side * 4 * width),
            nn.ReLU(True),
        )
        self.unflatten = nn.Unflatten(dim=1, unflattened_size=(4 * width, side, side))
        self.decoder_conv = nn.Sequential(
            # The book: padding 0, which leaves the last row and column without input.
            nn.ConvTranspose2d(4 * width, 2 * width, 3, stride=2, padding=1, output_padding=1),
            nn.BatchNorm2d(2 * width),
            nn.ReLU(True),
            nn.ConvTranspose2d(2 * width, width, 3, stride=2, padding=1, output_padding=1),
            nn.BatchNorm2d(width),
            nn.ReLU(True),
            nn.ConvTranspose2d(width, channels, 3, stride=2, padding=1, output_padding=1),
        )

    def logits(self, codes: torch.Tensor) -> torch.Tensor:
        return self.decoder_conv(self.unflatten(self.decoder_lin(codes)))

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.logits(codes))
