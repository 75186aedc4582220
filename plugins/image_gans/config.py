"""Hyper-parameters of the image GANs (dataclasses: the UI form and the CLI flags).

Defaults are the book's (chapters 4 and 5) and PyTorch's DCGAN example; the presets in
``__init__.py`` change only what a quick CPU run needs.
"""

from __future__ import annotations

from dataclasses import dataclass

from studio.api import param


def code_names(codes: int) -> list[str]:
    """The names of a DCGAN's InfoGAN codes, as captions and pickers show them."""
    return [f"code {i}" for i in range(codes)]


@dataclass
class GANConfig:
    """Fully connected GAN on greyscale images (book, chapter 4)."""

    batch_size: int = param(64, min=2, max=4096, help="Real images per training step")
    lr: float = param(1e-4, min=1e-6, max=1.0, help="Adam learning rate, both networks")
    image_size: int = param(
        28, min=8, max=128, help="Images are resized to this many pixels a side"
    )
    channels: int = param(1, choices=(1, 3), help="1: greyscale, 3: colour")
    latent_dim: int = param(100, min=1, max=1024, help="Size of the generator's noise input")
    hidden: int = param(
        256, min=16, max=4096, help="Width of the generator's first hidden layer (x2, x4 after)"
    )
    dropout: float = param(0.3, min=0.0, max=0.9, help="Dropout in the discriminator")
    d_update: str = param(
        "joint",
        choices=["joint", "real, then fake"],
        help="Discriminator update: one step on real and fake together, or two steps "
        "per batch, real then fake (the book)",
    )
    preview_images: int = param(64, min=1, max=1024, help="Images drawn in each preview")


@dataclass
class DCGANConfig:
    """Deep convolutional GAN (PyTorch's DCGAN example, the book's chapter 4)."""

    batch_size: int = param(128, min=2, max=4096, help="Real images per training step")
    lr: float = param(2e-4, min=1e-6, max=1.0, help="Adam learning rate, both networks")
    beta1: float = param(0.5, min=0.0, max=0.999, help="Adam beta1")
    beta2: float = param(0.999, min=0.0, max=0.9999, help="Adam beta2")
    image_size: int = param(64, choices=(32, 64), help="Images are resized to this size")
    channels: int = param(1, choices=(1, 3), help="1: greyscale, 3: colour")
    latent_dim: int = param(100, min=1, max=1024, help="Size of the generator's noise input")
    ngf: int = param(64, min=4, max=512, help="Generator feature maps (last layer)")
    ndf: int = param(64, min=4, max=512, help="Discriminator feature maps (first layer)")
    init: str = param(
        "dcgan",
        choices=("dcgan", "pytorch"),
        help="Initial weights: the DCGAN paper's N(0, 0.02), or PyTorch's defaults (what "
        "the book's code ends up with: its weights_init never reaches the layers)",
    )
    g_fresh_noise: bool = param(
        False,
        help="The generator's step on fresh noise (the book) instead of the "
        "discriminator's fake batch (PyTorch's example)",
    )
    r1_gamma: float = param(
        0.0,
        min=0.0,
        max=1000.0,
        help=(
            "R1 penalty: gamma/2 x the squared gradient of the discriminator at real "
            "images (0: off, as the book). Steadier training on small data sets"
        ),
    )
    augment: str = param(
        "none",
        choices=("none", "translation"),
        help=(
            "Shift the images the discriminator sees, real and generated (DiffAugment); "
            "helps on small data sets"
        ),
    )
    codes: int = param(
        0,
        min=0,
        max=100,
        help=(
            "InfoGAN: a one-of-K code given to the generator beside the noise, which the "
            "discriminator learns to read back from the image (0: off, as the book). "
            "Unsupervised, each code tends to become one kind of image (one digit), and "
            "you can ask for a code when sampling"
        ),
    )
    code_weight: float = param(
        1.0,
        min=0.0,
        max=100.0,
        help="Weight of the code-reading loss (InfoGAN's lambda)",
        active_when={"codes": range(1, 101)},
    )
    preview_images: int = param(
        64,
        min=1,
        max=1024,
        help="Images drawn in each preview (with codes: a square grid, whole rows per code)",
    )


@dataclass
class CGANConfig:
    """Conditional GAN: the class label is fed to both networks (book, chapter 5)."""

    batch_size: int = param(64, min=2, max=4096, help="Real images per training step")
    loss: str = param(
        "wgan-gp",
        choices=("wgan-gp", "bce"),
        help="wgan-gp: Wasserstein critic with gradient penalty; bce: the classic GAN loss",
    )
    # The loss decides which of these count: the form greys them out for bce.
    critic_steps: int = param(
        5,
        min=1,
        max=20,
        help="Critic updates per generator update",
        active_when={"loss": "wgan-gp"},
    )
    gp_weight: float = param(
        10.0, min=0.0, max=1000.0, help="Gradient penalty weight", active_when={"loss": "wgan-gp"}
    )
    lr: float = param(1e-4, min=1e-6, max=1.0, help="Adam learning rate, both networks")
    beta1: float = param(0.0, min=0.0, max=0.999, help="Adam beta1")
    beta2: float = param(0.9, min=0.0, max=0.9999, help="Adam beta2")
    image_size: int = param(32, choices=(32, 64, 128, 256), help="Images are resized to this size")
    channels: int = param(1, choices=(1, 3), help="1: greyscale, 3: colour")
    latent_dim: int = param(100, min=1, max=1024, help="Size of the generator's noise input")
    ngf: int = param(64, min=4, max=512, help="Generator feature maps (last layer)")
    ndf: int = param(64, min=4, max=512, help="Critic feature maps (first layer)")
    init: str = param(
        "dcgan",
        choices=("dcgan", "pytorch"),
        help="Initial weights: the DCGAN paper's N(0, 0.02), or PyTorch's defaults (what "
        "the book's code ends up with: its weights_init never reaches the layers)",
    )
    preview_per_class: int = param(
        0, min=0, max=64, help="Images per class in each preview (0: a square grid)"
    )
