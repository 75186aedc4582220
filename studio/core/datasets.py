"""Loaded datasets and the seeded batch order every model trains with.

A reader or an embedded dataset returns a ``LoadedDataset``: tensors (the fast path,
batched by indexing) or any map-style ``torch.utils.data.Dataset``, already split
into train and validation parts, plus ``info`` the model may need (class names,
vocabulary, the true curve...). The batch order is a pure function of
(seed, epoch, position), which is what makes resume exact.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from studio.core.errors import DatasetError  # noqa: F401  (re-exported for readers)

if TYPE_CHECKING:  # pragma: no cover
    import torch

# Torch is imported when data is batched, not when it is read: the window reads and
# previews a dropped dataset without loading torch (half a gigabyte resident).


def _is_tensor(value: Any) -> bool:
    torch = sys.modules.get("torch")  # no torch loaded: nothing can be a tensor
    return torch is not None and isinstance(value, torch.Tensor)


@dataclass
class LoadedDataset:
    """Data ready for training.

    Attributes:
        kind: the dataset kind (``points2d``, ``onehot-numbers``, ``images``...).
        train: a tuple of equally long tensors, or a map-style torch Dataset.
        val: the held-out part in the same form, or ``None``.
        info: anything a model or the browser needs (``classes``, ``reference``...).
        name: shown in logs.
    """

    kind: str
    train: tuple[torch.Tensor, ...] | Any
    val: tuple[torch.Tensor, ...] | Any | None = None
    info: dict[str, Any] = field(default_factory=dict)
    name: str = ""

    def __post_init__(self) -> None:
        if _is_tensor(self.train):
            self.train = (self.train,)
        if _is_tensor(self.val):
            self.val = (self.val,)
        for part in (self.train, self.val):
            if isinstance(part, tuple) and len({len(t) for t in part}) > 1:
                raise ValueError("the tensors of a dataset must have the same length")

    def __len__(self) -> int:
        return _length(self.train)


def _length(part: Any) -> int:
    return len(part[0]) if isinstance(part, tuple) else len(part)


def split(
    tensors: tuple[torch.Tensor, ...], val_fraction: float, seed: int = 0
) -> tuple[tuple[torch.Tensor, ...], tuple[torch.Tensor, ...] | None]:
    """A seeded random train/validation split of equally long tensors."""
    import torch

    n = len(tensors[0])
    n_val = round(n * val_fraction)
    if n_val == 0:
        return tensors, None
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    val_idx, train_idx = perm[:n_val], perm[n_val:]
    return tuple(t[train_idx] for t in tensors), tuple(t[val_idx] for t in tensors)


class BatchOrder:
    """Batches of a dataset part in an order fixed by (seed, epoch).

    Every epoch is a fresh permutation drawn from its own generator, so position
    (epoch, index) can be reached again after a restart without replaying anything.
    """

    def __init__(
        self,
        part: Any,
        batch_size: int,
        seed: int,
        shuffle: bool = True,
        shard: tuple[int, int] = (0, 1),
    ) -> None:
        self.part = part
        self.n = _length(part)
        if self.n == 0:
            raise ValueError("the dataset is empty")
        self.batch_size = max(1, min(batch_size, self.n))
        self.seed = seed
        self.shuffle = shuffle
        # (rank, world size): this process takes its contiguous slice of every global
        # batch, so N processes together see exactly the batches of one.
        self.rank, self.world = shard
        if self.batch_size % self.world:
            raise ValueError(
                f"the batch size ({self.batch_size}) must be a multiple of the number of "
                f"processes ({self.world}): each takes an equal slice of every batch"
            )

    @property
    def batches_per_epoch(self) -> int:
        return self.n // self.batch_size  # drop_last: every batch has the same size

    def _perm(self, epoch: int) -> torch.Tensor:
        import torch

        if not self.shuffle:
            return torch.arange(self.n)
        g = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
        return torch.randperm(self.n, generator=g)

    def _fetch(self, idx: torch.Tensor) -> Any:
        if isinstance(self.part, tuple):
            items = tuple(t[idx] for t in self.part)
            return items[0] if len(items) == 1 else items
        from torch.utils.data import default_collate

        return default_collate([self.part[int(i)] for i in idx])

    def iterate(self, epoch: int, start: int) -> Iterator[tuple[int, int, Any]]:
        """Yield (epoch, index within epoch, batch) forever, from position (epoch, start)."""
        while True:
            perm = self._perm(epoch)
            bs = self.batch_size
            per_rank = bs // self.world
            for i in range(start, self.batches_per_epoch):
                lo = i * bs + self.rank * per_rank
                yield epoch, i, self._fetch(perm[lo : lo + per_rank])
            epoch, start = epoch + 1, 0


def move_to(batch: Any, device: torch.device) -> Any:
    """Move a tensor or a (nested) tuple/list/dict of tensors to ``device``."""
    if _is_tensor(batch):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, (tuple, list)):
        return type(batch)(move_to(b, device) for b in batch)
    if isinstance(batch, dict):
        return {k: move_to(v, device) for k, v in batch.items()}
    return batch
