"""MIDI events as tokens for the music Transformer: the book's 388 performance events
(128 note-on, 128 note-off, 100 time shifts of 10 ms up to 1 s, 32 velocity bins)
plus PAD and EOS: 390 tokens.

The vocabulary and the encoding are miditok's MIDI-Like tokenizer (Oore et al. 2018,
the encoding of the book's chapter), configured to those counts: pitches 0-127, 32
velocities, time shifts of 1/100 beat up to one beat, no drums, time signatures or
programs. Its time shifts count beats, so a piece is handed to it at 60 beats a
minute, where one beat is one second and a shift of 1/100 beat is the book's 10 ms;
a longer silence is several shifts. miditok writes the velocity after each note-on
(the book's encoder only when it changes), so pieces are a little longer in tokens.

Generated streams need not be well formed (a note-off of a note not sounding, a
velocity with no note-on before it), so ``decode`` is ours: it reads the token names
of miditok's vocabulary leniently and says how many events it could not use."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

SHIFTS_PER_SECOND = 100  # ticks of 10 ms
MAX_NOTE_SECONDS = 4.0  # a note-on never closed ends after this in decoding


@lru_cache(maxsize=1)
def tokenizer():
    """The miditok MIDI-Like tokenizer (390 tokens: PAD 0, EOS 1, then the events)."""
    import miditok

    config = miditok.TokenizerConfig(
        pitch_range=(0, 127),
        num_velocities=32,
        beat_res={(0, 1): SHIFTS_PER_SECOND},
        use_programs=False,
        use_time_signatures=False,
        use_pitchdrum_tokens=False,
        special_tokens=["PAD", "EOS"],
    )
    return miditok.MIDILike(config)


def vocab_size() -> int:
    return len(tokenizer())


def pad_id() -> int:
    return tokenizer().vocab["PAD_None"]


def eos_id() -> int:
    return tokenizer().vocab["EOS_None"]


def encode(notes: np.ndarray) -> list[int]:
    """Token ids of notes (rows: track, pitch, start s, end s, velocity); every track is
    merged into one stream, as the book does."""
    import symusic

    notes = np.asarray(notes, dtype=np.float64).reshape(-1, 5)
    score = symusic.Score(SHIFTS_PER_SECOND)  # ticks per beat
    score.tempos.append(symusic.Tempo(0, 60.0))  # one beat a second: a tick is 10 ms
    track = symusic.Track()
    for _, pitch, start, end, velocity in notes:
        a = round(start * SHIFTS_PER_SECOND)
        b = max(a + 1, round(end * SHIFTS_PER_SECOND))
        velocity = int(np.clip(velocity, 1, 127))
        track.notes.append(symusic.Note(a, b - a, int(pitch), velocity))
    if not len(track.notes):
        return []
    score.tracks.append(track)
    seqs = tokenizer().encode(score)
    seq = seqs[0] if isinstance(seqs, list) else seqs
    return list(seq.ids)


def names() -> list[str]:
    """Token names by id."""
    vocab = tokenizer().vocab
    out = [""] * len(vocab)
    for name, i in vocab.items():
        out[i] = name
    return out


def _shift_seconds(value: str) -> float:
    beats, fraction, res = (int(x) for x in value.split("."))  # "0.50.100": 50/100 beat
    return beats + fraction / res


def decode(ids: list[int], track_until: float = -1.0) -> tuple[np.ndarray, dict[str, float]]:
    """Notes of a token stream and how well formed it was.

    Notes starting before ``track_until`` seconds are track 0 (a prompt), later ones
    track 1 when ``track_until`` >= 0. A note-on waits for its velocity token; a note
    never closed ends after MAX_NOTE_SECONDS. Returns the notes and
    ``{"matched_note_offs": share of note-offs that closed a sounding note}``."""
    table = names()
    now, velocity = 0.0, 80
    sounding: dict[int, tuple[float, int]] = {}
    rows: list[tuple[int, int, float, float, int]] = []
    offs = matched = 0
    pending: int | None = None  # a note-on waiting for its velocity

    def start(pitch: int, vel: int) -> None:
        if pitch in sounding:  # the same pitch again: the last one ends here
            a, v = sounding.pop(pitch)
            rows.append((pitch, a, now, v))
        sounding[pitch] = (now, vel)

    for i in ids:
        name = table[i] if 0 <= i < len(table) else ""
        kind, _, value = name.partition("_")
        if kind != "Velocity" and pending is not None:
            start(pending, velocity)
            pending = None
        if kind == "NoteOn":
            pending = int(value)
        elif kind == "Velocity":
            velocity = int(value)
            if pending is not None:
                start(pending, velocity)
                pending = None
        elif kind == "NoteOff":
            offs += 1
            if int(value) in sounding:
                matched += 1
                a, v = sounding.pop(int(value))
                rows.append((int(value), a, now, v))
        elif kind == "TimeShift":
            now += _shift_seconds(value)
    if pending is not None:
        start(pending, velocity)
    for pitch, (a, v) in sounding.items():
        rows.append((pitch, a, min(now, a + MAX_NOTE_SECONDS) if now > a else a + 0.25, v))
    notes = np.array(
        [
            (0 if track_until < 0 or a < track_until else 1, p, a, max(b, a + 0.01), v)
            for p, a, b, v in rows
        ],
        dtype=np.float64,
    ).reshape(-1, 5)
    if len(notes):
        notes = notes[np.lexsort((notes[:, 1], notes[:, 2]))]
    return notes, {"matched_note_offs": matched / offs if offs else 0.0}


def seconds_of(ids: list[int]) -> float:
    """Time the stream covers (the sum of its time shifts)."""
    table = names()
    total = 0.0
    for i in ids:
        if 0 <= i < len(table) and table[i].startswith("TimeShift_"):
            total += _shift_seconds(table[i].partition("_")[2])
    return total
