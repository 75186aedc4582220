"""A GPT written from scratch (chapter 11 of the book), readable like nanoGPT's model.py.

Decoder-only Transformer: token and learned position embeddings, pre-norm blocks of
causal self-attention (PyTorch's ``scaled_dot_product_attention``, which picks a
flash or memory-efficient kernel where there is one) and a GELU MLP, a final
LayerNorm and a language-model head tied to the token embedding.

Parameter names and shapes are GPT-2's (``transformer.h.0.attn.c_attn.weight``...), so
GPT-2 checkpoints map onto it by name (``gpt2_weights.py``); only GPT-2's Conv1D
weights must be transposed, since they are stored as (in, out).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class GPTShape:
    """The architecture (what GPT-2's config.json calls n_layer, n_head, n_embd...)."""

    vocab_size: int
    block_size: int = 256
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128
    dropout: float = 0.0
    bias: bool = True  # GPT-2 has biases; nanoGPT trains without (a little faster)
    gelu_tanh: bool = False  # GPT-2's "gelu_new" is GELU's tanh approximation
    tie_weights: bool = True  # the head shares the token embedding (the book's does not)
    layer_norm_eps: float = 1e-5

    @property
    def head_dim(self) -> int:
        return self.n_embd // self.n_head


KVCache = list[tuple[torch.Tensor, torch.Tensor]]


class CausalSelfAttention(nn.Module):
    def __init__(self, s: GPTShape) -> None:
        super().__init__()
        if s.n_embd % s.n_head:
            raise ValueError(f"width {s.n_embd} is not a multiple of the {s.n_head} heads")
        self.c_attn = nn.Linear(s.n_embd, 3 * s.n_embd, bias=s.bias)  # q, k, v at once
        self.c_proj = nn.Linear(s.n_embd, s.n_embd, bias=s.bias)
        self.resid_dropout = nn.Dropout(s.dropout)
        self.n_head = s.n_head
        self.dropout = s.dropout

    def forward(
        self, x: torch.Tensor, past: tuple[torch.Tensor, torch.Tensor] | None = None
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # (B, nh, T, hd)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        if past is not None:
            k = torch.cat([past[0], k], dim=2)
            v = torch.cat([past[1], v], dim=2)
        # With a cache only one new position is fed, and it may see every cached one:
        # no mask. Without one, the usual causal mask.
        y = F.scaled_dot_product_attention(
            q,
            k,
            v,
            dropout_p=self.dropout if self.training else 0.0,
            is_causal=past is None and T > 1,
        )
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.resid_dropout(self.c_proj(y)), (k, v)


class MLP(nn.Module):
    def __init__(self, s: GPTShape) -> None:
        super().__init__()
        self.c_fc = nn.Linear(s.n_embd, 4 * s.n_embd, bias=s.bias)
        self.gelu = nn.GELU(approximate="tanh" if s.gelu_tanh else "none")
        self.c_proj = nn.Linear(4 * s.n_embd, s.n_embd, bias=s.bias)
        self.dropout = nn.Dropout(s.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))


class Block(nn.Module):
    """Pre-norm: x + attn(ln(x)), then x + mlp(ln(x))."""

    def __init__(self, s: GPTShape) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(s.n_embd, eps=s.layer_norm_eps, bias=s.bias)
        self.attn = CausalSelfAttention(s)
        self.ln_2 = nn.LayerNorm(s.n_embd, eps=s.layer_norm_eps, bias=s.bias)
        self.mlp = MLP(s)

    def forward(self, x, past=None):
        a, kv = self.attn(self.ln_1(x), past)
        x = x + a
        return x + self.mlp(self.ln_2(x)), kv


class GPT(nn.Module):
    def __init__(self, s: GPTShape) -> None:
        super().__init__()
        self.shape = s
        self.transformer = nn.ModuleDict(
            dict(
                wte=nn.Embedding(s.vocab_size, s.n_embd),
                wpe=nn.Embedding(s.block_size, s.n_embd),
                drop=nn.Dropout(s.dropout),
                h=nn.ModuleList(Block(s) for _ in range(s.n_layer)),
                ln_f=nn.LayerNorm(s.n_embd, eps=s.layer_norm_eps, bias=s.bias),
            )
        )
        self.lm_head = nn.Linear(s.n_embd, s.vocab_size, bias=False)
        if s.tie_weights:  # GPT-2 and nanoGPT; the book's chapter 12 model has its own head
            self.lm_head.weight = self.transformer.wte.weight
        self.apply(self._init_weights)
        # GPT-2's scaled init of the projections into the residual stream.
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * s.n_layer))

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def num_params(self, non_embedding: bool = True) -> int:
        """Parameters (the tied head counted once; positions left out by default, as
        in nanoGPT's MFU estimate)."""
        n = sum(p.numel() for p in self.parameters())
        return n - self.transformer.wpe.weight.numel() if non_embedding else n

    def hidden(
        self, idx: torch.Tensor, past: KVCache | None = None
    ) -> tuple[torch.Tensor, KVCache]:
        """The final LayerNorm's output (B, T, C) and the new key/value cache."""
        T = idx.shape[1]
        start = 0 if past is None else past[0][0].shape[2]
        if start + T > self.shape.block_size:
            raise ValueError(f"{start + T} tokens is more than the context {self.shape.block_size}")
        pos = torch.arange(start, start + T, device=idx.device)
        x = self.transformer.drop(self.transformer.wte(idx) + self.transformer.wpe(pos))
        cache: KVCache = []
        for i, block in enumerate(self.transformer.h):
            x, kv = block(x, None if past is None else past[i])
            cache.append(kv)
        return self.transformer.ln_f(x), cache

    def forward(
        self, idx: torch.Tensor, targets: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Logits (B, T, vocab) and, with ``targets``, the mean cross-entropy."""
        x, _ = self.hidden(idx)
        logits = self.lm_head(x)
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.float().view(-1, logits.size(-1)), targets.reshape(-1))
        return logits, loss

    def next_logits(
        self, idx: torch.Tensor, past: KVCache | None
    ) -> tuple[torch.Tensor, KVCache | None]:
        """Logits of the next token after ``idx`` (B, vocab), using and extending the
        cache while the sequence fits in the context; past it, the last ``block_size``
        tokens are run again without a cache (exactly what training saw)."""
        if past is not None and past[0][0].shape[2] + 1 <= self.shape.block_size:
            x, cache = self.hidden(idx[:, -1:], past)
            return self.lm_head(x[:, -1]), cache
        ctx = idx[:, -self.shape.block_size :]
        x, cache = self.hidden(ctx)
        full = ctx.shape[1] >= self.shape.block_size
        return self.lm_head(x[:, -1]), None if full else cache
