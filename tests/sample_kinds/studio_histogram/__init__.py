"""A test plugin that adds a NEW sample kind (``histogram``) and its view, and a model
that produces it, with no change under ``studio/``: everything goes through
``studio.api`` (and ``studio.api_qt`` in the view module), as a third party writes it.

The kind has a file format of its own (``.npz``), so the app finds it by suffix.
"""

from __future__ import annotations

from dataclasses import dataclass

from studio import api

from .kind import Histogram

STUDIO_API = "1.1"


@dataclass
class HistConfig:
    batch_size: int = api.param(32, min=1, max=1024, help="Numbers per step")
    lr: float = api.param(0.05, min=1e-5, max=1.0, help="SGD learning rate")


def _trainer(config, dataset, device):
    from .trainer import HistTrainer

    return HistTrainer(config, dataset, device)


def _data():
    import torch

    values = torch.linspace(2.0, 4.0, 256).unsqueeze(1)
    return api.LoadedDataset(kind="numbers1d", train=(values,))


def _view():
    from .view import HistogramView

    return HistogramView()


@api.hookimpl
def studio_models():
    return [
        api.ModelSpec(
            id="hist-model",
            name="Test: histogram",
            description="Learns a shift; samples come out as a histogram.",
            dataset_kinds=("numbers1d",),
            config_class=HistConfig,
            trainer_factory=_trainer,
            default_dataset="numbers-2-4",
            sample_kind="histogram",
        )
    ]


@api.hookimpl
def studio_datasets():
    return [api.DatasetSpec("numbers-2-4", "2 to 4", "", "numbers1d", _data, items=256)]


@api.hookimpl
def studio_sample_kinds():
    return [api.SampleKindSpec("histogram", Histogram, "counts of numbers in bins (.npz)")]


@api.hookimpl
def studio_sample_views():
    return [api.SampleViewSpec("histogram", _view)]
