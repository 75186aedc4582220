"""CLIP (Radford et al. 2021), small: an image encoder and a text encoder, each ending
in a linear projection into one shared space where a caption and its image point the
same way.

Training (``contrastive_loss``): for a batch of N image-caption pairs, the N x N
cosine similarities, divided by a learned temperature, are read as logits twice, each
image choosing among the captions and each caption among the images; the loss is the
mean of the two cross-entropies (symmetric). The temperature is learned as
``logit_scale = log(1 / T)``, capped at 100 as in CLIP. CLIP's targets are the
diagonal only; when many pairs share a caption (ten classes in a batch of 128), that
calls a right match wrong, so ``targets`` can spread each row's target over every
pair of the same class or caption (``class_targets`` in the config).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .text_encoder import TextEncoder

MAX_LOGIT_SCALE = math.log(100.0)


def _stage(cin: int, cout: int) -> nn.Sequential:
    groups = 8 if cout % 8 == 0 else 1
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1),
        nn.GroupNorm(groups, cout),
        nn.SiLU(),
        nn.Conv2d(cout, cout, 3, padding=1),
        nn.GroupNorm(groups, cout),
        nn.SiLU(),
    )


class ImageEncoder(nn.Module):
    """Three convolution stages (width w, 2w, 4w), each halving the image, then the
    mean over the pixels: (B, C, S, S) -> (B, 4w)."""

    def __init__(self, channels: int, width: int) -> None:
        super().__init__()
        self.features = nn.Sequential(
            _stage(channels, width),
            nn.AvgPool2d(2),
            _stage(width, 2 * width),
            nn.AvgPool2d(2),
            _stage(2 * width, 4 * width),
        )
        self.width = 4 * width

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.features(images).mean(dim=(2, 3))


class CLIP(nn.Module):
    """Images and word ids to unit vectors of ``embed_dim`` in one space."""

    def __init__(
        self,
        channels: int,
        image_width: int,
        vocab_size: int,
        text_width: int,
        text_layers: int,
        heads: int,
        max_tokens: int,
        embed_dim: int,
        temperature: float = 0.07,
    ) -> None:
        super().__init__()
        self.image = ImageEncoder(channels, image_width)
        self.text = TextEncoder(vocab_size, text_width, text_layers, heads, max_tokens)
        self.image_proj = nn.Linear(self.image.width, embed_dim, bias=False)
        self.text_proj = nn.Linear(text_width, embed_dim, bias=False)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1.0 / temperature)))

    def encode_image(self, images: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.image_proj(self.image(images)), dim=-1)

    def encode_text(self, ids: torch.Tensor) -> torch.Tensor:
        states, pad = self.text(ids)
        return F.normalize(self.text_proj(TextEncoder.pool(states, pad)), dim=-1)

    def scale(self) -> torch.Tensor:
        """1 / temperature, at most 100."""
        return self.logit_scale.clamp(max=MAX_LOGIT_SCALE).exp()


def targets(groups: torch.Tensor | None, n: int, device: torch.device) -> torch.Tensor:
    """(N, N) target distributions: the diagonal, or spread over same-group pairs."""
    if groups is None:
        return torch.eye(n, device=device)
    same = (groups[:, None] == groups[None, :]).float().to(device)
    return same / same.sum(1, keepdim=True)


def contrastive_loss(
    image_emb: torch.Tensor,
    text_emb: torch.Tensor,
    scale: torch.Tensor,
    groups: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The symmetric cross-entropy of a batch of unit embeddings, and its logits."""
    logits = scale * image_emb @ text_emb.T  # (images, captions)
    target = targets(groups, len(logits), logits.device)
    loss_images = F.cross_entropy(logits, target)  # each image picks its caption
    loss_texts = F.cross_entropy(logits.T, target.T)  # each caption picks its image
    return (loss_images + loss_texts) / 2, logits
