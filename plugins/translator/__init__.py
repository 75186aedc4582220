"""Chapters 9 and 10 of the book: the encoder-decoder Transformer that translates."""

STUDIO_API = "1.1"
