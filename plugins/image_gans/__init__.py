"""Chapters 4 and 5 of the book: image GANs (fully connected GAN, DCGAN, conditional
GAN with a WGAN-GP critic option). Hook module: cheap to import."""

from __future__ import annotations

STUDIO_API = "1.0"
__version__ = "0.1.0"
