"""Tokenizers: characters, words and byte-level BPE, trained on the user's corpus.

Words and BPE are Hugging Face ``tokenizers`` models; characters are a sorted list of
the corpus's code points. Every tokenizer saves itself as a JSON-able dict
(``state()``) that goes into the run's checkpoints and comes back with
``from_state``, so a run is reloaded with exactly the tokenizer it was trained with.
Nothing is pickled.

(The module is not called ``tokenizers.py`` so that it can never shadow the
``tokenizers`` package it uses.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from studio import api

KINDS = ("char", "word", "bpe", "book-words-ch8", "book-words-ch12")
# The book's word tokenizers (lower case, split on white space, marks split off):
# chapter 8 splits off these marks (and reads "-" as a space), chapter 12 every
# character that is neither a letter nor a digit.
BOOK_MARKS = {
    "book-words-ch8": r"[,.:;?!$()/_&%*@'`\"]",
    "book-words-ch12": r"[^\w\s]|_",
}
END_OF_TEXT = "<|endoftext|>"
UNKNOWN = "<unk>"
# Words keep their leading space (as GPT-2's pieces do), punctuation runs and runs of
# white space are their own tokens, so decoding is concatenation and round-trips.
WORD_PATTERN = r" ?\w+| ?[^\w\s]+|\s+"


class TextTokenizer:
    """Common surface: ``encode``, ``decode``, ``vocab_size``, ``start_id``, ``state``."""

    kind: str = ""

    @property
    def vocab_size(self) -> int:
        raise NotImplementedError

    @property
    def start_id(self) -> int:
        """The token generation starts from when the prompt is empty."""
        raise NotImplementedError

    def encode(self, text: str) -> list[int]:
        raise NotImplementedError

    def encode_array(self, text: str) -> np.ndarray:
        """The whole corpus as an int64 array (fast paths where there is one)."""
        return np.asarray(self.encode(text), dtype=np.int64)

    def decode(self, ids: list[int]) -> str:
        raise NotImplementedError

    def state(self) -> dict[str, Any]:
        raise NotImplementedError


class CharTokenizer(TextTokenizer):
    """One token per character of the corpus (nanoGPT's shakespeare_char)."""

    kind = "char"

    def __init__(self, chars: list[str]) -> None:
        self.chars = list(chars)
        self.index = {c: i for i, c in enumerate(self.chars)}
        # Code point -> id lookup for encoding a whole corpus at NumPy speed.
        self._lut = np.full(max(map(ord, self.chars)) + 1, -1, dtype=np.int64)
        for i, c in enumerate(self.chars):
            self._lut[ord(c)] = i

    @classmethod
    def train(cls, text: str) -> CharTokenizer:
        return cls(sorted(set(text)))

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    @property
    def start_id(self) -> int:
        return self.index.get("\n", 0)

    def encode(self, text: str) -> list[int]:
        # Characters the corpus never had are dropped: the model has no id for them.
        return [self.index[c] for c in text if c in self.index]

    def encode_array(self, text: str) -> np.ndarray:
        points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
        points = points[points < len(self._lut)]
        ids = self._lut[points]
        return ids[ids >= 0]

    def decode(self, ids: list[int]) -> str:
        return "".join(self.chars[i] for i in ids)

    def state(self) -> dict[str, Any]:
        return {"kind": self.kind, "chars": "".join(self.chars)}


class HFTokenizer(TextTokenizer):
    """A Hugging Face ``tokenizers.Tokenizer`` (word level or byte-level BPE)."""

    def __init__(self, kind: str, tokenizer: Any) -> None:
        self.kind = kind
        self.tok = tokenizer
        eot = tokenizer.token_to_id(END_OF_TEXT)
        self._start = eot if eot is not None else 0
        if kind == "word":
            nl = tokenizer.token_to_id("\n")
            self._start = nl if nl is not None else 0
        elif kind in BOOK_MARKS:  # no line breaks survive: start after a full stop
            stop = tokenizer.token_to_id(".")
            self._start = stop if stop is not None else 0

    @property
    def vocab_size(self) -> int:
        return self.tok.get_vocab_size()

    @property
    def start_id(self) -> int:
        return self._start

    def encode(self, text: str) -> list[int]:
        return self.tok.encode(text).ids

    def decode(self, ids: list[int]) -> str:
        return self.tok.decode(list(ids), skip_special_tokens=False)

    def state(self) -> dict[str, Any]:
        return {"kind": self.kind, "json": self.tok.to_str()}


def train_word(text: str, vocab_size: int) -> HFTokenizer:
    """The ``vocab_size`` most frequent words, punctuation runs and space runs; the rest
    read as ``<unk>``."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.WordLevel(unk_token=UNKNOWN))
    tok.pre_tokenizer = pre_tokenizers.Split(Regex(WORD_PATTERN), behavior="isolated")
    tok.decoder = decoders.Fuse()
    trainer = trainers.WordLevelTrainer(
        vocab_size=vocab_size, special_tokens=[UNKNOWN], show_progress=False
    )
    tok.train_from_iterator([text], trainer)
    return HFTokenizer("word", tok)


def train_book_words(kind: str, text: str, vocab_size: int) -> HFTokenizer:
    """The book's word tokenizer (``BOOK_MARKS``): every word is kept up to
    ``vocab_size`` words; decoding joins the tokens with spaces, as the book prints."""
    from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers, trainers

    tok = Tokenizer(models.WordLevel(unk_token=UNKNOWN))
    steps = [normalizers.Lowercase()]
    if kind == "book-words-ch8":
        steps.append(normalizers.Replace("-", " "))
    tok.normalizer = normalizers.Sequence(steps)
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.WhitespaceSplit(),
            pre_tokenizers.Split(Regex(BOOK_MARKS[kind]), behavior="isolated"),
        ]
    )
    trainer = trainers.WordLevelTrainer(
        vocab_size=vocab_size, special_tokens=[UNKNOWN], show_progress=False
    )
    tok.train_from_iterator([text], trainer)
    return HFTokenizer(kind, tok)


def train_bpe(text: str, vocab_size: int) -> HFTokenizer:
    """Byte-level BPE (GPT-2's scheme) learned on the corpus: no unknown tokens."""
    from tokenizers import ByteLevelBPETokenizer

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(
        [text],
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=[END_OF_TEXT],
        show_progress=False,
    )
    return HFTokenizer("bpe", bpe._tokenizer)


def train(kind: str, text: str, vocab_size: int) -> TextTokenizer:
    """A tokenizer of ``kind`` (char, word, bpe or one of the book's word tokenizers)
    trained on ``text``."""
    if kind == "char":
        return CharTokenizer.train(text)
    if kind == "word":
        return train_word(text, vocab_size)
    if kind == "bpe":
        return train_bpe(text, vocab_size)
    if kind in BOOK_MARKS:
        return train_book_words(kind, text, vocab_size)
    raise ValueError(f"unknown tokenizer {kind!r}; one of {', '.join(KINDS)}")


def from_state(state: dict[str, Any]) -> TextTokenizer:
    """Rebuild a tokenizer from what ``state()`` returned."""
    kind = state.get("kind")
    if kind == "char":
        return CharTokenizer(list(state["chars"]))
    if kind in ("word", "bpe", "gpt2", *BOOK_MARKS):
        from tokenizers import Tokenizer

        return HFTokenizer(kind, Tokenizer.from_str(state["json"]))
    raise ValueError(f"unknown tokenizer state of kind {kind!r}")


def load_gpt2(folder: Path) -> HFTokenizer:
    """GPT-2's own byte-level BPE from ``vocab.json`` + ``merges.txt`` in ``folder``."""
    from tokenizers import ByteLevelBPETokenizer

    vocab, merges = Path(folder) / "vocab.json", Path(folder) / "merges.txt"
    missing = [p.name for p in (vocab, merges) if not p.is_file()]
    if missing:
        raise api.DatasetError(
            f"{folder}: the GPT-2 tokenizer needs vocab.json and merges.txt; "
            f"missing: {', '.join(missing)}"
        )
    bpe = ByteLevelBPETokenizer.from_file(str(vocab), str(merges))
    return HFTokenizer("gpt2", bpe._tokenizer)
