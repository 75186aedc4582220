"""The ``pianoroll`` sample kind: notes of one or more tracks in seconds, with the
length of a bar (marked in the view) and of a piece. Qt-free and torch-free.

Saved as JSON in a run's ``samples/``; ``save(stem)`` writes a MIDI file instead when
the stem ends in ``.mid``/``.midi`` and a WAV when it ends in ``.wav`` (so
``genai-studio-cli sample --out piece.mid`` and ``--out piece.wav`` write those)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from studio import api

from .midi_io import empty_notes, write_midi

MIDI_SUFFIXES = (".mid", ".midi")
AUDIO_SUFFIXES = (".wav",)


@dataclass
class PianoRoll(api.Sample):
    """Notes as rows (track, pitch, start s, end s, velocity), sorted by start."""

    kind: ClassVar[str] = "pianoroll"
    notes: np.ndarray = field(default_factory=empty_notes)
    tracks: list[str] = field(default_factory=lambda: ["piano"])
    bar_seconds: float = 0.0  # 0: no bars (the view marks seconds)
    piece_seconds: float = 0.0  # several pieces side by side: where each starts again
    events: int = 0  # tokens generated (the Transformer), 0 for none
    caption: str = ""

    def __post_init__(self) -> None:
        self.notes = np.asarray(self.notes, dtype=np.float64).reshape(-1, 5)

    @property
    def duration(self) -> float:
        return float(self.notes[:, 3].max()) if len(self.notes) else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "notes": [
                [int(t), int(p), round(float(a), 4), round(float(b), 4), int(v)]
                for t, p, a, b, v in self.notes
            ],
            "tracks": list(self.tracks),
            "bar_seconds": self.bar_seconds,
            "piece_seconds": self.piece_seconds,
            "events": self.events,
            "caption": self.caption,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PianoRoll:
        return cls(
            notes=np.asarray(data.get("notes") or [], dtype=np.float64).reshape(-1, 5),
            tracks=list(data.get("tracks") or ["piano"]),
            bar_seconds=float(data.get("bar_seconds", 0.0)),
            piece_seconds=float(data.get("piece_seconds", 0.0)),
            events=int(data.get("events", 0)),
            caption=str(data.get("caption", "")),
            metrics=data.get("metrics", {}),
        )

    def save(self, stem: Path) -> Path:
        """JSON (the run's samples), or MIDI / WAV when ``stem`` ends in .mid / .wav."""
        suffix = Path(stem).suffix.lower()
        if suffix in MIDI_SUFFIXES:
            return self.to_midi(Path(stem))
        if suffix in AUDIO_SUFFIXES:
            return self.to_wav(Path(stem))
        return super().save(stem)

    def to_midi(self, path: Path) -> Path:
        return write_midi(self.notes, path, self.tracks)

    def to_wav(self, path: Path, synth: str = "auto") -> Path:
        from .synth import notes_to_wav

        return notes_to_wav(self.notes, path, self.tracks, synth)

    def summary(self) -> str:
        base = super().summary()
        return f"{base}: {len(self.notes)} notes, {self.duration:.1f} s"
