"""MusicXML scores (.musicxml, .mxl, .xml; a file or a folder of them) as piano rolls
on the same 16th-note grid as MIDI, read with music21. All parts are merged; a chord
sounds all its pitches."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from studio import api

from .midi import MAX_STEPS, STEPS_PER_BEAT, load_rolls, music_files

SUFFIXES = (".musicxml", ".mxl", ".xml")


def piano_roll(path: Path) -> tuple[np.ndarray, bool]:
    """(steps, 128) uint8 roll of a MusicXML score and whether it was cut at MAX_STEPS."""
    from music21 import converter

    score = converter.parse(str(path), format="musicxml", forceSource=True)
    notes = []  # (pitch, start step, end step)
    for element in score.flatten().notes:  # notes and chords, offsets in quarter notes
        start = round(float(element.offset) * STEPS_PER_BEAT)
        stop = round(float(element.offset + element.quarterLength) * STEPS_PER_BEAT)
        notes += [(p.midi, start, max(start + 1, stop)) for p in element.pitches]
    if not notes:
        raise ValueError("no notes")
    end = max(e for _, _, e in notes)
    roll = np.zeros((min(end, MAX_STEPS), 128), dtype=np.uint8)
    for pitch, start, stop in notes:
        roll[start:stop, pitch] = 1
    return roll, end > MAX_STEPS


def load_musicxml(path: Path) -> api.LoadedDataset:
    return load_rolls(path, music_files(path, SUFFIXES), piano_roll, "MusicXML")
