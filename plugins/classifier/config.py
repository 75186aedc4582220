"""The classifier's config (the form and the CLI flags are generated from it) and its
sampling options."""

from __future__ import annotations

from dataclasses import dataclass

from studio import api

ARCHITECTURES = ("mlp", "conv")
TASKS = ("multi-class", "binary")


@dataclass
class ClassifierConfig:
    architecture: str = api.param(
        "mlp",
        choices=ARCHITECTURES,
        help="mlp: the book's fully connected nets; conv: two convolutions and a head",
    )
    task: str = api.param(
        "multi-class",
        choices=TASKS,
        help="multi-class: every class (784-256-128-64-K); binary: two classes (784-256-128-32-1)",
    )
    binary_classes: str = api.param(
        "0,9",
        help="binary task: the two classes, by name or index (the first is 0, the second 1)",
    )
    image_size: int = api.param(
        28, min=8, max=128, help="Images are resized to this (28: the book)"
    )
    channels: int = api.param(1, choices=(1, 3), help="1: greyscale (the book), 3: colour")
    batch_size: int = api.param(64, min=1, max=4096, help="Images per step")
    lr: float = api.param(1e-3, min=1e-6, max=100.0, help="Adam learning rate")
    dropout: float = api.param(
        0.0,
        min=0.0,
        max=0.9,
        help="dropout after each hidden layer (never on the output, where the book put it)",
    )
    val_fraction: float = api.param(
        0.1, min=0.0, max=0.5, help="share held out for validation (early stopping)"
    )
    test_fraction: float = api.param(
        0.1, min=0.0, max=0.5, help="share held out for the final test (never trained on)"
    )
    split_seed: int = api.param(42, min=0, help="seed of the train/validation/test split")


@dataclass
class ClassifyOptions:
    image: str = api.param(
        "", help="an image file to classify (empty: report on the held-out test images)"
    )
    examples: int = api.param(64, min=0, max=1024, help="misclassified examples kept in the report")
