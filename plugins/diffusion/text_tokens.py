"""Captions as words: the captions of labelled data, a word-level vocabulary and the
digit a prompt asks for. Pure Python (no torch): the trainers turn ids into tensors.

The captions a model trains on say what the images are. A folder of classes gets
"a {class}" captions; the embedded digits get several phrasings per class ("a
handwritten seven", "the digit 7", ...), so the text encoder has to learn that
"seven" and "7" mean the same, and a user may type any of them. Captioned images
(``image.png`` + ``image.txt``, a CSV) bring their own.

The vocabulary is every word of the training captions (lower case; numbers and
punctuation marks are words of their own). A word it never saw becomes ``<unk>``:
a model trained on ten digit captions knows about thirty words, and says which words
of a prompt it does not know (``unknown_words``) instead of pretending.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

PAD, UNK, BOS = "<pad>", "<unk>", "<bos>"
SPECIALS = (PAD, UNK, BOS)  # ids 0, 1, 2
NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
DIGIT_TEMPLATES = (
    "a handwritten {word}",
    "the digit {digit}",
    "a {word}",
    "the number {word}",
    "a handwritten digit {digit}",
)
CLASS_TEMPLATES = ("a {name}", "a picture of a {name}", "{name}")
_WORD = re.compile(r"[a-z0-9]+|[^\sa-z0-9]")


def words(text: str) -> list[str]:
    """Lower-case words, numbers and punctuation marks of ``text``."""
    return _WORD.findall(text.lower())


def is_digit_classes(classes: Sequence[str]) -> bool:
    return [str(c) for c in classes] == [str(i) for i in range(10)]


def class_captions(classes: Sequence[str]) -> list[list[str]]:
    """The captions of each class: for the digits "a handwritten seven" and four other
    phrasings; for named classes ("cats") "a cats", "a picture of a cats", "cats"."""
    if is_digit_classes(classes):
        return [
            [t.format(word=NUMBER_WORDS[i], digit=i) for t in DIGIT_TEMPLATES] for i in range(10)
        ]
    names = [str(c).replace("_", " ").replace("-", " ") for c in classes]
    return [[t.format(name=n) for t in CLASS_TEMPLATES] for n in names]


def asked_digit(prompt: str) -> int | None:
    """The digit a prompt asks for ("a handwritten seven", "the digit 7"), or None
    when it names none or several."""
    found = set()
    for word in words(prompt):
        if word in NUMBER_WORDS:
            found.add(NUMBER_WORDS.index(word))
        elif word.isdigit() and len(word) == 1:
            found.add(int(word))
    return found.pop() if len(found) == 1 else None


class WordTokenizer:
    """Words to ids over a fixed vocabulary; ``<bos>`` starts every caption, so the
    empty caption (classifier-free guidance's "no caption") is one token long."""

    def __init__(self, vocabulary: Sequence[str], max_tokens: int) -> None:
        if list(vocabulary[: len(SPECIALS)]) != list(SPECIALS):
            raise ValueError(f"a vocabulary starts with {', '.join(SPECIALS)}")
        self.vocabulary = list(vocabulary)
        self.index = {w: i for i, w in enumerate(self.vocabulary)}
        self.max_tokens = max_tokens

    @classmethod
    def build(cls, captions: Iterable[str], max_tokens: int) -> WordTokenizer:
        """The vocabulary of ``captions`` (sorted: the same captions give the same ids)."""
        seen = sorted({w for c in captions for w in words(c)} - set(SPECIALS))
        return cls([*SPECIALS, *seen], max_tokens)

    def __len__(self) -> int:
        return len(self.vocabulary)

    def encode(self, caption: str) -> list[int]:
        """``<bos>`` and the caption's word ids, cut to ``max_tokens`` and padded with 0."""
        ids = [self.index[BOS]] + [self.index.get(w, 1) for w in words(caption)]
        ids = ids[: self.max_tokens]
        return ids + [0] * (self.max_tokens - len(ids))

    def unknown(self, caption: str) -> list[str]:
        """The words of ``caption`` the vocabulary lacks."""
        return [w for w in words(caption) if w not in self.index]
