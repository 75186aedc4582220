"""Image-caption pairs for text-to-image and CLIP, from labelled images (captions made
from the class names) or captioned images (their own captions).

Every batch the engine draws is ``(images, keys)``: images in [-1, 1] and one integer
key per image. For labelled data a key is the class, and each time an image is drawn
one of its class's phrasings is picked at random (from torch's global RNG, which the
engine checkpoints); for captioned data a key is the image's index and its caption is
fixed. ``CaptionTable`` turns keys into caption ids and caption ids into word ids.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import torch

from studio import api

from .text_tokens import WordTokenizer, class_captions, is_digit_classes

KINDS = ("labelled-images", "captioned-images")


@dataclass
class CaptionTable:
    """The captions of a dataset.

    Attributes:
        captions: every caption trained on (for classes: ``per_class`` in a row each).
        group: the group of each caption: its class, or its distinct caption.
        per_class: phrasings per class (0: captions of images, one each).
        prompts: one caption per group, for previews and the retrieval scores.
        classes: the class names (labelled data), else None.
        item_caption: for captioned data, the caption id of each image.
    """

    captions: list[str]
    group: list[int]
    per_class: int
    prompts: list[str]
    classes: list[str] | None = None
    item_caption: list[int] | None = None

    @property
    def digits(self) -> bool:
        return self.classes is not None and is_digit_classes(self.classes)

    def caption_ids(self, keys: torch.Tensor, random: bool = True) -> torch.Tensor:
        """The caption id of each key of a batch (a random phrasing of its class)."""
        keys = keys.long().cpu()
        if self.per_class:
            pick = torch.randint(self.per_class, keys.shape) if random else torch.zeros_like(keys)
            return keys * self.per_class + pick
        return torch.as_tensor(self.item_caption)[keys]

    def groups(self, keys: torch.Tensor) -> torch.Tensor:
        """The group of each key (the class, or the distinct caption)."""
        keys = keys.long().cpu()
        if self.per_class:
            return keys
        return torch.as_tensor(self.group)[torch.as_tensor(self.item_caption)[keys]]

    def token_table(self, tokenizer: WordTokenizer) -> torch.Tensor:
        """(captions, max_tokens) word ids of every caption."""
        return torch.tensor([tokenizer.encode(c) for c in self.captions], dtype=torch.long)


def caption_table(dataset: api.LoadedDataset) -> CaptionTable:
    """The captions of ``dataset`` (labelled or captioned images)."""
    if dataset.kind == "captioned-images":
        captions = [str(c) for c in dataset.info.get("captions", [])]
        if len(captions) != len(dataset.train):
            raise api.DatasetError("captioned images need one caption per image")
        distinct = list(dict.fromkeys(captions))
        where = {c: i for i, c in enumerate(distinct)}
        return CaptionTable(
            captions=distinct,
            group=list(range(len(distinct))),
            per_class=0,
            prompts=distinct,
            item_caption=[where[c] for c in captions],
        )
    if dataset.kind != "labelled-images":
        raise api.DatasetError(f"{dataset.name or 'the data'} holds {dataset.kind}, not captions")
    classes = [str(c) for c in dataset.info.get("classes") or []]
    if not classes:
        labels = dataset.train[1] if isinstance(dataset.train, tuple) else None
        if labels is None:
            raise api.DatasetError("labelled images need their class names")
        classes = [str(i) for i in range(int(labels.max()) + 1)]
    phrasings = class_captions(classes)
    per = len(phrasings[0])
    return CaptionTable(
        captions=[c for group in phrasings for c in group],
        group=[i for i, group in enumerate(phrasings) for _ in group],
        per_class=per,
        prompts=[group[0] for group in phrasings],
        classes=classes,
    )


def prepare(
    dataset: api.LoadedDataset, size: int, channels: int, val_fraction: float = 0.0
) -> tuple[api.LoadedDataset, CaptionTable]:
    """Images in [-1, 1] at ``size`` with a key each, and the caption table."""
    if dataset.kind not in KINDS:
        raise api.DatasetError(
            f"{dataset.name or 'the data'} holds {dataset.kind}: text-to-image and CLIP "
            "train on labelled images or images with captions"
        )
    table = caption_table(dataset)
    if dataset.kind == "captioned-images":
        # The image files with their own index as "label": the key of each image.
        files = copy.copy(dataset.train)
        files.labels = list(range(len(files)))
        dataset = api.LoadedDataset(
            kind="labelled-images", train=files, info=dict(dataset.info), name=dataset.name
        )
    prepared = api.prepare_images(dataset, size, channels, val_fraction=val_fraction)
    prepared.info["caption_prompts"] = list(table.prompts[:64])
    return prepared, table


def all_images(part: Any, limit: int = 4096) -> tuple[torch.Tensor, torch.Tensor]:
    """Up to ``limit`` (images, keys) of a prepared part, as two tensors."""
    if part is None:
        return torch.zeros(0), torch.zeros(0, dtype=torch.long)
    if isinstance(part, tuple):
        return part[0][:limit].float(), part[1][:limit].long()
    items = [part[i] for i in range(min(len(part), limit))]
    return torch.stack([it[0] for it in items]).float(), torch.tensor([int(it[1]) for it in items])
