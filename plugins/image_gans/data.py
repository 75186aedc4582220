"""The embedded dataset: scikit-learn's bundled handwritten digits (1,797 images of
8x8 pixels, 0-16 levels, 10 classes), read from a file inside the scikit-learn
package (no download) and upscaled to 32x32 so the convolutional models can use them.
"""

from __future__ import annotations

from studio import api

DIGITS_SIZE = 32
DIGITS_ITEMS = 1797
CLASSES = [str(i) for i in range(10)]


def load_digits(size: int = DIGITS_SIZE) -> api.LoadedDataset:
    """The digits as kind ``labelled-images``: uint8 (1797, 1, size, size), 0..16 scaled
    to 0..255 and upscaled bilinearly (smooth strokes, not 4x4 blocks), int64 labels."""
    import torch
    import torch.nn.functional as F
    from sklearn.datasets import load_digits as sklearn_digits

    digits = sklearn_digits()
    images = torch.as_tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16.0
    images = F.interpolate(images, size=(size, size), mode="bilinear", align_corners=False)
    images = (images.clamp(0, 1) * 255).round().to(torch.uint8)
    labels = torch.as_tensor(digits.target, dtype=torch.int64)
    return api.LoadedDataset(
        kind="labelled-images",
        train=(images, labels),
        info={"classes": list(CLASSES), "source": "sklearn.datasets.load_digits"},
        name="digits",
    )
