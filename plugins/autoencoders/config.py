"""Hyper-parameters of the autoencoder and the VAE (dataclasses: the UI form and the
CLI flags are generated from them). Defaults are the book's listings (chapter 7); the
presets in ``__init__.py`` say what each changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from studio.api import param

NETWORKS = ("mlp", "conv")
RECONSTRUCTIONS = ("sse", "bce")


@dataclass
class AEConfig:
    """Autoencoder: the book's fully connected 784-200-20 network, or a convolutional one."""

    network: str = param(
        "mlp",
        choices=NETWORKS,
        help="mlp: the book's fully connected network; conv: the VAE's convolutional layers",
    )
    batch_size: int = param(32, min=1, max=4096, help="Images per training step")
    lr: float = param(2.5e-4, min=1e-6, max=1.0, help="Adam learning rate")
    image_size: int = param(
        28, min=8, max=512, help="Images are resized to this many pixels a side (conv: x8)"
    )
    channels: int = param(1, choices=(1, 3), help="1: greyscale, 3: colour")
    latent_dim: int = param(20, min=1, max=1024, help="Size of the code")
    hidden: int = param(200, min=8, max=8192, help="Width of the hidden linear layer")
    width: int = param(
        8, min=2, max=256, help="conv: feature maps of the first convolution (x2, x4 after)"
    )
    val_fraction: float = param(
        0.1, min=0.0, max=0.5, help="Share of the images held out (reconstruction error)"
    )
    preview_images: int = param(16, min=1, max=256, help="Images in each preview")


@dataclass
class VAEConfig:
    """Variational autoencoder: the book's convolutional VAE."""

    batch_size: int = param(16, min=1, max=4096, help="Images per training step")
    lr: float = param(1e-4, min=1e-6, max=1.0, help="Adam learning rate")
    weight_decay: float = param(1e-5, min=0.0, max=1.0, help="Adam weight decay (L2)")
    image_size: int = param(
        256, min=16, max=512, help="Images are resized to this many pixels a side (x8)"
    )
    channels: int = param(3, choices=(1, 3), help="1: greyscale, 3: colour")
    latent_dim: int = param(100, min=1, max=1024, help="Size of the code")
    hidden: int = param(1024, min=8, max=8192, help="Width of the hidden linear layers")
    width: int = param(
        8, min=2, max=256, help="Feature maps of the first convolution (x2, x4 after)"
    )
    reconstruction: str = param(
        "sse",
        choices=RECONSTRUCTIONS,
        help="sse: sum of squared errors (the book); bce: binary cross-entropy per pixel",
    )
    beta: float = param(1.0, min=0.0, max=100.0, help="Weight of the KL term (1: the book)")
    beta_warmup: int = param(
        0,
        min=0,
        max=10**7,
        help="Steps over which the KL weight rises linearly from 0 to beta (0: none)",
    )
    val_fraction: float = param(
        0.1, min=0.0, max=0.5, help="Share of the images held out (reconstruction error)"
    )
    preview_images: int = param(16, min=1, max=256, help="Images in each preview")
