"""The text dataset type: a corpus as characters, what every ``text`` dataset holds.

The built-in corpus and the text reader both produce ``LoadedDataset(kind="text",
train=TextCorpus(text), info={"text": text, ...})``; models tokenize ``info["text"]``
themselves (characters, words, BPE).
"""

from __future__ import annotations

import torch


class TextCorpus(torch.utils.data.Dataset):
    """A text as a dataset of code points: ``corpus[i] == ord(text[i])``."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __len__(self) -> int:
        return len(self.text)

    def __getitem__(self, index: int) -> int:
        return ord(self.text[index])


__all__ = ["TextCorpus"]
