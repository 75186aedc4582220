"""Chapters 8, 11 and 12 of the book: text generation (LSTM, GPT from scratch, GPT-2
weights, fine-tuning for classification). Hook module: cheap to import."""

from __future__ import annotations

STUDIO_API = "1.0"
__version__ = "0.1.0"
