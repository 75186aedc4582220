"""The decoder: masked self-attention over the translation so far, cross-attention
to the encoder's memory, feed-forward; pre-norm residual blocks and a final norm.

The causal mask lets position t see target tokens 0..t only, so training predicts
every next token of a sentence in one pass (teacher forcing). Decoding one token at a
time keeps a key/value cache: each layer's self-attention keys and values of the
tokens already made (appended at each step) and its cross-attention keys and values
of the memory (computed once), so a step costs one position, not the whole prefix.
"""

from __future__ import annotations

import torch
from torch import nn

from .attention import MultiHeadAttention
from .encoder import FeedForward


class DecoderCache:
    """Per layer, the keys and values of the self- and cross-attentions."""

    def __init__(self, layers: int) -> None:
        self.self_attn: list[dict[str, torch.Tensor]] = [{} for _ in range(layers)]
        self.cross_attn: list[dict[str, torch.Tensor]] = [{} for _ in range(layers)]

    @property
    def length(self) -> int:
        """Target positions already in the cache."""
        first = self.self_attn[0] if self.self_attn else {}
        return first["k"].size(2) if "k" in first else 0

    def reorder(self, index: torch.Tensor) -> None:
        """Keep the rows ``index`` (beam search: the beams that survive a step)."""
        for entry in (*self.self_attn, *self.cross_attn):
            for key, value in entry.items():
                entry[key] = value.index_select(0, index)


class DecoderLayer(nn.Module):
    def __init__(self, d_model: int, heads: int, d_ff: int, dropout: float, activation: str):
        super().__init__()
        self.norm1 = nn.LayerNorm(d_model)
        self.self_attn = MultiHeadAttention(d_model, heads, dropout)
        self.norm2 = nn.LayerNorm(d_model)
        self.cross_attn = MultiHeadAttention(d_model, heads, dropout)
        self.norm3 = nn.LayerNorm(d_model)
        self.ff = FeedForward(d_model, d_ff, dropout, activation)
        self.dropout = nn.Dropout(dropout)

    def forward(
        self,
        x: torch.Tensor,
        memory: torch.Tensor,
        src_mask: torch.Tensor | None,
        tgt_mask: torch.Tensor | None,
        self_cache: dict[str, torch.Tensor] | None = None,
        cross_cache: dict[str, torch.Tensor] | None = None,
        need_weights: bool = False,
    ) -> torch.Tensor:
        h = self.self_attn(
            self.norm1(x), mask=tgt_mask, cache=self_cache, need_weights=need_weights
        )
        x = x + self.dropout(h)
        h = self.cross_attn(
            self.norm2(x), memory, src_mask, cache=cross_cache, need_weights=need_weights
        )
        x = x + self.dropout(h)
        return x + self.dropout(self.ff(self.norm3(x)))


class Decoder(nn.Module):
    def __init__(
        self, layers: int, d_model: int, heads: int, d_ff: int, dropout: float, activation: str
    ) -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            DecoderLayer(d_model, heads, d_ff, dropout, activation) for _ in range(layers)
        )
        self.norm = nn.LayerNorm(d_model)

    def forward(
        self,
        x: torch.Tensor,
        memory: torch.Tensor,
        src_mask: torch.Tensor | None,
        tgt_mask: torch.Tensor | None,
        cache: DecoderCache | None = None,
        need_weights: bool = False,
    ) -> torch.Tensor:
        """x: embedded target (B, T, d_model) (with a cache: the new positions only)."""
        for i, layer in enumerate(self.layers):
            self_cache = cache.self_attn[i] if cache is not None else None
            cross_cache = cache.cross_attn[i] if cache is not None else None
            x = layer(x, memory, src_mask, tgt_mask, self_cache, cross_cache, need_weights)
        return self.norm(x)

    def attention_weights(self) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """Each layer's self- and cross-attention weights from the last forward with
        ``need_weights``: (B, heads, T, T) and (B, heads, T, S)."""
        return (
            [layer.self_attn.weights for layer in self.layers],
            [layer.cross_attn.weights for layer in self.layers],
        )
