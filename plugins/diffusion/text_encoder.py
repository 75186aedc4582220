"""The caption encoder: a small Transformer encoder over word ids, trained from scratch
with the model that uses it (text-to-image, CLIP); nothing is downloaded.

Pre-norm blocks (layer norm, self-attention, residual; layer norm, MLP, residual), as
GPT-2 and CLIP's text tower, with learned positions. Padding (id 0) is masked out of
the attention keys; every caption starts with ``<bos>``, so no row is all padding.
Each block computes exactly what ``torch.nn.TransformerEncoderLayer(norm_first=True,
activation="gelu", batch_first=True)`` does with the same weights (checked in
``tests/plugins/diffusion/test_text_encoder.py``); it is written out here because
the attention is the lesson.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class SelfAttention(nn.Module):
    """Multi-head scaled dot-product self-attention with a key padding mask."""

    def __init__(self, width: int, heads: int) -> None:
        super().__init__()
        if width % heads:
            raise ValueError(f"width {width} is not a multiple of {heads} heads")
        self.heads = heads
        self.qkv = nn.Linear(width, 3 * width)  # queries, keys and values in one product
        self.out = nn.Linear(width, width)

    def forward(self, x: torch.Tensor, pad: torch.Tensor) -> torch.Tensor:
        """``x`` (B, L, W); ``pad`` (B, L) True at padding, which no query attends to."""
        b, n, w = x.shape
        head = w // self.heads
        q, k, v = (
            t.view(b, n, self.heads, head).transpose(1, 2) for t in self.qkv(x).split(w, dim=2)
        )
        scores = q @ k.transpose(-2, -1) / math.sqrt(head)  # (B, heads, L, L)
        scores = scores.masked_fill(pad[:, None, None, :], float("-inf"))
        y = scores.softmax(-1) @ v
        return self.out(y.transpose(1, 2).reshape(b, n, w))


class EncoderBlock(nn.Module):
    def __init__(self, width: int, heads: int) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(width)
        self.attn = SelfAttention(width, heads)
        self.norm2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(
            nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width)
        )

    def forward(self, x: torch.Tensor, pad: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x), pad)
        return x + self.mlp(self.norm2(x))


class TextEncoder(nn.Module):
    """Word ids (B, L) -> token states (B, L, width) and the padding mask (B, L)."""

    def __init__(self, vocab_size: int, width: int, layers: int, heads: int, max_tokens: int):
        super().__init__()
        self.width = width
        self.max_tokens = max_tokens
        self.tokens = nn.Embedding(vocab_size, width)
        self.positions = nn.Parameter(torch.zeros(max_tokens, width))
        self.blocks = nn.ModuleList(EncoderBlock(width, heads) for _ in range(layers))
        self.norm = nn.LayerNorm(width)
        nn.init.normal_(self.tokens.weight, std=0.02)
        nn.init.normal_(self.positions, std=0.01)

    def forward(self, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        pad = ids == 0
        x = self.tokens(ids) + self.positions[: ids.shape[1]]
        for block in self.blocks:
            x = block(x, pad)
        return self.norm(x), pad

    @staticmethod
    def pool(states: torch.Tensor, pad: torch.Tensor) -> torch.Tensor:
        """The mean of the caption's token states (padding left out): one vector."""
        keep = (~pad).unsqueeze(-1).to(states.dtype)
        return (states * keep).sum(1) / keep.sum(1).clamp_min(1)


def same_as_torch_layer(block: EncoderBlock) -> nn.TransformerEncoderLayer:
    """The ``torch.nn.TransformerEncoderLayer`` holding ``block``'s weights (for tests)."""
    width = block.norm1.normalized_shape[0]
    layer = nn.TransformerEncoderLayer(
        width,
        block.attn.heads,
        dim_feedforward=4 * width,
        dropout=0.0,
        activation=F.gelu,
        batch_first=True,
        norm_first=True,
    )
    with torch.no_grad():
        layer.self_attn.in_proj_weight.copy_(block.attn.qkv.weight)
        layer.self_attn.in_proj_bias.copy_(block.attn.qkv.bias)
        layer.self_attn.out_proj.weight.copy_(block.attn.out.weight)
        layer.self_attn.out_proj.bias.copy_(block.attn.out.bias)
        layer.linear1.load_state_dict(block.mlp[0].state_dict())
        layer.linear2.load_state_dict(block.mlp[2].state_dict())
        layer.norm1.load_state_dict(block.norm1.state_dict())
        layer.norm2.load_state_dict(block.norm2.state_dict())
    return layer
