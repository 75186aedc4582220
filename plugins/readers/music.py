"""Music: the JSB chorales JSON (the book's MuseGAN data): pieces of time steps, each
step four MIDI pitches (soprano, alto, tenor, bass), -1 for silence."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from studio import api


def _pieces(value, path: Path, split: str) -> list[list[list[int]]]:
    if not isinstance(value, list):
        raise api.DatasetError(f"{path}: {split!r} is not a list of pieces")
    pieces = []
    for i, piece in enumerate(value):
        ok = isinstance(piece, list) and all(
            isinstance(step, list)
            and len(step) == 4
            and all(isinstance(p, int) and -1 <= p <= 127 for p in step)
            for step in piece
        )
        if not ok or not piece:
            raise api.DatasetError(
                f"{path}: {split} piece {i} is not a list of 4-voice steps of MIDI pitches"
            )
        pieces.append(piece)
    return pieces


def load_chorales(path: Path) -> api.LoadedDataset:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise api.DatasetError(f"{path}: not readable JSON ({exc})") from None
    if not isinstance(doc, dict) or not any(k in doc for k in ("train", "valid", "test")):
        raise api.DatasetError(f"{path}: expected keys train/valid/test of chorales")
    splits = {k: _pieces(doc[k], path, k) for k in ("train", "valid", "test") if k in doc}
    train_key = "train" if "train" in splits else next(iter(splits))

    def steps(pieces):
        return torch.tensor([s for p in pieces for s in p], dtype=torch.int16)

    val = steps(splits["valid"]) if "valid" in splits else None
    return api.LoadedDataset(
        kind="music-chorales",
        train=(steps(splits[train_key]),),
        val=(val,) if val is not None else None,
        info={
            "pieces": splits,
            "counts": {k: len(v) for k, v in splits.items()},
            "voices": ["soprano", "alto", "tenor", "bass"],
            "source": str(path),
        },
        name=path.stem,
    )
