"""Data preparation shared by every model (the book's chapter 2): resizing, channel
conversion, normalisation and a seeded train/validation split, done once here so that
every image model sees its data the same way.

What was done is recorded in ``info["prep"]``; the engine copies it into the run's
``config.json``, so a run says exactly which split and normalisation it trained on.
"""

from __future__ import annotations

import copy
from typing import Any

import torch
import torch.nn.functional as F
from torch.utils.data import Dataset, Subset

from studio.core.datasets import LoadedDataset, split
from studio.core.errors import DatasetError

IMAGE_KINDS = ("images", "labelled-images")

# ITU-R 601 luma: what Pillow's convert("L") uses, so tensor and file inputs agree.
_LUMA = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)


def _to_unit(images: torch.Tensor) -> torch.Tensor:
    if images.dtype == torch.uint8:
        return images.float() / 255.0
    return images.float()


def _convert(images: torch.Tensor, size: int, channels: int) -> torch.Tensor:
    """(N, C, H, W) in [0, 1] -> (N, channels, size, size) in [-1, 1]."""
    if images.shape[1] != channels:
        if channels == 3 and images.shape[1] == 1:
            images = images.expand(-1, 3, -1, -1)
        elif channels == 1 and images.shape[1] == 3:
            images = (images * _LUMA).sum(1, keepdim=True)
        else:
            raise DatasetError(f"cannot convert {images.shape[1]}-channel images to {channels}")
    if images.shape[-2:] != (size, size):
        images = F.interpolate(
            images, size=(size, size), mode="bilinear", antialias=True, align_corners=False
        )
    return (images.clamp(0, 1) * 2 - 1).contiguous()


def _convert_tensors(part: tuple[torch.Tensor, ...], size: int, channels: int, chunk: int = 4096):
    images = part[0]
    if images.dim() != 4:
        raise DatasetError(f"images must be (N, C, H, W), not {tuple(images.shape)}")
    out = torch.cat(
        [
            _convert(_to_unit(images[i : i + chunk]), size, channels)
            for i in range(0, len(images), chunk)
        ]
    )
    return (out, *part[1:])


class PreparedImages(Dataset):
    """A map-style image dataset decoded on access, as float tensors in [-1, 1].

    Items of ``part`` are uint8 ``(C, H, W)`` images, alone or with a label. When
    ``part`` can decode at a given size (the readers' ``ImageFiles`` has ``size`` and
    ``channels``), it does so; otherwise items are resized here. An item that fails to
    decode (a truncated file only decoding finds) is replaced by the next good one and
    recorded in ``skipped``: one bad file among thousands must not end a run.
    """

    max_consecutive_failures = 50

    def __init__(self, part: Any, size: int, channels: int) -> None:
        if hasattr(part, "size") and hasattr(part, "channels"):
            part = copy.copy(part)
            part.size, part.channels = size, channels
        self.part = part
        self.size = size
        self.channels = channels
        self.skipped: dict[int, str] = {}

    def __len__(self) -> int:
        return len(self.part)

    def _prepare(self, item: Any) -> Any:
        image, rest = (item[0], item[1:]) if isinstance(item, tuple) else (item, ())
        image = _convert(_to_unit(image).unsqueeze(0), self.size, self.channels)[0]
        return (image, *rest) if rest else image

    def __getitem__(self, index: int) -> Any:
        n = len(self.part)
        for attempt in range(min(n, self.max_consecutive_failures)):
            i = (index + attempt) % n
            if i in self.skipped:
                continue
            try:
                return self._prepare(self.part[i])
            except DatasetError as exc:
                self.skipped[i] = str(exc)
        raise DatasetError(
            f"{self.max_consecutive_failures} images in a row could not be decoded; "
            f"last: {next(reversed(self.skipped.values()), '?')}"
        )


def _split_dataset(part: Dataset, val_fraction: float, seed: int):
    n = len(part)
    n_val = round(n * val_fraction)
    if n_val == 0:
        return part, None
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()
    return Subset(part, perm[n_val:]), Subset(part, perm[:n_val])


def prepare_images(
    dataset: LoadedDataset,
    size: int,
    channels: int,
    val_fraction: float = 0.0,
    seed: int = 0,
) -> LoadedDataset:
    """Images resized to ``size`` x ``size``, converted to ``channels`` (1 or 3) and
    scaled to [-1, 1] (the range of a tanh generator), with labels kept.

    Tensor datasets (uint8 ``(N, C, H, W)`` or float in [0, 1], then optional labels)
    are converted at once and stay tensors (the fast path); file datasets are wrapped
    and decoded on access. When the dataset has no validation part and
    ``val_fraction`` > 0, a split seeded by ``seed`` is made.
    """
    if dataset.kind not in IMAGE_KINDS:
        raise DatasetError(f"{dataset.name or 'the dataset'} holds {dataset.kind}, not images")
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 or 3, not {channels}")

    def convert(part):
        if part is None:
            return None
        if isinstance(part, tuple):
            return _convert_tensors(part, size, channels)
        return PreparedImages(part, size, channels)

    train, val = convert(dataset.train), convert(dataset.val)
    split_seed = None
    if val is None and val_fraction > 0:
        split_seed = seed
        if isinstance(train, tuple):
            train, val = split(train, val_fraction, seed)
        else:
            train, val = _split_dataset(train, val_fraction, seed)
    info = dict(dataset.info)
    info["prep"] = {
        "size": size,
        "channels": channels,
        "range": [-1.0, 1.0],
        "val_fraction": val_fraction if split_seed is not None else 0.0,
        "split_seed": split_seed,
    }
    return LoadedDataset(kind=dataset.kind, train=train, val=val, info=info, name=dataset.name)


def skipped_items(dataset: LoadedDataset) -> dict[int, str]:
    """Items replaced because they failed to decode during training (index -> reason)."""
    out: dict[int, str] = {}
    for part in (dataset.train, dataset.val):
        while isinstance(part, Subset):
            part = part.dataset
        if isinstance(part, PreparedImages):
            out.update(part.skipped)
    return out
