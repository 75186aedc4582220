"""The classic design the Transformer replaced, for ``bench/translator.py``: a GRU
encoder-decoder with additive (Bahdanau) attention, as in PyTorch's seq2seq tutorial,
trained with teacher forcing on the translator's own batches for a wall-clock budget,
and its greedy translations."""

from __future__ import annotations

import random
import time

import torch
from torch import nn


class Additive(nn.Module):
    """Bahdanau attention: score(q, k) = v . tanh(W q + U k)."""

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.w, self.u, self.v = (
            nn.Linear(hidden, hidden),
            nn.Linear(hidden, hidden),
            nn.Linear(hidden, 1),
        )

    def forward(self, query, keys, mask):
        scores = self.v(torch.tanh(self.w(query) + self.u(keys))).squeeze(-1)  # (B, S)
        weights = scores.masked_fill(~mask, float("-inf")).softmax(-1)
        return (weights.unsqueeze(1) @ keys).squeeze(1)


class GRUSeq2Seq(nn.Module):
    """PyTorch's seq2seq tutorial design: a GRU encoder; a GRU decoder fed the previous
    word and the attention context over the encoder's states."""

    def __init__(self, src_vocab: int, tgt_vocab: int, hidden: int = 256) -> None:
        super().__init__()
        self.src_embed = nn.Embedding(src_vocab, hidden, padding_idx=0)
        self.encoder = nn.GRU(hidden, hidden, batch_first=True)
        self.tgt_embed = nn.Embedding(tgt_vocab, hidden, padding_idx=0)
        self.attention = Additive(hidden)
        self.decoder = nn.GRUCell(2 * hidden, hidden)
        self.out = nn.Linear(hidden, tgt_vocab)
        self.dropout = nn.Dropout(0.1)

    def encode(self, src):
        keys, _ = self.encoder(self.dropout(self.src_embed(src)))
        mask = src != 0
        last = mask.sum(1) - 1  # the state after the last real token
        h = keys[torch.arange(src.size(0)), last]
        return keys, mask, h

    def step(self, token, h, keys, mask):
        context = self.attention(h.unsqueeze(1), keys, mask)
        h = self.decoder(torch.cat([self.dropout(self.tgt_embed(token)), context], -1), h)
        return self.out(h), h

    def forward(self, src, tgt_in):
        keys, mask, h = self.encode(src)
        logits = []
        for t in range(tgt_in.size(1)):  # teacher forcing
            out, h = self.step(tgt_in[:, t], h, keys, mask)
            logits.append(out)
        return torch.stack(logits, 1)


class Baseline:
    def __init__(self, trainer, device) -> None:
        self.trainer, self.device = trainer, device
        self.model = GRUSeq2Seq(trainer.src_tok.vocab_size, trainer.tgt_tok.vocab_size).to(device)
        self.steps = 0

    def train(self, seconds: float, seed: int) -> None:
        rng = random.Random(seed)
        opt = torch.optim.Adam(self.model.parameters(), lr=1e-3)
        loss_fn = nn.CrossEntropyLoss(ignore_index=0)
        batches = self.trainer.batches
        start = time.perf_counter()
        self.model.train()
        while time.perf_counter() - start < seconds:
            src, tgt = batches[rng.randrange(len(batches))]
            logits = self.model(src, tgt[:, :-1])
            loss = loss_fn(logits.reshape(-1, logits.size(-1)), tgt[:, 1:].reshape(-1))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
            opt.step()
            self.steps += 1

    @torch.no_grad()
    def translate(self, sentences: list[str], max_len: int = 60) -> list[str]:
        self.model.eval()
        out = []
        for lo in range(0, len(sentences), 64):
            src = self.trainer.source_ids(sentences[lo : lo + 64])
            keys, mask, h = self.model.encode(src)
            token = torch.full((src.size(0),), 1, dtype=torch.long, device=src.device)
            rows = []
            for _ in range(max_len):
                logits, h = self.model.step(token, h, keys, mask)
                logits[:, :2] = float("-inf")
                token = logits.argmax(-1)
                rows.append(token)
            for row in torch.stack(rows, 1).tolist():
                row = row[: row.index(2)] if 2 in row else row
                out.append(self.trainer.tgt_tok.decode(row))
        return out


def train_baseline(trainer, seconds: float, device, seed: int) -> Baseline:
    torch.manual_seed(seed)
    base = Baseline(trainer, device)
    base.train(seconds, seed)
    return base
