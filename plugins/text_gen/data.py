"""The built-in corpus and how a text becomes training windows.

The corpus is the English prose shipped with CPython (``pydoc_data.topics``: the
language reference's topics that ``help()`` shows), so a model trains with no data
at hand. Any dropped .txt arrives through the built-in text reader in the same form:
kind ``text``, ``train=api.TextCorpus(text)``, the whole corpus in ``info["text"]``.

A language model's data are the token stream's first 90% (training) and last 10%
(validation): a contiguous split, as nanoGPT's, because random windows of one stream
overlap and would leak the validation text into training. Training items are window
*start positions*; the engine's seeded batch order shuffles them, and the trainer
gathers the windows on the device, so resume is exact and a batch costs one index.
"""

from __future__ import annotations

import numpy as np
import torch

from studio import api

CORPUS_ID = "python-docs"


def python_docs_text() -> str:
    """The help topics of this Python, in a fixed order."""
    from pydoc_data.topics import topics

    return "\n\n".join(topics[k].strip("\n") for k in sorted(topics))


class LabelledTexts(torch.utils.data.Dataset):
    """(text, class index) pairs: what the labelled-text reader produces."""

    def __init__(self, texts: list[str], labels: list[int]) -> None:
        self.texts, self.labels = texts, labels

    def __len__(self) -> int:
        return len(self.texts)

    def __getitem__(self, index: int) -> tuple[str, int]:
        return self.texts[index], self.labels[index]


def load_python_docs() -> api.LoadedDataset:
    text = python_docs_text()
    return api.LoadedDataset(
        kind="text",
        train=api.TextCorpus(text),
        info={
            "text": text,
            "characters": len(text),
            "words": len(text.split()),
            "lines": text.count("\n") + 1,
            "vocabulary": len(set(text)),
            "source": "pydoc_data.topics (CPython)",
        },
        name=CORPUS_ID,
    )


def corpus_text(dataset: api.LoadedDataset) -> str:
    """The text of a ``text`` dataset, or a clear error."""
    text = dataset.info.get("text")
    if not isinstance(text, str) or not text.strip():
        raise api.DatasetError(
            f"dataset {dataset.name or '?'} holds no text: drop a .txt file or a folder of them"
        )
    return text


def split_stream(ids: np.ndarray, val_fraction: float) -> tuple[torch.Tensor, torch.Tensor]:
    """The first ``1 - val_fraction`` of the tokens for training, the rest held out."""
    tokens = torch.from_numpy(np.ascontiguousarray(ids, dtype=np.int64))
    cut = len(tokens) - round(len(tokens) * val_fraction)
    return tokens[:cut], tokens[cut:]


def window_starts(n_tokens: int, context: int, what: str) -> torch.Tensor:
    """Every start position of a window of ``context + 1`` tokens (inputs + targets)."""
    count = n_tokens - context
    if count < 1:
        raise api.DatasetError(
            f"the {what} part has {n_tokens:,} tokens: too short for a context of {context}; "
            "use a longer text or a shorter context"
        )
    return torch.arange(count)


def fixed_windows(n_tokens: int, context: int, count: int, seed: int = 1337) -> torch.Tensor:
    """``count`` random start positions, the same every time: validation estimates at
    different steps then measure the same text, and draw nothing from the training RNG."""
    g = torch.Generator().manual_seed(seed)
    return torch.randint(max(1, n_tokens - context), (count,), generator=g)
