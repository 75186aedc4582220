"""Notes to and from MIDI files (with mido). A note is a row of a float array:
(track, pitch, start seconds, end seconds, velocity). Qt-free and torch-free."""

from __future__ import annotations

from pathlib import Path

import numpy as np

TICKS_PER_BEAT = 480
TEMPO_US = 500_000  # 120 quarter notes a minute: one second is 960 ticks
DRUM_CHANNEL = 9


def empty_notes() -> np.ndarray:
    return np.zeros((0, 5), dtype=np.float64)


def write_midi(
    notes: np.ndarray, path: Path, tracks: list[str], programs: list[int] | None = None
) -> Path:
    """A type-1 MIDI file with one track (and channel) per entry of ``tracks``."""
    import mido

    notes = np.asarray(notes, dtype=np.float64).reshape(-1, 5)
    midi = mido.MidiFile(type=1, ticks_per_beat=TICKS_PER_BEAT)
    meta = mido.MidiTrack()
    meta.append(mido.MetaMessage("set_tempo", tempo=TEMPO_US, time=0))
    midi.tracks.append(meta)
    ticks_per_second = TICKS_PER_BEAT * 1_000_000 / TEMPO_US
    for t, name in enumerate(tracks):
        channel = t if t < DRUM_CHANNEL else t + 1  # channel 10 is drums in General MIDI
        channel %= 16
        track = mido.MidiTrack()
        track.append(mido.MetaMessage("track_name", name=name, time=0))
        program = programs[t] if programs and t < len(programs) else 0
        track.append(mido.Message("program_change", program=program, channel=channel, time=0))
        events = []  # (tick, order, message): note-offs before note-ons at the same tick
        for _, pitch, start, end, velocity in notes[notes[:, 0] == t]:
            a = round(start * ticks_per_second)
            b = max(a + 1, round(end * ticks_per_second))
            p, v = int(pitch), int(np.clip(velocity, 1, 127))
            events.append((a, 1, mido.Message("note_on", note=p, velocity=v, channel=channel)))
            events.append((b, 0, mido.Message("note_off", note=p, velocity=0, channel=channel)))
        now = 0
        for tick, _, msg in sorted(events, key=lambda e: (e[0], e[1])):
            track.append(msg.copy(time=tick - now))
            now = tick
        track.append(mido.MetaMessage("end_of_track", time=0))
        midi.tracks.append(track)
    path = Path(path)
    midi.save(str(path))
    return path


def read_midi(path: Path, max_seconds: float | None = None) -> tuple[np.ndarray, list[str]]:
    """The notes of a MIDI file (times in seconds, tempo changes applied) and the names
    of its tracks; each channel that plays is one track, drums left out."""
    import mido

    midi = mido.MidiFile(str(path))  # raises on anything that is not MIDI
    now = 0.0
    sounding: dict[tuple[int, int], tuple[float, int]] = {}
    rows: list[tuple[int, int, float, float, int]] = []
    for msg in midi:  # merged tracks, msg.time in seconds
        now += msg.time
        if max_seconds is not None and now > max_seconds:
            break
        if msg.type not in ("note_on", "note_off") or msg.channel == DRUM_CHANNEL:
            continue
        key = (msg.channel, msg.note)
        if key in sounding:  # a note-off, or a repeated note-on, ends the sounding one
            start, velocity = sounding.pop(key)
            rows.append((msg.channel, msg.note, start, now, velocity))
        if msg.type == "note_on" and msg.velocity > 0:
            sounding[key] = (now, msg.velocity)
    for (channel, pitch), (start, velocity) in sounding.items():
        rows.append((channel, pitch, start, now, velocity))
    if not rows:
        raise ValueError("no notes")
    channels = sorted({r[0] for r in rows})
    index = {c: i for i, c in enumerate(channels)}
    notes = np.array([(index[c], p, a, b, v) for c, p, a, b, v in rows], dtype=np.float64)
    notes = notes[np.lexsort((notes[:, 1], notes[:, 2]))]
    return notes, [f"channel {c + 1}" for c in channels]
