"""Example GenAI Studio plugin: a RealNVP normalising flow on 2-D points.

This is the hook module: the app imports it at start-up (and right after the plugin
manager installs the package), so it stays cheap. torch is imported inside the
factories, when a run starts; Qt inside the widget factory, when the widget shows.
"""

from __future__ import annotations

from dataclasses import dataclass

from studio import api

__version__ = "0.1.0"
STUDIO_API = "1.0"  # the contract version this plugin was written for

KIND = "points2d"  # the built-in 2-D point kind: dropped two-column data works too


@dataclass
class FlowConfig:
    """The UI form and the CLI flags (--batch-size, --lr, --couplings...) come from this."""

    batch_size: int = api.param(256, min=8, max=8192, help="Points per step")
    lr: float = api.param(2e-3, min=1e-5, max=0.1, help="Adam learning rate")
    couplings: int = api.param(8, min=2, max=32, help="Affine coupling layers")
    hidden: int = api.param(64, min=8, max=1024, help="Width of each coupling's network")


def _trainer(config, dataset, device):
    from .trainer import FlowTrainer  # torch is imported here, when a run starts

    return FlowTrainer(config, dataset, device)


def _widget(context):
    from .widget import FlowWidget  # Qt is imported here, when the Explore tab shows

    return FlowWidget(context)


def _load():
    from .data import eight_gaussians

    return eight_gaussians()


@api.hookimpl
def studio_models():
    return [
        api.ModelSpec(
            id="flow2d",
            name="Example: RealNVP flow (2-D)",
            description=(
                "A normalising flow: invertible affine couplings map the data to a "
                "Gaussian and back, trained by exact maximum likelihood."
            ),
            dataset_kinds=(KIND,),
            config_class=FlowConfig,
            trainer_factory=_trainer,
            default_dataset="eight-gaussians",
            presets={
                "book defaults": {"steps": 3000},
                "quick CPU": {"steps": 800, "couplings": 6, "sample_every": 100},
            },
            default_steps=3000,
            widget_factory=_widget,
            sample_kind="points",
        )
    ]


@api.hookimpl
def studio_datasets():
    return [
        api.DatasetSpec(
            id="eight-gaussians",
            name="Eight Gaussians",
            description="4,096 points from 8 Gaussians on a circle of radius 2 (10% held out).",
            kind=KIND,
            loader=_load,
            items=4096,
        )
    ]
