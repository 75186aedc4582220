"""Chapters 9 and 10 of the book: the encoder-decoder Transformer that translates.

Hook module: cheap to import (no torch, no Qt, no tokenizers; the factories import
them when a run starts or a widget shows).
"""

from __future__ import annotations

from pathlib import Path

from studio import api

from .config import TranslateOptions, TranslatorConfig

STUDIO_API = "1.1"
__version__ = "0.1.0"

NUMBERS_ID = "number-words"

# The book's listing (chapter 10), with its two bugs fixed (see docs/translation.md):
# the feed-forward's ReLU is back and the batch order changes every epoch.
BOOK = {
    "encoder_layers": 6,
    "decoder_layers": 6,
    "d_model": 256,
    "heads": 8,
    "d_ff": 1024,
    "dropout": 0.1,
    "label_smoothing": 0.1,
    "lr_factor": 1.0,
    "warmup_steps": 2000,
    "beta1": 0.9,
    "beta2": 0.98,
    "eps": 1e-9,
    "batch_size": 128,
    "activation": "relu",
    "tie_output": False,
    "vocab_size": 8000,
    "steps": 20000,
    "sample_every": 1000,
    "validate_every": 1000,
}

# Learns the embedded number words in minutes on two CPU cores: held-out exact matches
# 0.92 at step 500, 0.99 at 1,000 (bench/translator.py --task numbers measures it).
QUICK = {
    "encoder_layers": 2,
    "decoder_layers": 2,
    "d_model": 128,
    "heads": 4,
    "d_ff": 256,
    "dropout": 0.0,
    "label_smoothing": 0.1,
    "lr_factor": 1.0,
    "warmup_steps": 300,
    "batch_size": 64,
    "vocab_size": 300,
    "max_tokens": 48,
    "grad_clip": 1.0,
    "val_sentences": 300,
    "steps": 1500,
    "sample_every": 250,
    "validate_every": 250,
}


def _trainer(config, dataset, device):
    from .trainer import TranslatorTrainer

    return TranslatorTrainer(config, dataset, device)


def _widget(context):
    from .widget import TranslatorWidget

    return TranslatorWidget(context)


def _view():
    from .views import TranslationView

    return TranslationView()


def _load_numbers():
    from .numbers import number_pairs
    from .pairs_csv import PairList

    pairs = number_pairs()
    return api.LoadedDataset(
        kind="text-pairs",
        train=PairList(pairs),
        info={"pairs": len(pairs), "source": "generated: English and French number words"},
        name=NUMBERS_ID,
    )


def _accepts_csv(path: Path) -> bool:
    from .pairs_csv import accepts

    return accepts(path)


def _load_csv(path: Path) -> api.LoadedDataset:
    from .pairs_csv import load

    return load(Path(path))


def _export_encoder(trainer, path: Path) -> None:
    from .export import export_encoder

    export_encoder(trainer, Path(path))


def _export_decoder(trainer, path: Path) -> None:
    from .export import export_decoder

    export_decoder(trainer, Path(path))


@api.hookimpl
def studio_models() -> list[api.ModelSpec]:
    return [
        api.ModelSpec(
            id="translator",
            name="Transformer translator (encoder-decoder)",
            description=(
                "Chapters 9-10: the original Transformer (multi-head self- and "
                "cross-attention, sinusoidal positions, Noam schedule, label smoothing) "
                "on sentence pairs, with BPE subwords; greedy, beam search or sampling; "
                "the attention it pays, layer by layer and head by head."
            ),
            dataset_kinds=("text-pairs",),
            config_class=TranslatorConfig,
            trainer_factory=_trainer,
            default_dataset=NUMBERS_ID,
            presets={"quick CPU": QUICK, "book": BOOK},
            default_steps=1500,
            widget_factory=_widget,
            sample_kind="translation",
            sample_options=TranslateOptions,
        )
    ]


@api.hookimpl
def studio_datasets() -> list[api.DatasetSpec]:
    return [
        api.DatasetSpec(
            id=NUMBERS_ID,
            name="Number words, English to French",
            description=(
                "30,000 numbers below a million written in English and in French "
                '("seventy-one" -> "soixante et onze", "two hundred eighty" -> '
                '"deux cent quatre-vingts"), generated in code: every number below '
                "1,000 and a seeded draw of larger ones."
            ),
            kind="text-pairs",
            loader=_load_numbers,
            items=30_000,
        )
    ]


@api.hookimpl
def studio_dataset_readers() -> list[api.ReaderSpec]:
    return [
        api.ReaderSpec(
            id="text-pairs-csv",
            name="Parallel text (two-column CSV: source, target)",
            kind="text-pairs",
            accepts=_accepts_csv,
            load=_load_csv,
            priority=15,  # above the numeric table reader, for a CSV of words only
            patterns=("*.csv",),
        )
    ]


@api.hookimpl
def studio_exporters() -> list[api.ExporterSpec]:
    return [
        api.ExporterSpec(
            id="translator-onnx-encoder",
            name="Encoder as ONNX (source ids -> memory)",
            suffix=".onnx",
            export=_export_encoder,
            applies_to=("translator",),
        ),
        api.ExporterSpec(
            id="translator-onnx-decoder",
            name="Decoder as ONNX (target ids, memory, source ids -> logits)",
            suffix=".onnx",
            export=_export_decoder,
            applies_to=("translator",),
        ),
    ]


@api.hookimpl
def studio_sample_kinds() -> list[api.SampleKindSpec]:
    from .sample import Translation

    return [
        api.SampleKindSpec(
            "translation",
            Translation,
            "translated sentences with their subwords and attention weights (NPZ)",
        )
    ]


@api.hookimpl
def studio_sample_views() -> list[api.SampleViewSpec]:
    return [api.SampleViewSpec("translation", _view)]
