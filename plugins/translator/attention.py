"""Multi-head attention, written out as the book teaches it (chapter 9).

Attention(Q, K, V) = softmax(Q K^T / sqrt(d_k) + mask) V, step by step in
``attention``: scores, scaling, mask, softmax, weighted sum. ``MultiHeadAttention``
projects the inputs into ``heads`` smaller spaces, attends in each, concatenates and
projects back. Training uses PyTorch's fused kernel
(``F.scaled_dot_product_attention``, the same arithmetic, faster); the step-by-step
path runs when the weights are wanted (the attention heat maps), and a test checks
that both agree, and agree with ``torch.nn.MultiheadAttention`` for the same weights.

Masks are boolean and broadcast to (batch, heads, queries, keys): True where a query
may look at a key (the convention of ``scaled_dot_product_attention``).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    mask: torch.Tensor | None = None,
    dropout: nn.Module | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Scaled dot-product attention. q: (..., Tq, d), k and v: (..., Tk, d).
    Returns the weighted sum (..., Tq, d) and the weights (..., Tq, Tk)."""
    scores = q @ k.transpose(-2, -1)  # how well each query matches each key
    scores = scores / math.sqrt(q.size(-1))  # keeps the softmax out of saturation
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))  # padding, the future
    weights = scores.softmax(dim=-1)  # each query's weights sum to 1
    if dropout is not None:
        weights = dropout(weights)
    return weights @ v, weights


class MultiHeadAttention(nn.Module):
    """``heads`` attentions of width d_model / heads side by side.

    ``forward(x, memory=None, mask=None, cache=None, need_weights=False)``: queries
    from ``x``; keys and values from ``memory`` (cross-attention) or from ``x``
    (self-attention). ``cache`` (a dict, decoding one token at a time) keeps the keys
    and values already computed: self-attention appends the new ones, cross-attention
    computes the memory's once.
    """

    def __init__(self, d_model: int, heads: int, dropout: float = 0.0) -> None:
        super().__init__()
        if d_model % heads:
            raise ValueError(f"d_model {d_model} is not a multiple of {heads} heads")
        self.heads, self.d_head = heads, d_model // heads
        self.q_proj = nn.Linear(d_model, d_model)
        self.k_proj = nn.Linear(d_model, d_model)
        self.v_proj = nn.Linear(d_model, d_model)
        self.out_proj = nn.Linear(d_model, d_model)
        self.dropout = nn.Dropout(dropout)
        self.p = dropout
        self.weights: torch.Tensor | None = None  # the last weights, when asked for

    def split(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, d_model) -> (B, heads, T, d_head)."""
        b, t, _ = x.shape
        return x.view(b, t, self.heads, self.d_head).transpose(1, 2)

    def forward(
        self,
        x: torch.Tensor,
        memory: torch.Tensor | None = None,
        mask: torch.Tensor | None = None,
        cache: dict[str, torch.Tensor] | None = None,
        need_weights: bool = False,
    ) -> torch.Tensor:
        q = self.split(self.q_proj(x))
        if memory is not None and cache is not None and "k" in cache:
            k, v = cache["k"], cache["v"]  # the source's keys and values, computed once
        else:
            source = x if memory is None else memory
            k, v = self.split(self.k_proj(source)), self.split(self.v_proj(source))
            if cache is not None:
                if memory is None and "k" in cache:  # self-attention: append this step
                    k = torch.cat([cache["k"], k], dim=2)
                    v = torch.cat([cache["v"], v], dim=2)
                cache["k"], cache["v"] = k, v
        if need_weights:
            out, self.weights = attention(q, k, v, mask, self.dropout)
        else:
            p = self.p if self.training else 0.0
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=p)
        b, _, t, _ = out.shape
        return self.out_proj(out.transpose(1, 2).reshape(b, t, -1))
