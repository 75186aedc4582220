"""Parallel text ready for training: pairs read from the dataset, a seeded held-out
split by source sentence (a held-out English sentence is never seen in training, in
any of its translations), subword ids, length filtering, batches sorted by length.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import torch

from studio import api

from .tokenization import BOS, EOS, PAD, SubwordTokenizer


def read_pairs(dataset: api.LoadedDataset) -> list[tuple[str, str]]:
    """The (source, target) strings of a ``text-pairs`` dataset (train and val)."""
    pairs: list[tuple[str, str]] = []
    for part in (dataset.train, dataset.val):
        if part is None:
            continue
        if isinstance(part, tuple):
            raise api.DatasetError(
                f"{dataset.name or dataset.kind}: not text pairs (tensors); drop a "
                "source<TAB>target file or a two-column CSV"
            )
        for i in range(len(part)):
            src, tgt = part[i]
            if str(src).strip() and str(tgt).strip():
                pairs.append((str(src).strip(), str(tgt).strip()))
    if len(pairs) < 2:
        raise api.DatasetError(
            f"{dataset.name or 'the dataset'}: {len(pairs)} sentence pairs; a translator "
            "needs at least 2 (one to train on, one to check)"
        )
    return pairs


def split_by_source(
    pairs: list[tuple[str, str]], val_fraction: float, seed: int
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Train and held-out pairs: a seeded draw of ``val_fraction`` of the distinct
    source sentences, all their pairs held out."""
    sources = sorted({s for s, _ in pairs})
    random.Random(seed).shuffle(sources)
    n_val = min(max(1, round(len(sources) * val_fraction)), len(sources) - 1)
    held = set(sources[:n_val])
    train = [p for p in pairs if p[0] not in held]
    val = [p for p in pairs if p[0] in held]
    return train, val


@dataclass
class Encoded:
    """Ids of kept pairs: source ids end with </s>; target ids are <s> ... </s>."""

    pairs: list[tuple[str, str]]
    src: list[list[int]]
    tgt: list[list[int]]
    dropped: int  # pairs with a side longer than the limit


def encode(
    pairs: list[tuple[str, str]],
    src_tok: SubwordTokenizer,
    tgt_tok: SubwordTokenizer,
    max_tokens: int,
) -> Encoded:
    src_ids = src_tok.encode_batch([s for s, _ in pairs])
    tgt_ids = tgt_tok.encode_batch([t for _, t in pairs])
    kept = Encoded([], [], [], 0)
    for pair, s, t in zip(pairs, src_ids, tgt_ids, strict=True):
        if len(s) > max_tokens or len(t) > max_tokens or not s or not t:
            kept.dropped += 1
            continue
        kept.pairs.append(pair)
        kept.src.append([*s, EOS])
        kept.tgt.append([BOS, *t, EOS])
    return kept


def pad(rows: list[list[int]], device: torch.device | str = "cpu") -> torch.Tensor:
    width = max(len(r) for r in rows)
    out = torch.full((len(rows), width), PAD, dtype=torch.long)
    for i, r in enumerate(rows):
        out[i, : len(r)] = torch.tensor(r, dtype=torch.long)
    return out.to(device)


def length_batches(
    data: Encoded, batch_size: int, device: torch.device | str = "cpu"
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Padded (source, target) batches of pairs of similar lengths (sorted by source
    then target length), so little of a batch is padding. Their order is the
    engine's to shuffle, every epoch."""
    order = sorted(range(len(data.src)), key=lambda i: (len(data.src[i]), len(data.tgt[i]), i))
    batches = []
    for lo in range(0, len(order), batch_size):
        chunk = order[lo : lo + batch_size]
        batches.append(
            (pad([data.src[i] for i in chunk], device), pad([data.tgt[i] for i in chunk], device))
        )
    return batches
