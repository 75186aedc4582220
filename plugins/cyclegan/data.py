"""The two domains a CycleGAN trains on, prepared as every image model prepares its
images (``api.prepare_images``: resized, converted to the channels asked for, scaled
to [-1, 1]), one batch at a time.

A two-domain dataset (the readers' ``image-two-domains`` and
``image-two-domains-named``, or the embedded digit domains) holds domain A in
``train`` and domain B in ``info["domain_b"]``: images as uint8 tensors, or files
decoded on access. The engine draws batches of positions in the larger domain (an
epoch is max(|A|, |B|) images, as in the paper's code); the trainer takes image
``i mod |A|`` of A and a random image of B for each, so the pairs change every epoch.
"""

from __future__ import annotations

from typing import Any

import torch

from studio import api

NEEDS_TWO = (
    "CycleGAN needs two image domains: drop a folder holding two sub-folders of images "
    "(trainA and trainB, or any two you name A and B)"
)


class Domain:
    """One domain's images, prepared on demand: ``batch(indices)`` -> (N, C, S, S)."""

    def __init__(self, part: Any, size: int, channels: int) -> None:
        if part is None:
            raise api.DatasetError(NEEDS_TWO)
        self.size, self.channels = size, channels
        self.tensors = isinstance(part, tuple)
        # Tensors stay uint8 and are converted a batch at a time: a 256x256 colour copy
        # of even the embedded digits would take 1.4 GB as floats.
        self.part = part[0] if self.tensors else self._prepared(part)
        if len(self.part) == 0:
            raise api.DatasetError("a domain holds no images")

    def _prepared(self, part: Any) -> Any:
        loaded = api.LoadedDataset(kind="images", train=part)
        return api.prepare_images(loaded, self.size, self.channels).train

    def __len__(self) -> int:
        return len(self.part)

    def batch(self, indices: torch.Tensor, flip: bool = False) -> torch.Tensor:
        """Images ``indices`` (CPU) in [-1, 1]; with ``flip``, each mirrored left-right
        with probability 1/2 (a draw from torch's global RNG)."""
        if self.tensors:
            raw = self.part[indices]
            images = api.prepare_images(
                api.LoadedDataset(kind="images", train=(raw,)), self.size, self.channels
            ).train[0]
        else:
            items = [self.part[int(i)] for i in indices]
            images = torch.stack([it[0] if isinstance(it, tuple) else it for it in items])
        if flip:
            mirror = torch.rand(len(images)) < 0.5
            images = torch.where(mirror.view(-1, 1, 1, 1), images.flip(-1), images)
        return images


def domains(
    dataset: api.LoadedDataset, size: int, channels: int, held_out: bool = False
) -> tuple[Domain, Domain]:
    """Domains A and B of a two-domain dataset (``held_out``: its validation parts when
    it has them, else the training parts)."""
    if dataset.kind != "two-domain-images" or "domain_b" not in dataset.info:
        raise api.DatasetError(NEEDS_TWO)
    a, b = dataset.train, dataset.info["domain_b"]
    if held_out and dataset.val is not None and dataset.info.get("domain_b_val") is not None:
        a, b = dataset.val, dataset.info["domain_b_val"]
    return Domain(a, size, channels), Domain(b, size, channels)


def domain_names(dataset: api.LoadedDataset) -> list[str]:
    """The names of the two domains (the sub-folders' names for a dropped folder)."""
    names = dataset.info.get("domains") or ["A", "B"]
    return [str(n) for n in names[:2]]
