"""Turning the decoder's next-token distributions into translations: greedy, sampling
(temperature, top-k) and beam search (beam size, length penalty), each with or
without the decoder's key/value cache (without it every step runs the whole prefix
again: what the cache saves, measured by bench/translator.py).

Each decoder is a generator that yields the tokens so far after every step, so a
translation can be shown as it is made; the last thing yielded is the result.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import torch

from .tokenization import BOS, EOS, PAD
from .transformer import Transformer


@dataclass
class Hypothesis:
    tokens: list[int]  # the target tokens, without <s>; ends with </s> when finished
    score: float  # sum of log-probabilities
    normalized: float  # score / length penalty: what beams are ranked by


def length_penalty(length: int, alpha: float) -> float:
    """GNMT's ((5 + length) / 6) ** alpha: alpha 0 ranks by total log-probability
    (which favours short translations), higher alpha favours longer ones."""
    return ((5 + length) / 6) ** alpha


def _next_logits(model, tokens, memory, src_mask, cache) -> torch.Tensor:
    """Logits of the next token after ``tokens`` (B, t) (cached: the last one only)."""
    if cache is not None:
        logits = model.decode(tokens[:, -1:], memory, src_mask, cache)[:, -1].float()
    else:
        logits = model.decode(tokens, memory, src_mask)[:, -1].float()
    logits[:, PAD] = logits[:, BOS] = float("-inf")  # never made, only given
    return logits


@torch.no_grad()
def step_by_step(
    model: Transformer,
    src: torch.Tensor,
    max_len: int,
    use_cache: bool = True,
    temperature: float = 0.0,
    top_k: int = 0,
    generator: torch.Generator | None = None,
) -> Iterator[torch.Tensor]:
    """Greedy (``temperature`` 0) or sampled decoding of a batch of sources (B, S).
    Yields the tokens so far (B, t) after each step, <s> excluded; a row that has
    made </s> continues with padding. Stops when every row has ended or at
    ``max_len``. Random draws come from ``generator`` on the CPU (the same seed gives
    the same translation on any device)."""
    src_mask = model.source_mask(src)
    memory = model.encode(src)
    b = src.size(0)
    tokens = torch.full((b, 1), BOS, dtype=torch.long, device=src.device)
    done = torch.zeros(b, dtype=torch.bool, device=src.device)
    cache = model.new_cache() if use_cache else None
    for _ in range(max_len):
        logits = _next_logits(model, tokens, memory, src_mask, cache)
        if temperature <= 0:
            nxt = logits.argmax(-1)
        else:
            logits = (logits / temperature).cpu()
            if top_k and top_k < logits.size(-1):
                kth = torch.topk(logits, top_k, dim=-1).values[:, -1:]
                logits = logits.masked_fill(logits < kth, float("-inf"))
            probs = logits.softmax(-1)
            nxt = torch.multinomial(probs, 1, generator=generator)[:, 0].to(src.device)
        nxt = nxt.masked_fill(done, PAD)
        tokens = torch.cat([tokens, nxt[:, None]], dim=1)
        done |= nxt == EOS
        yield tokens[:, 1:]
        if bool(done.all()):
            break


@torch.no_grad()
def beam_search(
    model: Transformer,
    src: torch.Tensor,
    beams: int,
    max_len: int,
    alpha: float = 0.6,
    use_cache: bool = True,
) -> Iterator[list[Hypothesis]]:
    """Beam search for one source (1, S). Yields the hypotheses after every step, best
    first (the finished ones and the live beams); the last yield is the final list of
    at most ``beams`` finished translations (live beams end at ``max_len``)."""
    src_mask = model.source_mask(src)
    memory = model.encode(src)
    device = src.device
    tokens = torch.full((1, 1), BOS, dtype=torch.long, device=device)
    scores = torch.zeros(1, device=device)
    cache = model.new_cache() if use_cache else None
    finished: list[Hypothesis] = []
    for step in range(1, max_len + 1):
        n = tokens.size(0)
        mem, mask = memory.expand(n, -1, -1), src_mask.expand(n, -1, -1, -1)
        logp = _next_logits(model, tokens, mem, mask, cache).log_softmax(-1)
        candidates = (scores[:, None] + logp).view(-1)
        top_scores, top_index = candidates.topk(min(2 * beams, candidates.numel()))
        vocab = logp.size(-1)
        keep_rows, keep_tokens, keep_scores = [], [], []
        for score, index in zip(top_scores.tolist(), top_index.tolist(), strict=True):
            row, token = divmod(index, vocab)
            if token == EOS:
                seq = [*tokens[row, 1:].tolist(), EOS]
                finished.append(Hypothesis(seq, score, score / length_penalty(step, alpha)))
            else:
                keep_rows.append(row)
                keep_tokens.append(token)
                keep_scores.append(score)
            if len(keep_rows) == beams:
                break
        rows = torch.tensor(keep_rows, device=device)
        tokens = torch.cat([tokens[rows], torch.tensor(keep_tokens, device=device)[:, None]], 1)
        scores = torch.tensor(keep_scores, device=device)
        if cache is not None:
            cache.reorder(rows)
        finished.sort(key=lambda h: -h.normalized)
        del finished[beams:]
        live = [
            Hypothesis(t[1:], s, s / length_penalty(step, alpha))
            for t, s in zip(tokens.tolist(), scores.tolist(), strict=True)
        ]
        # Done when the best live beam, ranked at its present length, cannot beat the
        # worst kept translation (Hugging Face's rule: live scores only fall).
        best_live = max(scores.tolist()) / length_penalty(step, alpha)
        if len(finished) == beams and finished[-1].normalized >= best_live:
            break
        yield sorted(finished + live, key=lambda h: -h.normalized)[:beams]
    if not finished:  # nothing ended before max_len: the live beams are the answer
        finished = live
    yield sorted(finished, key=lambda h: -h.normalized)[:beams]
