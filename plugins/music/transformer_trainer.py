"""The music Transformer: the text models' GPT (``api.GPT``) trained on event tokens,
sampled with a key/value cache, streaming notes as they come."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from studio import api

from . import events, metrics, transformer_data
from .config import MusicTransformerConfig, MusicTransformerOptions
from .midi_io import read_midi
from .pianoroll import PianoRoll

METRIC_STEP = 0.125  # the grid the musical metrics are read on (16ths at 120 bpm)


def unigram_entropy(tokens: np.ndarray, vocab: int) -> float:
    """Entropy (nats) of the tokens' frequencies: the loss of a model that ignores
    context, the bar a sequence model must go well below."""
    counts = np.bincount(tokens.astype(np.int64), minlength=vocab).astype(np.float64)
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log(p)).sum())


def prompt_ids(path: str, count: int) -> list[int]:
    """The first ``count`` events of a MIDI file."""
    if not path or count <= 0:
        return []
    try:
        notes, _ = read_midi(Path(path))
    except Exception as exc:
        raise ValueError(f"prompt: {path} is not a readable MIDI file ({exc})") from None
    return events.encode(notes)[:count]


class MusicTransformerTrainer(api.Trainer):
    def __init__(self, config: MusicTransformerConfig, dataset: api.LoadedDataset, device):
        super().__init__(config, dataset, device)
        train, valid = transformer_data.pieces_of(dataset)
        train, valid = transformer_data.split(train, valid, config.val_fraction)
        self.stream = torch.from_numpy(transformer_data.token_stream(train).astype(np.int64))
        self.val_stream = torch.from_numpy(transformer_data.token_stream(valid).astype(np.int64))
        T = config.block_size
        if len(self.stream) < T + 2:
            raise api.DatasetError(
                f"{dataset.name or 'the data'}: {len(self.stream)} events, fewer than the "
                f"context of {T} (lower block_size or add music)"
            )
        self.vocab = events.vocab_size()
        self.entropy = unigram_entropy(self.stream.numpy(), self.vocab)
        grid = metrics.notes_grid(np.concatenate(train), METRIC_STEP, tracks=1)
        self.tonic = metrics.estimate_key(metrics.pitch_class_histogram(grid))
        starts = torch.arange(len(self.stream) - T - 1)
        self.dataset = api.LoadedDataset(
            kind="music-event-windows",
            train=(starts,),
            info={"events": len(self.stream), "val_events": len(self.val_stream)},
            name=dataset.name,
        )
        self.model = api.GPT(
            api.GPTShape(
                vocab_size=self.vocab,
                block_size=T,
                n_layer=config.n_layer,
                n_head=config.n_head,
                n_embd=config.n_embd,
                dropout=config.dropout,
            )
        ).to(self.device)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=config.lr)
        self.pad = events.pad_id()

    def modules(self):
        return {"model": self.model}

    def optimizers(self):
        return {"opt": self.opt}

    def windows(self, stream: torch.Tensor, starts: torch.Tensor) -> tuple[torch.Tensor, ...]:
        idx = starts.cpu()[:, None] + torch.arange(self.config.block_size + 1)
        w = stream[idx].to(self.device)
        return w[:, :-1], w[:, 1:]

    def loss(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        with self.autocast():
            logits, _ = self.model(x)
        return F.cross_entropy(logits.float().reshape(-1, logits.size(-1)), y.reshape(-1))

    def train_step(self, batch, step):
        x, y = self.windows(self.stream, batch)
        loss = self.loss(x, y)
        self.optimize(loss, self.opt, clip=self.config.grad_clip or None)
        return {"loss": loss.detach()}

    def validate(self) -> dict[str, float]:
        T, c = self.config.block_size, self.config
        stream = self.val_stream if len(self.val_stream) > T + 1 else self.stream
        count = c.val_batches * c.batch_size
        starts = torch.linspace(0, len(stream) - T - 2, count).long()  # fixed windows
        total = 0.0
        with self.eval_mode():
            for chunk in starts.split(c.batch_size):
                total += float(self.loss(*self.windows(stream, chunk))) * len(chunk)
        loss = total / count
        return {
            "loss": loss,
            "perplexity": math.exp(min(loss, 50.0)),
            "unigram_entropy": self.entropy,
        }

    # --- sampling -------------------------------------------------------------
    def generate(
        self,
        generator: torch.Generator,
        prompt: list[int],
        length: int,
        temperature: float = 1.0,
        top_k: int = 0,
        cache: bool = True,
        chunk: int = 0,
        cancel: api.CancelToken | None = None,
        stop_at_eos: bool = True,
    ) -> Iterator[list[int]]:
        """Yield the ids so far every ``chunk`` new events and at the end. With
        ``cache`` each step feeds one event and reuses keys and values; without it the
        whole prefix is run again (the book's loop). EOS ends the piece; PAD is never
        drawn."""
        ids = list(prompt) or [events.eos_id()]  # EOS also starts a piece in training
        skip = 0 if prompt else 1
        idx = torch.tensor([ids], device=self.device)
        past = None
        with self.eval_mode():
            for i in range(length):
                if cancel is not None:
                    cancel.raise_if_cancelled()
                if cache:
                    logits, past = self.model.next_logits(idx, past)
                else:
                    logits = self.model(idx[:, -self.config.block_size :])[0][:, -1]
                logits = logits.float()
                logits[:, self.pad] = -math.inf
                if temperature <= 0:
                    nxt = logits.argmax(-1, keepdim=True)
                else:
                    logits = logits / temperature
                    if top_k and top_k < logits.size(-1):
                        kth = torch.topk(logits, top_k, dim=-1).values[:, -1:]
                        logits = logits.masked_fill(logits < kth, -math.inf)
                    probs = logits.softmax(-1).cpu()
                    nxt = torch.multinomial(probs, 1, generator=generator).to(self.device)
                token = int(nxt)
                if token == events.eos_id() and stop_at_eos:
                    break
                ids.append(token)
                idx = torch.cat([idx, nxt.view(1, 1)], dim=1)
                if chunk and (i + 1) % chunk == 0 and i + 1 < length:
                    yield ids[skip:]
        yield ids[skip:]

    def roll(self, ids: list[int], n_prompt: int) -> PianoRoll:
        until = events.seconds_of(ids[:n_prompt]) if n_prompt else -1.0
        notes, form = events.decode(ids, track_until=until)
        values = {"matched_note_offs": form["matched_note_offs"]}
        if len(notes):
            grid = metrics.notes_grid(notes, METRIC_STEP, tracks=2)
            m = metrics.music_metrics(grid, self.tonic)
            values.update(in_key=m["in_key"], polyphony=m["polyphony"])
        return PianoRoll(
            notes=notes,
            tracks=["prompt", "generated"] if n_prompt else ["generated"],
            events=len(ids) - n_prompt,
            caption=(
                f"{n_prompt} prompt events + {len(ids) - n_prompt} generated; "
                f"key of the data: {metrics.key_name(self.tonic)}"
            ),
            metrics=values,
        )

    def sample_stream(self, generator, n=None, options=None, cancel=None):
        opts = options or MusicTransformerOptions(length=self.config.preview_events, chunk=0)
        prompt = prompt_ids(opts.prompt, opts.prompt_events)
        length = n or opts.length
        parts = self.generate(
            generator,
            prompt,
            length,
            opts.temperature,
            opts.top_k,
            opts.cache,
            opts.chunk,
            cancel,
        )
        for ids in parts:
            yield self.roll(ids, len(prompt))

    def sample(self, generator, n=None, options=None):
        *_, final = self.sample_stream(generator, n, options)
        return final

    def extra_state(self) -> dict[str, Any]:
        return {"tonic": self.tonic}
