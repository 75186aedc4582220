"""Hyper-parameters of the chapter 3 GANs (dataclasses: the UI form and CLI flags)."""

from __future__ import annotations

from dataclasses import dataclass

from studio.api import param


@dataclass
class ShapeGANConfig:
    """GAN that learns points on the curve y = 1.08^x, x in [0, 50] (book, chapter 3)."""

    batch_size: int = param(128, min=2, max=4096, help="Real points per training step")
    lr: float = param(5e-4, min=1e-6, max=1.0, help="Adam learning rate, both networks")
    latent_dim: int = param(2, min=1, max=64, help="Size of the generator's noise input")
    dropout: float = param(0.3, min=0.0, max=0.9, help="Dropout in the discriminator")
    preview_points: int = param(512, min=16, max=8192, help="Points drawn in each preview")
    d_update: str = param(
        "joint",
        choices=["joint", "real, then fake"],
        help="Discriminator update: one step on real and fake together, or two steps "
        "per batch, real then fake (the book)",
    )


@dataclass
class NumberGANConfig:
    """GAN that learns to produce integers that are multiples of 5 (book, chapter 3)."""

    batch_size: int = param(10, min=2, max=4096, help="Real numbers per training step")
    lr: float = param(5e-4, min=1e-6, max=1.0, help="Adam learning rate, both networks")
    preview_numbers: int = param(64, min=1, max=4096, help="Numbers drawn in each preview")
    d_update: str = param(
        "joint",
        choices=["joint", "real, then fake"],
        help="Discriminator update: one step on real and fake together, or two steps "
        "per batch, real then fake (the book)",
    )
    fresh_batches: bool = param(
        False,
        help="Draw a fresh batch of multiples of 5 every step (the book) instead of "
        "cycling through the dataset's numbers",
    )


@dataclass
class GANSampleOptions:
    """How a trained chapter 3 GAN is sampled (the Explore controls, ``sample -o``)."""

    noise_scale: float = param(
        1.0,
        min=0.0,
        max=3.0,
        help="Scale of the generator's noise input: below 1 draws from the likelier "
        "middle of the noise (the truncation trick), above 1 from its tails",
    )
    reference: bool = param(True, help="Include the training data's reference with the sample")
