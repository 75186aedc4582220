"""The embedded digits dataset (registered by the image GAN plugin, used by every image
model and by the digit judge): scikit-learn's bundled handwritten digits (1,797 images of
8x8 pixels, 0-16 levels, 10 classes), upscaled to 32x32 for the convolutional models.

The file is the one ``sklearn.datasets.load_digits`` reads (``digits.csv.gz`` inside
the installed scikit-learn package: no download). It is read directly, without
importing scikit-learn, whose import alone takes seconds: every run, resume and
sampler loads the dataset again.
"""

from __future__ import annotations

import functools
import importlib.util
import os
from typing import TYPE_CHECKING, Any

from studio.core.errors import DatasetError

if TYPE_CHECKING:  # pragma: no cover
    from studio.core.datasets import LoadedDataset

DIGITS_SIZE = 32
DIGITS_ITEMS = 1797
CLASSES = [str(i) for i in range(10)]


def digits_file() -> str:
    """The path of scikit-learn's ``digits.csv.gz`` (found without importing sklearn)."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise DatasetError("the digits need scikit-learn, which is not installed")
    path = os.path.join(spec.submodule_search_locations[0], "datasets", "data", "digits.csv.gz")
    if not os.path.isfile(path):
        raise DatasetError(f"scikit-learn's digits file is missing: {path}")
    return path


@functools.lru_cache(maxsize=2)
def _digits(size: int) -> tuple[Any, Any]:
    import numpy as np
    import torch
    import torch.nn.functional as F

    table = np.loadtxt(digits_file(), delimiter=",", dtype=np.float32)  # 64 pixels, label
    images = torch.from_numpy(table[:, :64]).view(-1, 1, 8, 8) / 16.0
    images = F.interpolate(images, size=(size, size), mode="bilinear", align_corners=False)
    images = (images.clamp(0, 1) * 255).round().to(torch.uint8)
    labels = torch.from_numpy(table[:, 64]).to(torch.int64)
    return images, labels


def load_digits(size: int = DIGITS_SIZE) -> LoadedDataset:
    """The digits as kind ``labelled-images``: uint8 (1797, 1, size, size), 0..16 scaled
    to 0..255 and upscaled bilinearly (smooth strokes, not 4x4 blocks), int64 labels.
    Read once per process (the tensors are shared: nothing modifies them in place)."""
    from studio.core.datasets import LoadedDataset

    images, labels = _digits(size)
    return LoadedDataset(
        kind="labelled-images",
        train=(images, labels),
        info={"classes": list(CLASSES), "source": "scikit-learn digits.csv.gz"},
        name="digits",
    )
