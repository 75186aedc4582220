"""Example plugin: a GAN that learns points (x, sin x) for x in [-pi, pi].

This is the hook module: GenAI Studio imports it at start-up, so it stays cheap.
torch and Qt are imported only inside the factories, when they are used.
"""

from __future__ import annotations

from dataclasses import dataclass

from studio import api

STUDIO_API = "1.0"  # the contract version this plugin was written for


@dataclass
class SineGANConfig:
    """The UI form and the CLI flags (--batch-size, --lr, --noise) come from this."""

    batch_size: int = api.param(64, min=2, max=4096, help="Real points per step")
    lr: float = api.param(1e-3, min=1e-6, max=1.0, help="Adam learning rate")
    noise: int = api.param(4, min=1, max=64, help="Size of the generator's noise input")


def _trainer(config, dataset, device):
    from .trainer import SineGANTrainer

    return SineGANTrainer(config, dataset, device)


def _widget(context):
    from .widget import SineWidget

    return SineWidget(context)


def _load():
    import math

    import torch

    x = (torch.rand(2048, generator=torch.Generator().manual_seed(0)) * 2 - 1) * math.pi
    return api.LoadedDataset(kind="points2d-sine", train=(torch.stack([x, x.sin()], 1),))


@api.hookimpl
def studio_models():
    return [
        api.ModelSpec(
            id="sine-gan",
            name="Example: sine GAN",
            description="A small GAN that learns points on y = sin(x).",
            dataset_kinds=("points2d-sine",),
            config_class=SineGANConfig,
            trainer_factory=_trainer,
            default_dataset="sine-wave",
            presets={"quick CPU": {"steps": 1500}},
            default_steps=1500,
            widget_factory=_widget,
            sample_kind="points",
        )
    ]


@api.hookimpl
def studio_datasets():
    return [
        api.DatasetSpec(
            id="sine-wave",
            name="Sine wave",
            description="2,048 points (x, sin x), x uniform in [-pi, pi].",
            kind="points2d-sine",
            loader=_load,
            items=2048,
        )
    ]
