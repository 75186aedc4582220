"""The encoder: a stack of self-attention + feed-forward blocks over the source.

Pre-norm residual blocks (x + sublayer(norm(x))), as the book's listing (after the
Annotated Transformer) writes them, with a final norm. Each position of the source
looks at every other (padding masked out), so each output vector is that token read
in the context of the whole sentence: the "memory" the decoder attends to.
"""

from __future__ import annotations

import torch
from torch import nn

from .attention import MultiHeadAttention

ACTIVATIONS = {"relu": nn.ReLU, "gelu": nn.GELU}


class FeedForward(nn.Module):
    """Two linear layers with a non-linearity between them, applied at each position.
    The book's listing has none (two linear maps in a row are one linear map); we put
    the paper's ReLU back (or GELU, an option)."""

    def __init__(self, d_model: int, d_ff: int, dropout: float, activation: str = "relu"):
        super().__init__()
        self.w_1 = nn.Linear(d_model, d_ff)
        self.act = ACTIVATIONS[activation]()
        self.dropout = nn.Dropout(dropout)
        self.w_2 = nn.Linear(d_ff, d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.w_2(self.dropout(self.act(self.w_1(x))))


class EncoderLayer(nn.Module):
    def __init__(self, d_model: int, heads: int, d_ff: int, dropout: float, activation: str):
        super().__init__()
        self.norm1 = nn.LayerNorm(d_model)
        self.self_attn = MultiHeadAttention(d_model, heads, dropout)
        self.norm2 = nn.LayerNorm(d_model)
        self.ff = FeedForward(d_model, d_ff, dropout, activation)
        self.dropout = nn.Dropout(dropout)

    def forward(
        self, x: torch.Tensor, mask: torch.Tensor | None, need_weights: bool = False
    ) -> torch.Tensor:
        x = x + self.dropout(self.self_attn(self.norm1(x), mask=mask, need_weights=need_weights))
        return x + self.dropout(self.ff(self.norm2(x)))


class Encoder(nn.Module):
    def __init__(
        self, layers: int, d_model: int, heads: int, d_ff: int, dropout: float, activation: str
    ) -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            EncoderLayer(d_model, heads, d_ff, dropout, activation) for _ in range(layers)
        )
        self.norm = nn.LayerNorm(d_model)

    def forward(
        self, x: torch.Tensor, mask: torch.Tensor | None, need_weights: bool = False
    ) -> torch.Tensor:
        """x: embedded source (B, S, d_model); mask (B, 1, 1, S), True at real tokens."""
        for layer in self.layers:
            x = layer(x, mask, need_weights)
        return self.norm(x)

    def attention_weights(self) -> list[torch.Tensor]:
        """Each layer's self-attention weights (B, heads, S, S) from the last forward
        with ``need_weights``."""
        return [layer.self_attn.weights for layer in self.layers]
