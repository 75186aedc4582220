"""The music Transformer's data: every dataset kind it reads, as pieces of notes
(track, pitch, start s, end s, velocity), then as one stream of event tokens with
EOS after each piece."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from studio import api

from . import events
from .midi_io import read_midi

GRID_SECONDS = 0.125  # a 16th note at 120 quarter notes a minute (chorales, rolls)
MIDI_SUFFIXES = (".mid", ".midi")


def notes_of_steps(steps: np.ndarray, step_seconds: float = GRID_SECONDS) -> np.ndarray:
    """Notes of (steps, voices) pitches (-1: rest): a pitch held over steps is one note."""
    rows = []
    for v in range(steps.shape[1]):
        seq = steps[:, v]
        i = 0
        while i < len(seq):
            j = i + 1
            while j < len(seq) and seq[j] == seq[i]:
                j += 1
            if seq[i] >= 0:
                rows.append((v, int(seq[i]), i * step_seconds, j * step_seconds, 80))
            i = j
    notes = np.array(rows, dtype=np.float64).reshape(-1, 5)
    return notes[np.argsort(notes[:, 2], kind="stable")] if len(notes) else notes


def notes_of_roll(roll: np.ndarray, step_seconds: float = GRID_SECONDS) -> np.ndarray:
    """Notes of a (steps, 128) piano roll: each run of on-steps of a pitch is one note."""
    rows = []
    on = np.asarray(roll) > 0
    for pitch in np.flatnonzero(on.any(0)):
        col = np.concatenate([[False], on[:, pitch], [False]]).astype(np.int8)
        edges = np.flatnonzero(np.diff(col))
        for a, b in zip(edges[::2], edges[1::2], strict=True):
            rows.append((0, int(pitch), a * step_seconds, b * step_seconds, 80))
    notes = np.array(rows, dtype=np.float64).reshape(-1, 5)
    return notes[np.lexsort((notes[:, 1], notes[:, 2]))] if len(notes) else notes


def _midi_files(source: str) -> list[Path]:
    path = Path(source)
    if path.is_file():
        return [path] if path.suffix.lower() in MIDI_SUFFIXES else []
    if not path.is_dir():
        return []
    return sorted(
        Path(root) / f
        for root, _dirs, names in os.walk(path, followlinks=False)
        for f in names
        if f.lower().endswith(MIDI_SUFFIXES) and not f.startswith(".")
    )


def pieces_of(dataset: api.LoadedDataset) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(train, valid) pieces of notes. MIDI files are read again with their timing and
    velocities (the reader's piano roll keeps neither); valid may be empty."""
    info = dataset.info or {}
    if dataset.kind == "music-notes":
        return [np.asarray(p, dtype=np.float64) for p in info.get("pieces", [])], []
    if dataset.kind == "music-chorales":
        splits = info.get("pieces", {})
        train = [notes_of_steps(np.asarray(p).reshape(-1, 4)) for p in splits.get("train", [])]
        valid = [notes_of_steps(np.asarray(p).reshape(-1, 4)) for p in splits.get("valid", [])]
        return train, valid
    if dataset.kind == "music-pianoroll":
        files = _midi_files(str(info.get("source", "")))
        pieces = []
        for f in files:
            try:
                pieces.append(read_midi(f)[0])
            except Exception:
                continue
        if not pieces:  # MusicXML (or files moved since): the 16th-note rolls
            rolls = info.get("rolls") or [dataset.train[0].numpy()]
            pieces = [notes_of_roll(r) for r in rolls]
        return pieces, []
    raise api.DatasetError(f"the music Transformer does not read {dataset.kind!r} data")


def split(
    train: list[np.ndarray], valid: list[np.ndarray], fraction: float
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Hold out every k-th piece when the data has no validation part."""
    if valid or fraction <= 0 or len(train) < 2:
        return train, valid
    k = max(2, round(1 / fraction))
    return [p for i, p in enumerate(train) if i % k != k - 1], train[k - 1 :: k]


_STREAMS: dict[str, np.ndarray] = {}  # by content: a run's trainer is built again to sample


def token_stream(pieces: list[np.ndarray]) -> np.ndarray:
    """Every piece's event ids followed by EOS, in one int16 array (kept in memory for
    the same pieces: sampling and resuming build the trainer again)."""
    digest = hashlib.sha1()
    for p in pieces:
        digest.update(np.ascontiguousarray(p, dtype=np.float64).tobytes() + b"|")
    key = digest.hexdigest()
    if key not in _STREAMS:
        eos = events.eos_id()
        out: list[int] = []
        for p in pieces:
            ids = events.encode(p)
            if ids:
                out += [*ids, eos]
        if len(_STREAMS) >= 8:
            _STREAMS.pop(next(iter(_STREAMS)))
        _STREAMS[key] = np.asarray(out, dtype=np.int16)
    return _STREAMS[key]
