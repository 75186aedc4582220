"""CycleGAN's hyper-parameters (a dataclass: the UI form and the CLI flags) and its
presets.

The defaults are the book's listing (chapter 6, ``ch06util.py`` and the training cell):
256x256 colour images, batch 1, nine residual blocks, 64 feature maps, Adam 1e-5
with betas (0.5, 0.999), cycle weight 10, no identity loss, no image pool, a constant
learning rate, a sigmoid on the discriminator, random horizontal flips, fp16 mixed
precision. The one change: the weights are initialised as the book means to
(``weights.py`` says why its ``weights_init`` does nothing).
"""

from __future__ import annotations

from dataclasses import dataclass

from studio.api import param

SIZES = (32, 64, 128, 256, 512)
INITS = ("normal", "default")  # see weights.py


@dataclass
class CycleGANConfig:
    """Two ResNet generators (A->B, B->A) and two 70x70 PatchGAN discriminators."""

    batch_size: int = param(1, min=1, max=512, help="Images of each domain per step")
    image_size: int = param(256, choices=SIZES, help="Images are resized to this size")
    channels: int = param(3, choices=(1, 3), help="1: greyscale, 3: colour")
    ngf: int = param(64, min=4, max=256, help="Generator feature maps (first layer)")
    ndf: int = param(64, min=4, max=256, help="Discriminator feature maps (first layer)")
    blocks: int = param(
        9, min=1, max=16, help="Residual blocks per generator (paper: 6 at 128 px, 9 at 256 px)"
    )
    lr: float = param(1e-5, min=1e-7, max=1.0, help="Adam learning rate, all networks")
    beta1: float = param(0.5, min=0.0, max=0.999, help="Adam beta1")
    beta2: float = param(0.999, min=0.0, max=0.9999, help="Adam beta2")
    cycle_weight: float = param(
        10.0, min=0.0, max=1000.0, help="Weight of the cycle loss |G_BA(G_AB(a)) - a| (lambda)"
    )
    identity: float = param(
        0.0,
        min=0.0,
        max=10.0,
        help=(
            "Identity loss |G_AB(b) - b|, weighted identity x cycle_weight (paper: 0.5; "
            "the book: 0, none). Keeps colours when translating photos"
        ),
    )
    pool_size: int = param(
        0, min=0, max=1000, help="Generated images kept to show the discriminators (paper: 50)"
    )
    decay_from: int = param(
        0,
        min=0,
        max=10**9,
        help="Step from which the learning rate falls linearly (with decay_steps)",
    )
    decay_steps: int = param(
        0, min=0, max=10**9, help="Steps over which it falls to 0 (0: a constant rate, the book)"
    )
    sigmoid: bool = param(
        True,
        help=(
            "A sigmoid on the discriminators' output before the squared error (the book); "
            "off: the least-squares loss on raw scores (LSGAN, the paper)"
        ),
    )
    init: str = param(
        "normal",
        choices=INITS,
        help="normal: weights N(0, 0.02) as the paper and the book mean; default: PyTorch's",
    )
    flip: bool = param(True, help="Flip training images left-right at random (not for digits)")
    preview_images: int = param(8, min=1, max=64, help="Images translated each way in each preview")


BOOK = {
    "batch_size": 1,
    "image_size": 256,
    "channels": 3,
    "ngf": 64,
    "ndf": 64,
    "blocks": 9,
    "lr": 1e-5,
    "beta1": 0.5,
    "beta2": 0.999,
    "cycle_weight": 10.0,
    "identity": 0.0,
    "pool_size": 0,
    "decay_from": 0,
    "decay_steps": 0,
    "sigmoid": True,
    "init": "normal",
    "flip": True,
    "precision": "fp16",
    "steps": 10000,
    "sample_every": 500,
}

# The paper on horse2zebra (1,334 images in the larger domain: one epoch is 1,334
# steps at batch 1): 100 epochs at 2e-4, then 100 epochs decaying linearly to 0.
PAPER_EPOCH = 1334
PAPER = {
    **BOOK,
    "lr": 2e-4,
    "identity": 0.5,
    "pool_size": 50,
    "sigmoid": False,
    "decay_from": 100 * PAPER_EPOCH,
    "decay_steps": 100 * PAPER_EPOCH,
    "steps": 200 * PAPER_EPOCH,
    "sample_every": 1000,
}

# On the embedded digit domains, on a CPU: 32x32 greyscale, narrower networks (16
# feature maps, 3 blocks), the paper's losses and pool, a batch of 8 (instance norm
# works per image, so batches change nothing else) and a higher rate; no flips (a
# flipped digit is another picture) and no identity loss (these domains differ by an
# inversion: G_AB(b) = b would fight the translation). Both figures of
# bench/image_to_image_cyclegan.py pass 0.95 after 40 steps already (docs/cyclegan.md).
QUICK = {
    **PAPER,
    "batch_size": 8,
    "image_size": 32,
    "channels": 1,
    "ngf": 16,
    "ndf": 16,
    "blocks": 3,
    "lr": 2e-3,
    "identity": 0.0,
    "pool_size": 50,
    "flip": False,
    "precision": "fp32",
    "decay_from": 200,
    "decay_steps": 200,
    "steps": 400,
    "sample_every": 50,
}

PRESETS = {"book": BOOK, "paper": PAPER, "quick CPU": QUICK}
