"""The embedded datasets, read from the scores music21 ships (no download):

- ``bach-chorales``: the four-part Bach chorales (about 370) on a 16th-note grid,
  soprano, alto, tenor and bass, in the layout of the JSB chorales JSON (steps of four
  MIDI pitches, -1 for a rest); every fifth chorale is held out as ``valid``.
- ``music21-corpus``: notes of the Bach chorales and other collections of the corpus
  (times in seconds at 120 quarter notes a minute, every note at velocity 80: scores
  have no performance dynamics), for the music Transformer.

Parsing hundreds of scores takes minutes, so the result is kept in a cache file
(``$XDG_CACHE_HOME/genai-studio/music``, else ``~/.cache/...``) named by the music21
version."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from studio import api

STEPS_PER_BEAT = 4
SECONDS_PER_BEAT = 0.5  # 120 quarter notes a minute
VELOCITY = 80
# Collections of the music21 corpus read for the Transformer besides Bach (each is a
# composer folder of scores); kept small so the first load takes a minute or two.
OTHER_COMPOSERS = ("handel", "haydn", "mozart", "beethoven", "schumann", "joplin")


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "genai-studio" / "music"


def _cached(name: str, build: Callable[[], Any]) -> Any:
    import music21

    path = cache_dir() / f"{name}-music21-{music21.__version__}.json"
    if path.is_file():
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass  # a damaged cache is rebuilt
    value = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(value), encoding="utf-8")
        tmp.replace(path)
    except OSError:
        pass  # a read-only home: no cache, still the data
    return value


def chorale_steps(score) -> list[list[int]] | None:
    """Steps of four pitches (-1: rest) of a four-part score, or None if it is not one."""
    parts = list(score.parts)
    if len(parts) != 4:
        return None
    length = round(float(score.highestTime) * STEPS_PER_BEAT)
    if length <= 0:
        return None
    steps = np.full((length, 4), -1, dtype=np.int16)
    for v, part in enumerate(parts):
        for el in part.flatten().notes:
            pitch = max(p.midi for p in el.pitches)  # a chord in one part: its top note
            a = round(float(el.offset) * STEPS_PER_BEAT)
            b = max(a + 1, round(float(el.offset + el.quarterLength) * STEPS_PER_BEAT))
            steps[a:b, v] = pitch
    return steps.tolist()


def _build_chorales() -> dict[str, list]:
    from music21 import corpus

    pieces = []
    for name in corpus.chorales.Iterator(returnType="filename"):
        try:
            steps = chorale_steps(corpus.parse(name))
        except Exception:
            continue
        if steps:
            pieces.append(steps)
    return {
        "train": [p for i, p in enumerate(pieces) if i % 5 != 4],
        "valid": [p for i, p in enumerate(pieces) if i % 5 == 4],
    }


def load_bach_chorales() -> api.LoadedDataset:
    splits = _cached("bach-chorales", _build_chorales)

    def steps(pieces):
        return torch.tensor([s for p in pieces for s in p], dtype=torch.int16)

    return api.LoadedDataset(
        kind="music-chorales",
        train=(steps(splits["train"]),),
        val=(steps(splits["valid"]),),
        info={
            "pieces": splits,
            "counts": {k: len(v) for k, v in splits.items()},
            "voices": ["soprano", "alto", "tenor", "bass"],
            "source": "music21 corpus (Bach chorales)",
        },
        name="bach-chorales",
    )


def score_notes(score) -> list[list[float]]:
    """Notes [track, pitch, start s, end s, velocity] of a score, parts as tracks."""
    rows = []
    for t, part in enumerate(score.parts or [score]):
        for el in part.flatten().notes:
            a = float(el.offset) * SECONDS_PER_BEAT
            b = float(el.offset + el.quarterLength) * SECONDS_PER_BEAT
            if b <= a:
                continue  # grace notes have no duration
            rows += [[t, p.midi, round(a, 4), round(b, 4), VELOCITY] for p in el.pitches]
    rows.sort(key=lambda r: (r[2], r[1]))
    return rows


def _build_corpus() -> list[list[list[float]]]:
    from music21 import corpus

    paths = [str(p) for p in corpus.getComposer("bach")]
    for composer in OTHER_COMPOSERS:
        paths += [str(p) for p in corpus.getComposer(composer)]
    pieces = []
    for path in sorted(set(paths)):
        try:
            notes = score_notes(corpus.parse(path))
        except Exception:
            continue
        if len(notes) >= 16:
            pieces.append(notes)
    return pieces


def load_corpus() -> api.LoadedDataset:
    pieces = _cached("corpus-notes", _build_corpus)
    return notes_dataset([np.asarray(p, dtype=np.float64) for p in pieces], "music21-corpus")


def notes_dataset(pieces: list[np.ndarray], name: str, source: str = "") -> api.LoadedDataset:
    """A ``music-notes`` dataset: ``info["pieces"]`` holds each piece's notes."""
    flat = np.concatenate(pieces) if pieces else np.zeros((0, 5))
    return api.LoadedDataset(
        kind="music-notes",
        train=(torch.from_numpy(flat.astype(np.float32)),),
        info={"pieces": pieces, "source": source or name},
        name=name,
    )
