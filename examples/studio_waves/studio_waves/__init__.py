"""Example plugin for contract 1.1: a tiny autoregressive model that learns waveforms
(sine waves of random frequency and phase) and continues them point by point.

It uses every piece 1.1 adds:

- its own sample kind, ``waveforms`` (``kind.Waveforms``, Qt-free, saved as JSON) and
  the view that draws it (``view.WaveformsView``), through ``studio_sample_kinds`` and
  ``studio_sample_views``;
- typed sampling options (``WaveOptions``): the Explore controls and the CLI's
  ``sample -o NAME=VALUE`` are generated from them and checked;
- streaming with cancel: ``Trainer.sample_stream`` yields the waves as they grow and
  stops when the ``CancelToken`` is cancelled (the Stop button, Ctrl-C in the CLI);
- the run handle: its widget shows the run's context length and checkpoints from
  ``self.run`` and never reads the run folder.

This hook module stays cheap to import: torch and Qt are imported in the factories.
"""

from __future__ import annotations

from dataclasses import dataclass

from studio import api

from .kind import Waveforms

STUDIO_API = "1.1"
__version__ = "0.1.0"


@dataclass
class WaveConfig:
    """The model's hyper-parameters: the form and the CLI flags come from this."""

    batch_size: int = api.param(64, min=1, max=4096, help="Waveforms per step")
    lr: float = api.param(3e-3, min=1e-6, max=1.0, help="Adam learning rate")
    context: int = api.param(8, min=2, max=32, help="Past points the model sees")
    hidden: int = api.param(32, min=4, max=512, help="Hidden units")


@dataclass
class WaveOptions:
    """Sampling options: Explore's controls and ``sample -o`` come from this."""

    length: int = api.param(48, min=1, max=512, help="Points generated after the prompt")
    temperature: float = api.param(
        1.0, min=0.0, max=5.0, help="Scale of the model's noise (0: its mean prediction)"
    )
    waves: int = api.param(4, min=1, max=64, help="How many waveforms")
    every: int = api.param(8, min=1, max=512, help="Show the waves every this many points")


def _trainer(config, dataset, device):
    from .trainer import WaveTrainer

    return WaveTrainer(config, dataset, device)


def _widget(context):
    from .widget import WavesWidget

    return WavesWidget(context)


def _view():
    from .view import WaveformsView

    return WaveformsView()


def _load():
    from .trainer import sine_waves

    return api.LoadedDataset(kind="waveforms", train=(sine_waves(2048, 64, seed=0),))


@api.hookimpl
def studio_models():
    return [
        api.ModelSpec(
            id="waves",
            name="Example: waveforms (1.1)",
            description="An autoregressive MLP that continues sine waves point by point.",
            dataset_kinds=("waveforms",),
            config_class=WaveConfig,
            trainer_factory=_trainer,
            default_dataset="sine-waves",
            presets={"quick CPU": {"steps": 600}},
            default_steps=600,
            widget_factory=_widget,
            sample_kind="waveforms",
            sample_options=WaveOptions,
        )
    ]


@api.hookimpl
def studio_datasets():
    return [
        api.DatasetSpec(
            id="sine-waves",
            name="Sine waves",
            description="2,048 sine waves of 64 points, random frequency and phase.",
            kind="waveforms",
            loader=_load,
            items=2048,
        )
    ]


@api.hookimpl
def studio_sample_kinds():
    return [api.SampleKindSpec("waveforms", Waveforms, "1-D waveforms with their prompt")]


@api.hookimpl
def studio_sample_views():
    return [api.SampleViewSpec("waveforms", _view)]
