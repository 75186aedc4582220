"""The denoising trajectory as a sample kind: x_t at a few chosen steps of sampling,
one row per image, pure noise on the left and the final image on the right.

It is an ``api.Images`` (saved as a PNG grid with its captions, read back the same
way) of its own kind, so that the gallery, the compare view and Explore draw it with
the view registered for it. Torch-free: the hook module registers the class.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from studio import api

TRAJECTORY = "diffusion-trajectory"


@dataclass
class Trajectory(api.Images):
    """``images`` (rows x frames, H, W, C) uint8, row-major: ``columns`` frames a row;
    ``labels`` name each frame's timestep (``t=999`` ... ``t=0``)."""

    kind: ClassVar[str] = TRAJECTORY

    @property
    def frames(self) -> int:
        return self.grid_columns()

    @property
    def rows(self) -> int:
        return len(self.images) // max(1, self.frames)

    def frame(self, index: int) -> np.ndarray:
        """Every row's image at frame ``index`` (rows, H, W, C)."""
        return np.asarray(self.images)[index :: self.frames]

    def final(self) -> api.Images:
        """The last frame of each row: the generated images."""
        return api.Images(images=self.frame(self.frames - 1), metrics=dict(self.metrics))

    def summary(self) -> str:
        return f"trajectory of {self.rows} images over {self.frames} steps"
