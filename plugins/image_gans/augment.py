"""Differentiable augmentation for GANs on small data sets (Zhao et al., 2020,
"Differentiable Augmentation for Data-Efficient GAN Training").

The discriminator sees every image, real or generated, randomly shifted, in both the
discriminator's and the generator's steps. With a few thousand images a discriminator
otherwise learns the training set by heart and stops teaching the generator; because
the same shift is applied to fakes, and the shift is differentiable, the generator is
not taught to produce shifted images.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def translate(images: torch.Tensor, fraction: float = 0.125) -> torch.Tensor:
    """Shift each image by up to ``fraction`` of its side, independently in x and y;
    the border pixels are repeated into the space uncovered (a black digit background
    stays black, a photograph's edge colour continues)."""
    n, c, h, w = images.shape
    s = max(1, round(h * fraction))
    padded = F.pad(images, (s, s, s, s), mode="replicate")
    dy = torch.randint(0, 2 * s + 1, (n, 1, 1), device=images.device)
    dx = torch.randint(0, 2 * s + 1, (n, 1, 1), device=images.device)
    rows = torch.arange(h, device=images.device).view(1, h, 1) + dy
    cols = torch.arange(w, device=images.device).view(1, 1, w) + dx
    index = (rows * (w + 2 * s) + cols).view(n, 1, h * w).expand(n, c, h * w)
    return padded.flatten(2).gather(2, index).view(n, c, h, w)


AUGMENTATIONS = {"none": None, "translation": translate}
