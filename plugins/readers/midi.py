"""MIDI files (a .mid file or a folder of them) as piano rolls on a 16th-note grid:
steps x 128 pitches, 1 where a note sounds. Unreadable files are skipped and named."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from studio import api

STEPS_PER_BEAT = 4  # 16th notes
MAX_STEPS = 100_000  # per piece: about 100 minutes at 120 bpm


def piano_roll(path: Path) -> tuple[np.ndarray, bool]:
    """(steps, 128) uint8 roll of ``path`` and whether it was cut at MAX_STEPS."""
    import mido

    midi = mido.MidiFile(str(path))  # raises on anything that is not MIDI
    ticks_per_step = max(1, midi.ticks_per_beat // STEPS_PER_BEAT)
    notes: list[tuple[int, int, int]] = []  # (pitch, start tick, end tick)
    for track in midi.tracks:
        tick, sounding = 0, {}
        for msg in track:
            tick += msg.time
            if msg.type == "note_on" and msg.velocity > 0:
                sounding.setdefault((msg.channel, msg.note), tick)
            elif msg.type in ("note_off", "note_on"):
                start = sounding.pop((msg.channel, msg.note), None)
                if start is not None:
                    notes.append((msg.note, start, tick))
    if not notes:
        raise ValueError("no notes")
    end = max(1, -(-max(e for _, _, e in notes) // ticks_per_step))  # steps, rounded up
    cut = end > MAX_STEPS
    roll = np.zeros((min(end, MAX_STEPS), 128), dtype=np.uint8)
    for pitch, start, stop in notes:
        a = start // ticks_per_step
        b = max(a + 1, stop // ticks_per_step)
        roll[a:b, pitch] = 1
    return roll, cut


def music_files(path: Path, suffixes: tuple[str, ...]) -> list[Path]:
    """``path`` itself, or the files under it with one of ``suffixes``."""
    if path.is_file():
        return [path]
    return sorted(
        Path(root) / f
        for root, _dirs, names in os.walk(path, followlinks=False)
        for f in names
        if f.lower().endswith(suffixes) and not f.startswith(".")
    )


def load_midi(path: Path) -> api.LoadedDataset:
    return load_rolls(path, music_files(path, (".mid", ".midi")), piano_roll, "MIDI")


def load_rolls(path: Path, files: list[Path], roll_of, what: str) -> api.LoadedDataset:
    """Piano rolls of ``files`` made by ``roll_of(file) -> (roll, cut)``; a file it
    cannot read is skipped with the reason."""
    rolls, names, skipped = [], [], []
    for f in files:
        try:
            roll, cut = roll_of(f)
        except Exception as exc:  # parsers raise many types on malformed bytes
            skipped.append((str(f), f"not a readable {what} file ({type(exc).__name__}: {exc})"))
            continue
        if cut:
            skipped.append((str(f), f"cut at {MAX_STEPS:,} steps"))
        rolls.append(roll)
        names.append(f.name)
    if not rolls:
        raise api.DatasetError(f"{path}: no readable {what} files ({len(skipped)} skipped)")
    steps = torch.from_numpy(np.concatenate(rolls))
    return api.LoadedDataset(
        kind="music-pianoroll",
        train=(steps,),
        info={
            "pieces": names,
            "rolls": rolls,
            "steps_per_beat": STEPS_PER_BEAT,
            "skipped": skipped,
            "source": str(path),
        },
        name=path.stem,
    )
