"""Chapters 8, 11 and 12 of the book: text generation (LSTM, GPT from scratch, GPT-2
weights, fine-tuning for classification). Hook module: cheap to import (no torch, no
Qt, no tokenizers: they are imported by the factories, when a run starts)."""

from __future__ import annotations

from studio import api

from . import labelled
from .config import (
    ClassifierConfig,
    ClassifySampleOptions,
    GPTConfig,
    LSTMConfig,
    TextSampleOptions,
)

STUDIO_API = "1.1"
__version__ = "0.1.0"

CORPUS_ID = "python-docs"  # data.CORPUS_ID, repeated here to keep this module light


def _gpt_trainer(config, dataset, device):
    from .trainer import GPTTrainer

    return GPTTrainer(config, dataset, device)


def _lstm_trainer(config, dataset, device):
    from .trainer import LSTMTrainer

    return LSTMTrainer(config, dataset, device)


def _classifier_trainer(config, dataset, device):
    from .classify import ClassifierTrainer

    return ClassifierTrainer(config, dataset, device)


def _classifier_widget(context):
    from .widget import ClassifierWidget

    return ClassifierWidget(context)


def _load_labelled_builtin():
    from .labelled import load_builtin

    return load_builtin()


def _load_labelled_folder(path):
    from .labelled import load_folder

    return load_folder(path)


def _load_labelled_tsv(path):
    from .labelled import load_tsv

    return load_tsv(path)


def _widget(context):
    from .widget import TextSamplingWidget

    return TextSamplingWidget(context)


def _load_corpus():
    from .data import load_python_docs

    return load_python_docs()


# nanoGPT's CPU recipe for shakespeare_char (README): validation loss about 1.88 after
# 2,000 steps on tiny Shakespeare.
_QUICK_GPT = {
    "size": "micro",
    "block_size": 64,
    "batch_size": 12,
    "dropout": 0.0,
    "tokenizer": "char",
    "lr": 1e-3,
    "min_lr": 1e-4,
    "warmup_steps": 100,
    "decay_steps": 0,  # the decay ends at the run's last step, whatever Steps is
    "steps": 2000,
    "sample_every": 250,
    "validate_every": 250,
}


@api.hookimpl
def studio_models() -> list[api.ModelSpec]:
    return [
        api.ModelSpec(
            id="gpt",
            name="GPT (Transformer language model)",
            description=(
                "Chapters 11-12: a decoder-only Transformer written from scratch (causal "
                "self-attention, learned positions, pre-norm, tied embeddings), nano to "
                "GPT-2 small, on characters, words or BPE; or GPT-2's own weights from "
                "a folder, sampled and trained further on your text."
            ),
            dataset_kinds=("text",),
            config_class=GPTConfig,
            trainer_factory=_gpt_trainer,
            default_dataset=CORPUS_ID,
            presets={
                "quick CPU": _QUICK_GPT,
                # Chapter 12's listing: 3 blocks of 4 heads, 256 wide, 128 tokens,
                # dropout 0.1, biases everywhere, an output layer of its own, GELU's
                # tanh approximation, the book's word tokens (every word of
                # the corpus), Adam 1e-4 constant with no weight decay, clip 1, batches
                # of 32, 40 epochs of the three novels (21,815 steps each).
                "book": {
                    "size": "custom",
                    "n_layer": 3,
                    "n_head": 4,
                    "n_embd": 256,
                    "block_size": 128,
                    "batch_size": 32,
                    "dropout": 0.1,
                    "bias": True,
                    "tie_weights": False,
                    "gelu_tanh": True,
                    "tokenizer": "book-words-ch12",
                    "vocab_size": 100_000,
                    "lr": 1e-4,
                    "min_lr": 1e-4,
                    "warmup_steps": 0,
                    "beta1": 0.9,
                    "beta2": 0.999,
                    "weight_decay": 0.0,
                    "grad_clip": 1.0,
                    "steps": 872_600,
                    "sample_every": 5000,
                    "validate_every": 5000,
                },
            },
            default_steps=2000,
            widget_factory=_widget,
            sample_kind="text",
            sample_options=TextSampleOptions,
        ),
        api.ModelSpec(
            id="lstm",
            name="LSTM language model",
            description=(
                "Chapter 8: embedding, stacked LSTM with dropout, gradient clipping; "
                "character- or word-level."
            ),
            dataset_kinds=("text",),
            config_class=LSTMConfig,
            trainer_factory=_lstm_trainer,
            default_dataset=CORPUS_ID,
            presets={
                "quick CPU": {
                    "tokenizer": "char",
                    "embed": 64,
                    "hidden": 256,
                    "layers": 2,
                    "dropout": 0.0,
                    "block_size": 64,
                    "batch_size": 32,
                    "lr": 3e-3,
                    "min_lr": 3e-4,
                    "warmup_steps": 50,
                    "decay_steps": 0,  # follows Steps
                    "steps": 2000,
                    "sample_every": 250,
                    "validate_every": 250,
                },
                # Chapter 8's listing: the book's word tokens (all 12,778 words of Anna
                # Karenina), embeddings and 3 LSTM layers of 128 with dropout 0.2
                # between them (none before the output layer), windows of 100 words,
                # batches of 32, Adam 1e-4 constant, clip 5, 50 epochs of 13,656 steps.
                "book": {
                    "tokenizer": "book-words-ch8",
                    "vocab_size": 100_000,
                    "embed": 128,
                    "hidden": 128,
                    "layers": 3,
                    "dropout": 0.2,
                    "output_dropout": False,
                    "block_size": 100,
                    "batch_size": 32,
                    "lr": 1e-4,
                    "min_lr": 1e-4,
                    "warmup_steps": 0,
                    "beta1": 0.9,
                    "beta2": 0.999,
                    "weight_decay": 0.0,
                    "grad_clip": 5.0,
                    "steps": 682_800,
                    "sample_every": 5000,
                    "validate_every": 5000,
                },
            },
            default_steps=2000,
            widget_factory=_widget,
            sample_kind="text",
            sample_options=TextSampleOptions,
        ),
        api.ModelSpec(
            id="gpt-classifier",
            name="GPT fine-tuned for classification",
            description=(
                "A GPT body (from scratch or GPT-2 weights) with a classification head on "
                "its last token, trained on labelled text: one sub-folder per class, or a "
                "text<TAB>label .tsv. Accuracy on a held-out split is shown."
            ),
            dataset_kinds=("labelled-text",),
            config_class=ClassifierConfig,
            trainer_factory=_classifier_trainer,
            default_dataset=labelled.BUILTIN_ID,
            presets={
                "quick CPU": {
                    "size": "custom",
                    "n_layer": 2,
                    "n_head": 4,
                    "n_embd": 64,
                    "block_size": 96,
                    "tokenizer": "char",
                    "batch_size": 32,
                    "lr": 2e-3,
                    "min_lr": 2e-4,
                    "warmup_steps": 30,
                    "decay_steps": 0,  # follows Steps
                    "steps": 600,
                    "sample_every": 100,
                    "validate_every": 100,
                },
                # Not in the book (it has no classification fine-tuning): GPT-2 small's
                # weights (set pretrained) with a small learning rate.
                "GPT-2 fine-tuning": {
                    "size": "gpt2-small",
                    "block_size": 128,
                    "tokenizer": "bpe",
                    "dropout": 0.1,
                    "batch_size": 16,
                    "lr": 5e-5,
                    "min_lr": 5e-6,
                    "warmup_steps": 100,
                    "decay_steps": 0,  # follows Steps
                    "weight_decay": 0.01,
                    "steps": 3000,
                    "sample_every": 250,
                    "validate_every": 250,
                },
            },
            default_steps=600,
            widget_factory=_classifier_widget,
            sample_kind="text",
            sample_options=ClassifySampleOptions,
        ),
    ]


@api.hookimpl
def studio_datasets() -> list[api.DatasetSpec]:
    return [
        api.DatasetSpec(
            id=CORPUS_ID,
            name="Python documentation (English prose)",
            description=(
                "The help topics shipped with CPython (pydoc_data.topics): about 465,000 "
                "characters of English prose about Python, with code examples."
            ),
            kind="text",
            loader=_load_corpus,
        ),
        api.DatasetSpec(
            id=labelled.BUILTIN_ID,
            name="Python reference prose vs docstrings (labelled)",
            description=(
                "Paragraphs of CPython's reference prose (pydoc_data.topics) and of standard "
                "library docstrings, two classes for fine-tuning a classifier."
            ),
            kind="labelled-text",
            loader=_load_labelled_builtin,
        ),
    ]


@api.hookimpl
def studio_dataset_readers() -> list[api.ReaderSpec]:
    # Priorities and the rule for a .tsv: see labelled.py.
    return [
        api.ReaderSpec(
            id="labelled-text-folder",
            name="Labelled text (one sub-folder of .txt files per class)",
            kind="labelled-text",
            accepts=labelled.accepts_folder,
            load=_load_labelled_folder,
            priority=20,
            patterns=("*.txt",),
        ),
        api.ReaderSpec(
            id="labelled-text-tsv",
            name="Labelled text (text<TAB>label)",
            kind="labelled-text",
            accepts=labelled.accepts_tsv,
            load=_load_labelled_tsv,
            priority=25,
            patterns=("*.tsv", "*.tab"),
        ),
    ]
