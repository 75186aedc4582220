"""The image pool of Shrivastava et al. (2017), as CycleGAN uses it: the discriminator
is shown a mix of the newest generated images and older ones, so it does not chase
only the generator's latest mistakes (the game oscillates less).

Each new image is kept while the pool fills up. Once full, half of the time (an
independent draw per image) a random stored image is shown instead of the new one,
which takes its place in the pool; otherwise the new image is shown. A pool of size 0
passes images through (the book's listing has none; the paper keeps 50).

Draws come from torch's global RNG, which the engine checkpoints, and the stored
images are part of the trainer's checkpointed state: resume stays exact.
"""

from __future__ import annotations

import torch


class ImagePool:
    """A buffer of up to ``size`` generated images (detached)."""

    def __init__(self, size: int) -> None:
        self.size = int(size)
        self.images: torch.Tensor | None = None  # (stored, C, H, W)

    def __len__(self) -> int:
        return 0 if self.images is None else len(self.images)

    def query(self, images: torch.Tensor) -> torch.Tensor:
        """The images to show the discriminator for this batch of new ``images``."""
        images = images.detach().float()  # stored in float32, whatever the precision
        if self.size == 0:
            return images
        out = []
        for image in images:
            image = image.unsqueeze(0)
            if len(self) < self.size:
                stored = self.images
                self.images = image.clone() if stored is None else torch.cat([stored, image])
                out.append(image)
            elif float(torch.rand(())) < 0.5:
                i = int(torch.randint(self.size, ()))
                out.append(self.images[i : i + 1].clone())
                self.images[i] = image[0]
            else:
                out.append(image)
        return torch.cat(out)

    def state(self) -> dict[str, torch.Tensor]:
        """What a checkpoint keeps (nothing while the pool is empty)."""
        return {} if self.images is None else {"images": self.images.cpu()}

    def load_state(self, state: dict[str, torch.Tensor], device: torch.device) -> None:
        """Restore what ``state()`` returned, on ``device``."""
        images = state.get("images")
        self.images = None if images is None else images.float().to(device).clone()
