"""MuseGAN's data: four voices on a 16th-note grid, cut into pieces of 2 bars of 16
steps, one-hot over 84 pitches with -1/+1 values (as the book's ``MidiDataset``).
NumPy only; the trainer turns the arrays into tensors.

Chorales (the JSB JSON, music21's Bach chorales) come as steps of four MIDI pitches
(soprano, alto, tenor, bass; -1 for a rest). A piano roll read from MIDI or MusicXML
merges its parts, so four voices are taken from each step's pitches: the highest is
the soprano, the lowest the bass, the next highest the alto and the next lowest the
tenor (a step with fewer notes leaves the middle voices silent)."""

from __future__ import annotations

from typing import Any

import numpy as np

TRACKS = ("soprano", "alto", "tenor", "bass")
N_TRACKS, N_BARS, STEPS_PER_BAR, N_PITCHES = 4, 2, 16, 84
STEPS_PER_BEAT = 4
BOOK_TEMPO = 66  # quarter notes a minute (the book's convert_to_midi)


def voices_from_roll(roll: np.ndarray) -> np.ndarray:
    """(steps, 4) MIDI pitches (-1: rest) of a (steps, 128) piano roll."""
    voices = np.full((len(roll), 4), -1, dtype=np.int16)
    for i, row in enumerate(roll):
        pitches = np.flatnonzero(row)[::-1]  # highest first
        if len(pitches) == 0:
            continue
        voices[i, 0] = pitches[0]
        if len(pitches) >= 2:
            voices[i, 3] = pitches[-1]
        if len(pitches) >= 3:
            voices[i, 1] = pitches[1]
        if len(pitches) >= 4:
            voices[i, 2] = pitches[-2]
    return voices


def pieces_of(dataset: Any, split: str = "train") -> list[np.ndarray]:
    """The (steps, 4) pitch arrays of a ``music-chorales`` or ``music-pianoroll`` dataset.
    ``split`` is train or valid; a piano roll has no validation part (empty list)."""
    info = dataset.info or {}
    if dataset.kind == "music-chorales":
        pieces = info.get("pieces", {})
        return [np.asarray(p, dtype=np.int16).reshape(-1, 4) for p in pieces.get(split, [])]
    if dataset.kind == "music-pianoroll":
        if split != "train":
            return []
        rolls = info.get("rolls") or [dataset.train[0].numpy()]
        return [voices_from_roll(np.asarray(r)) for r in rolls]
    raise ValueError(f"MuseGAN reads chorales or piano rolls, not {dataset.kind!r}")


def fit_range(pieces: list[np.ndarray]) -> list[np.ndarray]:
    """Pitches above the 84 the model writes moved down by octaves (chorales fit)."""
    out = []
    for p in pieces:
        p = p.copy()
        while (p >= N_PITCHES).any():
            p[p >= N_PITCHES] -= 12
        out.append(p)
    return out


def windows(pieces: list[np.ndarray], mode: str = "first") -> np.ndarray:
    """(N, 4, 2, 16) pitch arrays of 2-bar pieces.

    "first" is the book's: one per piece, starting at the first beat where every voice
    sounds, from pieces longer than 2 bars. "all": every 2-bar window starting on a bar
    line where every voice sounds at the start (about 15 times as many)."""
    length = N_BARS * STEPS_PER_BAR
    out = []
    for p in fit_range(pieces):
        if mode == "first":
            start = 0
            while start + STEPS_PER_BEAT <= len(p) and (p[start : start + 4] < 0).any():
                start += STEPS_PER_BEAT
            if length < len(p) and start + length <= len(p):
                out.append(p[start : start + length])
        else:
            for start in range(0, len(p) - length + 1, STEPS_PER_BAR):
                if (p[start] >= 0).all():
                    out.append(p[start : start + length])
    if not out:
        return np.zeros((0, N_TRACKS, N_BARS, STEPS_PER_BAR), dtype=np.int16)
    w = np.stack(out)  # (N, 32, 4)
    return w.reshape(len(w), N_BARS, STEPS_PER_BAR, N_TRACKS).transpose(0, 3, 1, 2)


def one_hot(ints: np.ndarray) -> np.ndarray:
    """(N, 4, 2, 16, 84) float32: +1 at the sounding pitch, -1 elsewhere (a rest: all -1)."""
    out = -np.ones((*ints.shape, N_PITCHES), dtype=np.float32)
    idx = np.nonzero(ints >= 0)
    out[(*idx, ints[idx])] = 1.0
    return out


def ints_from_output(output: np.ndarray) -> np.ndarray:
    """The generator's (N, 4, 2, 16, 84) scores to pitches: the highest-scoring pitch at
    each step (the book's ``binarise_output``). The data marks a rest as all -1, which
    an argmax cannot give back, so generated tracks never rest (the chorales rarely do)."""
    return output.argmax(-1).astype(np.int16)


def grid_of(ints: np.ndarray) -> np.ndarray:
    """(N, 4, 2, 16, 128) booleans of (N, 4, 2, 16) pitches."""
    grid = np.zeros((*ints.shape, 128), dtype=bool)
    idx = np.nonzero(ints >= 0)
    grid[(*idx, ints[idx])] = True
    return grid


def random_ints(n: int, seed: int = 0, low: int = 36, high: int = 82) -> np.ndarray:
    """Random notes in the chorales' range at every step: the baseline of the metrics."""
    rng = np.random.default_rng(seed)
    return rng.integers(low, high, size=(n, N_TRACKS, N_BARS, STEPS_PER_BAR)).astype(np.int16)


def notes_of(ints: np.ndarray, tempo: float = BOOK_TEMPO) -> tuple[np.ndarray, float, float]:
    """Notes (track, pitch, start, end, velocity) of (N, 4, 2, 16) pieces played one
    after another; a pitch held over steps is one note, cut at bar lines. Returns the
    notes, the seconds of a bar and of a piece."""
    step = 60.0 / tempo / STEPS_PER_BEAT
    piece_steps = N_BARS * STEPS_PER_BAR
    rows = []
    for k, piece in enumerate(ints):
        for t in range(N_TRACKS):
            seq = piece[t].reshape(-1)
            i = 0
            while i < len(seq):
                j = i + 1
                while j < len(seq) and seq[j] == seq[i] and j % STEPS_PER_BAR:
                    j += 1
                if seq[i] >= 0:
                    base = k * piece_steps
                    rows.append((t, int(seq[i]), (base + i) * step, (base + j) * step, 80))
                i = j
    notes = np.array(rows, dtype=np.float64).reshape(-1, 5)
    if len(notes):
        notes = notes[np.argsort(notes[:, 2], kind="stable")]
    return notes, STEPS_PER_BAR * step, piece_steps * step
