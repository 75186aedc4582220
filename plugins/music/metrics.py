"""Musical metrics on generated and real music (those of the MuseGAN paper, Dong et al.
2017, section 5): the ratio of empty bars, the pitch classes used per bar, the share
of notes in the key, and polyphony. NumPy only.

They read a grid: a boolean array (pieces, tracks, bars, steps, 128), True where a
pitch sounds. The key is estimated once from the training data: the major scale
(or, the same seven pitch classes, its relative minor) that holds the most of its
notes."""

from __future__ import annotations

import numpy as np

MAJOR = np.array([0, 2, 4, 5, 7, 9, 11])
NAMES = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]


def pitch_class_histogram(grid: np.ndarray) -> np.ndarray:
    """Note-steps per pitch class (12,)."""
    per_pitch = grid.reshape(-1, grid.shape[-1]).sum(0).astype(np.float64)
    hist = np.zeros(12)
    np.add.at(hist, np.arange(len(per_pitch)) % 12, per_pitch)
    return hist


def estimate_key(hist: np.ndarray) -> int:
    """Tonic (0 = C) of the major scale holding the most of ``hist``."""
    return int(np.argmax([hist[(MAJOR + k) % 12].sum() for k in range(12)]))


def key_name(tonic: int) -> str:
    return f"{NAMES[tonic]} major / {NAMES[(tonic + 9) % 12]} minor"


def scale_mask(tonic: int) -> np.ndarray:
    mask = np.zeros(12, dtype=bool)
    mask[(MAJOR + tonic) % 12] = True
    return mask


def in_key_share(grid: np.ndarray, tonic: int) -> float:
    """Share of sounding note-steps whose pitch class is in the scale of ``tonic``."""
    hist = pitch_class_histogram(grid)
    total = hist.sum()
    return float(hist[scale_mask(tonic)].sum() / total) if total else 0.0


def in_own_key_share(grid: np.ndarray) -> float:
    """Mean over pieces of the share of note-steps in the key estimated from the piece
    itself: tonal pieces score high whatever their key (data 0.96, random notes 0.65);
    a single repeated pitch scores 1, which pitch_classes_per_bar shows up."""
    shares = [in_key_share(p[None], estimate_key(pitch_class_histogram(p[None]))) for p in grid]
    return float(np.mean(shares)) if shares else 0.0


def empty_bars(grid: np.ndarray) -> float:
    """Share of (piece, track, bar) with no note at all."""
    return float((~grid.any(axis=(3, 4))).mean())


def pitch_classes_per_bar(grid: np.ndarray) -> float:
    """Mean number of distinct pitch classes in a non-empty (piece, track, bar)."""
    p, t, b, _s, n = grid.shape
    used = grid.any(axis=3).reshape(p, t, b, n)
    classes = np.zeros((p, t, b, 12), dtype=bool)
    for pc in range(12):
        classes[..., pc] = used[..., pc::12].any(-1)
    counts = classes.sum(-1)
    nonempty = counts > 0
    return float(counts[nonempty].mean()) if nonempty.any() else 0.0


def polyphony(grid: np.ndarray) -> float:
    """Mean number of pitches sounding together at a step where any sounds."""
    per_step = grid.any(axis=1).sum(-1)  # (pieces, bars, steps): distinct pitches
    sounding = per_step > 0
    return float(per_step[sounding].mean()) if sounding.any() else 0.0


def music_metrics(grid: np.ndarray, tonic: int) -> dict[str, float]:
    """The metrics of ``grid``; ``in_key`` against the data's key ``tonic``."""
    return {
        "in_key": in_key_share(grid, tonic),
        "in_own_key": in_own_key_share(grid),
        "empty_bars": empty_bars(grid),
        "pitch_classes_per_bar": pitch_classes_per_bar(grid),
        "polyphony": polyphony(grid),
    }


def notes_grid(
    notes: np.ndarray, step_seconds: float, steps_per_bar: int = 16, tracks: int | None = None
) -> np.ndarray:
    """A grid (1, tracks, bars, steps, 128) of notes in seconds, on steps of
    ``step_seconds`` (the Transformer's samples, or data read from MIDI)."""
    notes = np.asarray(notes, dtype=np.float64).reshape(-1, 5)
    n_tracks = tracks or (int(notes[:, 0].max()) + 1 if len(notes) else 1)
    end = notes[:, 3].max() if len(notes) else step_seconds
    bars = max(1, int(np.ceil(end / step_seconds / steps_per_bar)))
    grid = np.zeros((n_tracks, bars * steps_per_bar, 128), dtype=bool)
    for t, p, a, b, _ in notes:
        i = round(a / step_seconds)
        j = max(i + 1, round(b / step_seconds))
        grid[int(t) % n_tracks, i:j, int(p)] = True
    return grid.reshape(1, n_tracks, bars, steps_per_bar, 128)
