"""Chapter 2 of the book: binary and multi-class image classifiers (the book's fully
connected nets, and a convolutional one) with early stopping on the validation loss.
A trained classifier can also judge an image generator's samples (docs/health.md).

This is the plugin's hook module, imported at start-up: it stays cheap. Torch is
imported inside the factories below (when a run starts), Qt inside the widget factory.
"""

from __future__ import annotations

from studio import api

from .config import ClassifierConfig, ClassifyOptions
from .report import ClassifierReport  # NumPy only: the sample kind must be a class

STUDIO_API = "1.1"
__version__ = "0.1.0"

# One epoch of the embedded digits' training part (80% of 1,797 images, batches of 64):
# the book validates once an epoch.
DIGITS_EPOCH = 23

BOOK_MULTICLASS = {  # chapter 2, listing "multi-class": 784-256-128-64-10, Adam 1e-3
    "architecture": "mlp",
    "task": "multi-class",
    "image_size": 28,
    "channels": 1,
    "batch_size": 64,
    "lr": 1e-3,
    "dropout": 0.0,
    "steps": 100 * DIGITS_EPOCH,  # at most 100 epochs
    "validate_every": DIGITS_EPOCH,
    "stop_metric": "val/loss",
    "stop_mode": "min",
    "stop_patience": 10,
    "restore_best": True,  # the book keeps the last weights (docs/classifiers.md)
    "sample_every": DIGITS_EPOCH,
}

BOOK_BINARY = {  # chapter 2, listing "binary": 784-256-128-32-1, dropout 0.25, 50 epochs
    "architecture": "mlp",
    "task": "binary",
    "binary_classes": "0,9",  # the book's t-shirt vs ankle boot, on the digits
    "image_size": 28,
    "channels": 1,
    "batch_size": 64,
    "lr": 1e-3,
    "dropout": 0.25,  # after each hidden layer here; the book put it on the output
    "steps": 50 * 5,  # 50 epochs of the 0s and 9s (about 290 training images)
    "sample_every": 25,
}


def _trainer(config, dataset, device):
    from .trainer import ClassifierTrainer

    return ClassifierTrainer(config, dataset, device)


def _widget(context):
    from .widget import ClassifierWidget

    return ClassifierWidget(context)


def _view():
    from .widget import ReportView

    return ReportView()


@api.hookimpl
def studio_models() -> list[api.ModelSpec]:
    return [
        api.ModelSpec(
            id="classifier",
            name="Image classifier",
            description=(
                "Chapter 2: the book's fully connected classifiers (784-256-128-64-10 "
                "multi-class, 784-256-128-32-1 binary) or a small convolutional one, on "
                "any labelled images; early stopping on the validation loss restores the "
                "best weights. A trained classifier can judge an image generator."
            ),
            dataset_kinds=("labelled-images",),
            config_class=ClassifierConfig,
            sample_options=ClassifyOptions,
            trainer_factory=_trainer,
            default_dataset="digits",
            presets={
                "book": dict(BOOK_MULTICLASS),
                "book binary": dict(BOOK_BINARY),
                "quick CPU": {
                    "architecture": "conv",
                    "task": "multi-class",
                    "image_size": 28,
                    "batch_size": 64,
                    "lr": 1e-3,
                    "steps": 30 * DIGITS_EPOCH,
                    "validate_every": DIGITS_EPOCH,
                    "stop_metric": "val/loss",
                    "stop_patience": 5,
                    "sample_every": DIGITS_EPOCH,
                },
            },
            default_steps=100 * DIGITS_EPOCH,
            widget_factory=_widget,
            sample_kind="classification",
        )
    ]


@api.hookimpl
def studio_sample_kinds() -> list[api.SampleKindSpec]:
    return [
        api.SampleKindSpec(
            "classification",
            ClassifierReport,
            "a classifier's report: confusion matrix, misclassified examples, probabilities",
        )
    ]


@api.hookimpl
def studio_sample_views() -> list[api.SampleViewSpec]:
    return [api.SampleViewSpec("classification", _view)]
