"""Chapters 13 and 14 of the book: MuseGAN and the music Transformer."""

STUDIO_API = "1.1"
