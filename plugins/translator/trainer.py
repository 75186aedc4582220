"""Training and translating with the encoder-decoder Transformer.

One step: one of the length-sorted batches (the engine draws batch indices in a
seeded order that changes every epoch), teacher forcing, cross-entropy with label
smoothing, Adam under the Noam schedule. Validation: the held-out loss, and BLEU,
chrF (sacrebleu) and exact matches of greedy translations of held-out sentences.
Sampling: greedy, beam search or sampling, streamed token by token, with the
attention weights of the final translations.
"""

from __future__ import annotations

import collections
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from torch import nn

from studio import api

from . import data, decoding, tokenization
from .config import TranslateOptions
from .sample import Translation
from .transformer import Transformer, TransformerShape


class NoamRate:
    """The Noam schedule as a LambdaLR factor (base learning rate 1):
    factor * d_model^-0.5 * min(step^-0.5, step * warmup^-1.5), a linear warm-up then
    a decay as 1/sqrt(step). A class, so the scheduler's state stays plain data."""

    def __init__(self, d_model: int, factor: float, warmup: int) -> None:
        self.d_model, self.factor, self.warmup = d_model, factor, warmup

    def __call__(self, step: int) -> float:
        s = step + 1  # LambdaLR counts from 0
        return self.factor * self.d_model**-0.5 * min(s**-0.5, s * self.warmup**-1.5)


def bleu_chrf(hypotheses: list[str], references: list[str]) -> tuple[float, float]:
    import sacrebleu

    bleu = sacrebleu.corpus_bleu(hypotheses, [references]).score
    chrf = sacrebleu.corpus_chrf(hypotheses, [references]).score
    return float(bleu), float(chrf)


class TranslatorTrainer(api.Trainer):
    def __init__(self, config, dataset, device) -> None:
        super().__init__(config, dataset, device)
        c = config
        if c.d_model % c.heads:
            raise api.ConfigError(f"d_model: {c.d_model} is not a multiple of {c.heads} heads")
        pairs = data.read_pairs(dataset)
        train_pairs, val_pairs = data.split_by_source(pairs, c.val_fraction, c.split_seed)
        src_tok, tgt_tok = tokenization.train_pair(
            [s for s, _ in train_pairs], [t for _, t in train_pairs], c.vocab_size,
            c.joint_vocabulary,
        )  # fmt: skip
        self.split = (train_pairs, val_pairs, len(pairs))
        self.setup_data(src_tok, tgt_tok, *self.split)
        shape = TransformerShape(
            src_vocab=src_tok.vocab_size,
            tgt_vocab=tgt_tok.vocab_size,
            encoder_layers=c.encoder_layers,
            decoder_layers=c.decoder_layers,
            d_model=c.d_model,
            heads=c.heads,
            d_ff=c.d_ff,
            dropout=c.dropout,
            activation=c.activation,
            tie_output=c.tie_output,
            max_positions=max(512, c.max_tokens + 2),
        )
        self.model = Transformer(shape).to(self.device)
        self.opt = torch.optim.Adam(
            self.model.parameters(), lr=1.0, betas=(c.beta1, c.beta2), eps=c.eps
        )
        self.sched = torch.optim.lr_scheduler.LambdaLR(
            self.opt, NoamRate(c.d_model, c.lr_factor, c.warmup_steps)
        )
        self.criterion = nn.CrossEntropyLoss(
            ignore_index=tokenization.PAD, label_smoothing=c.label_smoothing
        )

    def setup_data(self, src_tok, tgt_tok, train_pairs, val_pairs, total: int) -> None:
        c = self.config
        self.src_tok, self.tgt_tok = src_tok, tgt_tok
        self.train_data = data.encode(train_pairs, src_tok, tgt_tok, c.max_tokens)
        self.val_data = data.encode(val_pairs, src_tok, tgt_tok, c.max_tokens)
        if not self.train_data.src or not self.val_data.src:
            raise api.DatasetError(
                f"no pairs left within {c.max_tokens} tokens a side; raise max_tokens"
            )
        self.batches = data.length_batches(self.train_data, c.batch_size, self.device)
        self.val_batches = data.length_batches(self.val_data, c.batch_size, self.device)
        # Held-out sentences with all their references, in the split's seeded order.
        refs: dict[str, list[str]] = collections.defaultdict(list)
        for s, t in self.val_data.pairs:
            refs[s].append(t)
        self.val_sources = list(refs)
        self.val_references = refs
        prep = {
            "pairs": total,
            "train_pairs": len(self.train_data.pairs),
            "val_pairs": len(self.val_data.pairs),
            "dropped_long": self.train_data.dropped + self.val_data.dropped,
            "max_tokens": c.max_tokens,
            "split": "by source sentence",
            "val_fraction": c.val_fraction,
            "split_seed": c.split_seed,
            "vocabulary": "joint" if c.joint_vocabulary else "separate",
            "batches": len(self.batches),
        }
        # The engine draws batch indices (one per step) in a seeded order, reshuffled
        # every epoch; the batches themselves are fixed groups of similar lengths.
        self.dataset = api.LoadedDataset(
            kind=self.dataset.kind,
            train=(torch.arange(len(self.batches)),),
            info={**_plain(self.dataset.info), "prep": prep},
            name=self.dataset.name,
        )

    # --- the engine's interface ------------------------------------------------------
    @property
    def batch_size(self) -> int:
        return 1  # one index into self.batches per step

    def modules(self):
        return {"model": self.model}

    def optimizers(self):
        return {"opt": self.opt}

    def schedulers(self):
        return {"lr": self.sched}

    def loss(self, src: torch.Tensor, tgt: torch.Tensor, smoothing: bool = True) -> torch.Tensor:
        logits = self.model(src, tgt[:, :-1])
        target = tgt[:, 1:].reshape(-1)
        logits = logits.reshape(-1, logits.size(-1)).float()
        if smoothing:
            return self.criterion(logits, target)
        return nn.functional.cross_entropy(logits, target, ignore_index=tokenization.PAD)

    def train_step(self, batch, step):
        src, tgt = self.batches[int(batch[0])]
        with self.autocast():
            loss = self.loss(src, tgt)
        self.optimize(loss, self.opt, clip=self.config.grad_clip or None)
        self.sched.step()
        return {"loss": loss.detach(), "lr": self.sched.get_last_lr()[0]}

    @torch.no_grad()
    def validate(self) -> dict[str, float]:
        with self.eval_mode():
            total, tokens = 0.0, 0
            for src, tgt in self.val_batches:
                n = int((tgt[:, 1:] != tokenization.PAD).sum())
                with self.autocast():
                    total += float(self.loss(src, tgt, smoothing=False)) * n
                tokens += n
            sources = self.val_sources[: self.config.val_sentences]
            hyps = self.translate(sources)
        refs = [self.val_references[s][0] for s in sources]
        bleu, chrf = bleu_chrf(hyps, refs)
        exact = sum(h in self.val_references[s] for s, h in zip(sources, hyps, strict=True))
        return {
            "loss": total / max(tokens, 1),
            "bleu": bleu,
            "chrf": chrf,
            "exact": exact / len(sources),
        }

    def extra_state(self) -> dict[str, Any]:
        return {"tokenizers": tokenization.pair_state(self.src_tok, self.tgt_tok)}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        saved = state.get("tokenizers")
        if saved and saved != tokenization.pair_state(self.src_tok, self.tgt_tok):
            src, tgt = tokenization.pair_from_state(saved)  # the run's own wins
            if (src.vocab_size, tgt.vocab_size) != (
                self.src_tok.vocab_size,
                self.tgt_tok.vocab_size,
            ):
                raise api.DatasetError(
                    "the run's tokenizers do not fit this data's; resume on the same dataset"
                )
            self.setup_data(src, tgt, *self.split)

    # --- translating -----------------------------------------------------------------
    def source_ids(self, sentences: list[str]) -> torch.Tensor:
        limit = self.model.shape.max_positions - 1
        rows = [[*ids[:limit], tokenization.EOS] for ids in self.src_tok.encode_batch(sentences)]
        return data.pad(rows, self.device)

    def translate(self, sentences: list[str], max_len: int = 0, chunk: int = 64) -> list[str]:
        """Greedy translations (with the cache), in chunks of similar lengths."""
        max_len = max_len or self.config.max_tokens + 2
        out: dict[int, str] = {}
        order = sorted(range(len(sentences)), key=lambda i: len(sentences[i]))
        for lo in range(0, len(order), chunk):
            idx = order[lo : lo + chunk]
            src = self.source_ids([sentences[i] for i in idx])
            *_, tokens = decoding.step_by_step(self.model, src, max_len)
            for i, row in zip(idx, tokens.tolist(), strict=True):
                out[i] = self.tgt_tok.decode(_until_eos(row))
        return [out[i] for i in range(len(sentences))]

    def _options(self, options: TranslateOptions | None) -> TranslateOptions:
        return (
            options if options is not None else TranslateOptions(max_len=self.config.max_tokens + 2)
        )

    def sample_stream(
        self,
        generator: torch.Generator,
        n: int | None = None,
        options: TranslateOptions | None = None,
        cancel: api.CancelToken | None = None,
    ) -> Iterator[Translation]:
        """Translations of ``options.text`` (one per line) or, when it is empty, of
        ``n`` held-out sentences (default: the run's preview count); yields the
        translations so far after every token, then the final sample with tokens,
        attention weights and (beam search) the beams with their scores."""
        o = self._options(options)
        if o.text.strip():
            sources = [line.strip() for line in o.text.splitlines() if line.strip()]
            references: list[str] = []
        else:
            sources = self.val_sources[: n or self.config.preview_sentences]
            references = [self.val_references[s][0] for s in sources]
        method = o.decoding if o.decoding != "auto" else ("beam" if o.beams > 1 else "greedy")
        outputs: list[list[int]] = [[] for _ in sources]
        beams: list[list[tuple[str, float]]] = []
        if method == "beam":
            for i, sentence in enumerate(sources):
                src = self.source_ids([sentence])
                for hyps in decoding.beam_search(
                    self.model, src, o.beams, o.max_len, o.length_penalty
                ):
                    if cancel is not None:
                        cancel.raise_if_cancelled()
                    outputs[i] = hyps[0].tokens
                    yield self._partial(sources, outputs)
                beams.append([(self.tgt_tok.decode(h.tokens), h.normalized) for h in hyps])
        else:
            src = self.source_ids(sources)
            temperature = o.temperature if method == "sample" else 0.0
            steps = decoding.step_by_step(
                self.model, src, o.max_len, True, temperature, o.top_k, generator
            )
            for tokens in steps:
                if cancel is not None:
                    cancel.raise_if_cancelled()
                outputs = tokens.tolist()
                yield self._partial(sources, outputs)
        yield self._final(sources, references, outputs, beams)

    def sample(
        self,
        generator: torch.Generator,
        n: int | None = None,
        options: TranslateOptions | None = None,
    ) -> Translation:
        return collections.deque(self.sample_stream(generator, n, options), maxlen=1)[0]

    def _partial(self, sources: list[str], outputs: list[list[int]]) -> Translation:
        texts = [self.tgt_tok.decode(_until_eos(o)) for o in outputs]
        return Translation(sources=list(sources), translations=texts, final=False)

    def _final(self, sources, references, outputs, beams) -> Translation:
        sample = Translation(sources=list(sources), translations=[], references=references)
        sample.beams = beams
        for sentence, out in zip(sources, outputs, strict=True):
            target = [*_until_eos(out), tokenization.EOS]
            src = self.source_ids([sentence])
            enc, cross = self.attention(src, target)
            sample.translations.append(self.tgt_tok.decode(target))
            sample.source_tokens.append(self.src_tok.pieces(src[0].tolist()))
            sample.target_tokens.append(self.tgt_tok.pieces(target))
            sample.encoder_attention.append(enc)
            sample.cross_attention.append(cross)
        if references:
            hits = sum(h == r for h, r in zip(sample.translations, references, strict=True))
            sample.metrics["exact"] = hits / len(references)
        return sample

    @torch.no_grad()
    def attention(self, src: torch.Tensor, target: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """The encoder's self-attention (layers, heads, S, S) and the decoder's
        cross-attention (layers, heads, T, S) when it made ``target`` (T tokens):
        row t is the query that predicted target token t."""
        tgt_in = torch.tensor([[tokenization.BOS, *target[:-1]]], device=self.device)
        memory = self.model.encode(src, need_weights=True)
        self.model.decode(tgt_in, memory, self.model.source_mask(src), need_weights=True)
        enc = torch.stack(self.model.encoder.attention_weights())[:, 0]
        cross = torch.stack(self.model.decoder.attention_weights()[1])[:, 0]
        return enc.float().cpu().numpy(), cross.float().cpu().numpy()


def _until_eos(row: list[int]) -> list[int]:
    return row[: row.index(tokenization.EOS)] if tokenization.EOS in row else list(row)


def _plain(info: dict[str, Any]) -> dict[str, Any]:
    """The dataset's info without the reader's skipped-line list (can be long)."""
    return {k: v for k, v in info.items() if k != "skipped"}
