"""Chapters 13 and 14 of the book: MuseGAN and the music Transformer, with the
``pianoroll`` sample kind (tracks coloured, bars marked, a playhead; exported to MIDI
and WAV). Hook module: cheap to import (no torch, no Qt, no music21: the factories
import them when a run starts or a view is shown)."""

from __future__ import annotations

from studio import api

from .config import (
    MUSEGAN_BOOK,
    MUSEGAN_QUICK,
    TRANSFORMER_BOOK,
    TRANSFORMER_QUICK,
    MuseGANConfig,
    MuseGANOptions,
    MusicTransformerConfig,
    MusicTransformerOptions,
)
from .pianoroll import PianoRoll

STUDIO_API = "1.1"
__version__ = "0.1.0"

CHORALES_ID = "bach-chorales"
CORPUS_ID = "music21-corpus"


def _musegan_trainer(config, dataset, device):
    from .musegan_trainer import MuseGANTrainer

    return MuseGANTrainer(config, dataset, device)


def _transformer_trainer(config, dataset, device):
    from .transformer_trainer import MusicTransformerTrainer

    return MusicTransformerTrainer(config, dataset, device)


def _widget(context):
    from .widget import MusicWidget

    return MusicWidget(context)


def _view():
    from .view import PianoRollView

    return PianoRollView()


def _load_chorales():
    from .corpus import load_bach_chorales

    return load_bach_chorales()


def _load_corpus():
    from .corpus import load_corpus

    return load_corpus()


@api.hookimpl
def studio_models() -> list[api.ModelSpec]:
    return [
        api.ModelSpec(
            id="musegan",
            name="MuseGAN (multi-track music)",
            description=(
                "Chapter 13: a WGAN-GP that writes 4 tracks x 2 bars x 16 steps x 84 "
                "pitches from chords, style, melody and groove noise; trained on four-part "
                "chorales (the JSB JSON, music21's Bach chorales, MIDI or MusicXML folders)."
            ),
            dataset_kinds=("music-chorales", "music-pianoroll"),
            config_class=MuseGANConfig,
            trainer_factory=_musegan_trainer,
            default_dataset=CHORALES_ID,
            presets={"quick CPU": MUSEGAN_QUICK, "book": MUSEGAN_BOOK},
            default_steps=600,
            widget_factory=_widget,
            sample_kind="pianoroll",
            sample_options=MuseGANOptions,
        ),
        api.ModelSpec(
            id="music-transformer",
            name="Music Transformer (MIDI events)",
            description=(
                "Chapter 14: the decoder-only GPT of the text models on MIDI events "
                "(128 note-on, 128 note-off, 100 time shifts of 10 ms, 32 velocities; "
                "miditok's MIDI-Like encoding); continues a prompt from a MIDI file."
            ),
            dataset_kinds=("music-notes", "music-pianoroll", "music-chorales"),
            config_class=MusicTransformerConfig,
            trainer_factory=_transformer_trainer,
            default_dataset=CORPUS_ID,
            presets={"quick CPU": TRANSFORMER_QUICK, "book": TRANSFORMER_BOOK},
            default_steps=1500,
            widget_factory=_widget,
            sample_kind="pianoroll",
            sample_options=MusicTransformerOptions,
        ),
    ]


@api.hookimpl
def studio_datasets() -> list[api.DatasetSpec]:
    return [
        api.DatasetSpec(
            id=CHORALES_ID,
            name="Bach chorales (music21, 4 voices)",
            description=(
                "The four-part Bach chorales music21 ships, on a 16th-note grid, soprano, "
                "alto, tenor and bass (as the JSB chorales); every fifth held out. The "
                "first load parses them (a minute or two), then a cache is read."
            ),
            kind="music-chorales",
            loader=_load_chorales,
        ),
        api.DatasetSpec(
            id=CORPUS_ID,
            name="music21 corpus (Bach and others, as notes)",
            description=(
                "Scores music21 ships (Bach, Handel, Haydn, Mozart, Beethoven, Schumann, "
                "Joplin) as notes at 120 beats a minute, all at one velocity (scores "
                "have no dynamics to play). The first load parses them, then a cache."
            ),
            kind="music-notes",
            loader=_load_corpus,
        ),
    ]


@api.hookimpl
def studio_sample_kinds() -> list[api.SampleKindSpec]:
    return [
        api.SampleKindSpec(
            "pianoroll", PianoRoll, "Notes of one or more tracks (MIDI and WAV on export)"
        )
    ]


@api.hookimpl
def studio_sample_views() -> list[api.SampleViewSpec]:
    return [api.SampleViewSpec("pianoroll", _view)]
