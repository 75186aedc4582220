"""The sample kind ``image-triples``: source images, their translations and the
translations translated back (A, A->B, A->B->A; or B, B->A, B->A->B), so that the
gallery shows over training both what the translation does and what the cycle keeps.

A triple sample is an ``api.Images`` grid (saved and read back as a PNG with its
metadata, exported as a GIF of the progress like any image batch): one row per role,
one column per source image, with each image's caption naming its role. Qt-free; its
view is in ``widget.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from studio import api

ROLES = {"A->B": ("A", "A->B", "A->B->A"), "B->A": ("B", "B->A", "B->A->B")}


@dataclass
class ImageTriples(api.Images):
    """``images`` holds whole rows (``columns`` images each) of source, translated and
    reconstructed images for each direction shown; ``labels`` name each image's role."""

    kind: ClassVar[str] = "image-triples"

    @classmethod
    def build(
        cls,
        groups: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]],
        metrics: dict[str, float] | None = None,
    ) -> ImageTriples:
        """From ``(direction, sources, translated, reconstructed)`` groups of uint8
        (N, H, W, C) arrays, every group with the same N."""
        rows, labels = [], []
        n = len(groups[0][1])
        for direction, *images in groups:
            for role, row in zip(ROLES[direction], images, strict=True):
                if len(row) != n:
                    raise ValueError("every row of a triple sample needs the same length")
                rows.append(np.asarray(row, dtype=np.uint8))
                labels += [role] * n
        return cls(
            images=np.concatenate(rows), labels=labels, columns=n, metrics=dict(metrics or {})
        )

    def rows(self) -> list[tuple[str, np.ndarray]]:
        """(role, images of the row) for each row, in order."""
        n = self.columns or len(self.images)
        labels = self.labels or [""] * len(self.images)
        return [(labels[i], self.images[i : i + n]) for i in range(0, len(self.images), n)]

    def triples(self, direction: str) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """(sources, translated, reconstructed) of ``direction``, or None if absent."""
        by_role = dict(self.rows())
        roles = ROLES[direction]
        if roles[0] not in by_role:
            return None
        return by_role[roles[0]], by_role[roles[1]], by_role[roles[2]]
