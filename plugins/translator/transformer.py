"""The encoder-decoder Transformer ("Attention Is All You Need"; the book's chapter 10).

Source tokens -> embedding * sqrt(d_model) + sinusoidal positions -> encoder -> memory.
Target tokens so far -> the same -> decoder (attending to the memory) -> a linear
projection to the target vocabulary (its weight shared with the target embedding when
``tie_output``). Padding is id 0 on both sides.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from .decoder import Decoder, DecoderCache
from .encoder import Encoder

PAD = 0


@dataclass(frozen=True)
class TransformerShape:
    src_vocab: int
    tgt_vocab: int
    encoder_layers: int = 2
    decoder_layers: int = 2
    d_model: int = 128
    heads: int = 4
    d_ff: int = 512
    dropout: float = 0.1
    activation: str = "relu"
    tie_output: bool = True
    max_positions: int = 512


class PositionalEncoding(nn.Module):
    """Sines and cosines of geometrically spaced wavelengths, added to the embeddings:
    position p, dimension 2i: sin(p / 10000^(2i/d)), 2i+1: cos(the same)."""

    def __init__(self, d_model: int, max_positions: int) -> None:
        super().__init__()
        position = torch.arange(max_positions).unsqueeze(1)
        rate = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        pe = torch.zeros(max_positions, d_model)
        pe[:, 0::2] = torch.sin(position * rate)
        pe[:, 1::2] = torch.cos(position * rate)
        self.register_buffer("pe", pe, persistent=False)  # computed, not learned

    def forward(self, x: torch.Tensor, offset: int = 0) -> torch.Tensor:
        return x + self.pe[offset : offset + x.size(1)]


class Embedding(nn.Module):
    """Token embedding scaled by sqrt(d_model) (so it is not drowned by the positions)."""

    def __init__(self, vocab: int, d_model: int) -> None:
        super().__init__()
        self.table = nn.Embedding(vocab, d_model, padding_idx=PAD)
        self.scale = math.sqrt(d_model)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.table(ids) * self.scale


def causal_mask(size: int, device: torch.device | None = None) -> torch.Tensor:
    """(1, 1, T, T), True on and below the diagonal: position t sees 0..t."""
    return torch.ones(size, size, dtype=torch.bool, device=device).tril().view(1, 1, size, size)


class Transformer(nn.Module):
    def __init__(self, shape: TransformerShape) -> None:
        super().__init__()
        self.shape = s = shape
        self.src_embed = Embedding(s.src_vocab, s.d_model)
        self.tgt_embed = Embedding(s.tgt_vocab, s.d_model)
        self.positions = PositionalEncoding(s.d_model, s.max_positions)
        self.dropout = nn.Dropout(s.dropout)
        args = (s.d_model, s.heads, s.d_ff, s.dropout, s.activation)
        self.encoder = Encoder(s.encoder_layers, *args)
        self.decoder = Decoder(s.decoder_layers, *args)
        self.out = nn.Linear(s.d_model, s.tgt_vocab, bias=False)
        self.reset_parameters()
        if s.tie_output:
            self.out.weight = self.tgt_embed.table.weight

    def reset_parameters(self) -> None:
        """Xavier-uniform matrices, as the Annotated Transformer and the book do."""
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)
        for emb in (self.src_embed.table, self.tgt_embed.table):
            with torch.no_grad():
                emb.weight[PAD].zero_()

    @staticmethod
    def source_mask(src: torch.Tensor) -> torch.Tensor:
        """(B, 1, 1, S): True at real (non-padding) source tokens."""
        return (src != PAD)[:, None, None, :]

    def encode(self, src: torch.Tensor, need_weights: bool = False) -> torch.Tensor:
        x = self.dropout(self.positions(self.src_embed(src)))
        return self.encoder(x, self.source_mask(src), need_weights)

    def decode(
        self,
        tgt: torch.Tensor,
        memory: torch.Tensor,
        src_mask: torch.Tensor,
        cache: DecoderCache | None = None,
        need_weights: bool = False,
    ) -> torch.Tensor:
        """Logits (B, T, tgt_vocab) for each position of ``tgt``. With ``cache``,
        ``tgt`` holds only the new positions (usually one) after those cached."""
        offset = cache.length if cache is not None else 0
        x = self.dropout(self.positions(self.tgt_embed(tgt), offset))
        t = tgt.size(1)
        # Causal: position t sees 0..t. Padding sits after a sentence's end, so a real
        # position never sees it (and what padded positions predict is not counted).
        # With a cache, the new position sees everything cached and itself: no mask.
        mask = causal_mask(t, tgt.device) if cache is None or offset == 0 else None
        h = self.decoder(x, memory, src_mask, mask, cache, need_weights)
        return self.out(h)

    def forward(self, src: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        """Teacher forcing: logits for every next token of ``tgt_in``."""
        memory = self.encode(src)
        return self.decode(tgt_in, memory, self.source_mask(src))

    def new_cache(self) -> DecoderCache:
        return DecoderCache(len(self.decoder.layers))
