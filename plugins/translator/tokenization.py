"""Subword tokenizers (BPE, Hugging Face ``tokenizers``), one per language or one
joint vocabulary, trained on the training pairs and kept in the run.

Accents and case are kept (the book's tokenizer lowercases and strips accents, so
"français" comes out "francais"): text is only NFC-normalised, spaces become "▁"
(SentencePiece's marker) so that decoding gives back the exact text. Ids 0-3 are
<pad>, <s>, </s>, <unk> on both sides.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

SPECIALS = ["<pad>", "<s>", "</s>", "<unk>"]
PAD, BOS, EOS, UNK = range(4)


class SubwordTokenizer:
    """Encode text to ids (without <s> and </s>) and decode ids back to text."""

    def __init__(self, tokenizer: Tokenizer) -> None:
        self.tok = tokenizer
        self.vocab_size = tokenizer.get_vocab_size()

    def encode(self, text: str) -> list[int]:
        return self.tok.encode(text).ids

    def encode_batch(self, texts: list[str]) -> list[list[int]]:
        return [e.ids for e in self.tok.encode_batch(texts)]

    def decode(self, ids: Iterable[int]) -> str:
        return self.tok.decode([int(i) for i in ids if i > EOS])

    def pieces(self, ids: Iterable[int]) -> list[str]:
        """Each id as its subword, the word-start marker shown as a space."""
        return [self.tok.id_to_token(int(i)).replace("▁", " ") for i in ids]

    def state(self) -> str:
        return self.tok.to_str()

    @classmethod
    def from_state(cls, state: str) -> SubwordTokenizer:
        return cls(Tokenizer.from_str(state))


def train_bpe(texts: list[str], vocab_size: int) -> SubwordTokenizer:
    """A BPE vocabulary of at most ``vocab_size`` ids learned from ``texts``."""
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=SPECIALS, show_progress=False
    )
    tok.train_from_iterator(texts, trainer)
    return SubwordTokenizer(tok)


def train_pair(
    sources: list[str], targets: list[str], vocab_size: int, joint: bool
) -> tuple[SubwordTokenizer, SubwordTokenizer]:
    """Source and target tokenizers: separate (``vocab_size`` each) or one joint
    vocabulary shared by both sides."""
    if joint:
        shared = train_bpe(sources + targets, vocab_size)
        return shared, shared
    return train_bpe(sources, vocab_size), train_bpe(targets, vocab_size)


def pair_state(src: SubwordTokenizer, tgt: SubwordTokenizer) -> str:
    return json.dumps({"source": src.state(), "target": tgt.state()})


def pair_from_state(state: str) -> tuple[SubwordTokenizer, SubwordTokenizer]:
    data = json.loads(state)
    src = SubwordTokenizer.from_state(data["source"])
    if data["target"] == data["source"]:
        return src, src
    return src, SubwordTokenizer.from_state(data["target"])
