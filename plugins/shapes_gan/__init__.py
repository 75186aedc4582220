"""Chapter 3 of the book: GANs that learn a shape (points on y = 1.08^x) and a number
pattern (integers that are multiples of 5).

This is the plugin's hook module: it is imported at start-up, so it stays cheap.
Torch is imported only inside the factories below, when a run starts.
"""

from __future__ import annotations

from studio import api

from .config import GANSampleOptions, NumberGANConfig, ShapeGANConfig

STUDIO_API = "1.1"
__version__ = "0.1.0"


def _shape_trainer(config, dataset, device):
    from .trainer import ShapeGANTrainer

    return ShapeGANTrainer(config, dataset, device)


def _number_trainer(config, dataset, device):
    from .trainer import NumberGANTrainer

    return NumberGANTrainer(config, dataset, device)


def _shape_widget(context):
    from .widget import ShapeSamplingWidget

    return ShapeSamplingWidget(context)


def _number_widget(context):
    from .widget import NumberSamplingWidget

    return NumberSamplingWidget(context)


def _load_curve():
    from .data import load_exponential_curve

    return load_exponential_curve()


def _load_numbers():
    from .data import load_multiples_of_5

    return load_multiples_of_5()


@api.hookimpl
def studio_models() -> list[api.ModelSpec]:
    return [
        api.ModelSpec(
            id="gan-shape",
            name="GAN: exponential curve",
            description=(
                "Chapter 3: a generator of 2-D points learns the curve y = 1.08^x "
                "against a discriminator with dropout (BCE, Adam)."
            ),
            # A two-column numeric table (CSV, .npy) is a shape the user brings.
            dataset_kinds=("points2d", "table"),
            config_class=ShapeGANConfig,
            trainer_factory=_shape_trainer,
            default_dataset="exponential-curve",
            presets={
                # The book's listing: 2,048 points in batches of 128 (16 steps an
                # epoch), the discriminator stepped on real then fake, up to 10,000
                # epochs, stopped when the points' squared error against 1.08^x has not
                # improved for 1,000 epochs. The book measures every epoch; a preview
                # every 10 epochs (160 steps) and a patience of 100 previews keep the
                # same 1,000 epochs with a tenth of the sample files.
                "book": {
                    "batch_size": 128,
                    "lr": 5e-4,
                    "d_update": "real, then fake",
                    "steps": 160_000,
                    "sample_every": 160,
                    "stop_metric": "sample/book_mse",
                    "stop_mode": "min",
                    "stop_patience": 100,
                },
                "quick CPU": {"batch_size": 128, "lr": 1e-3, "steps": 3000},
            },
            default_steps=3000,
            widget_factory=_shape_widget,
            sample_kind="points",
            sample_options=GANSampleOptions,
        ),
        api.ModelSpec(
            id="gan-numbers",
            name="GAN: multiples of 5",
            description=(
                "Chapter 3: a generator of one-hot integers (0-99) learns to produce "
                "only multiples of 5."
            ),
            dataset_kinds=("onehot-numbers",),
            config_class=NumberGANConfig,
            trainer_factory=_number_trainer,
            default_dataset="multiples-of-5",
            presets={
                # The book's listing: a fresh batch of 10 multiples of 5 each step, the
                # discriminator stepped on real then fake, up to 10,000 steps, stopped
                # when the squared remainder mod 5 has not improved for 800 of them
                # (measured every 10 steps here, so 80 previews).
                "book": {
                    "batch_size": 10,
                    "lr": 5e-4,
                    "d_update": "real, then fake",
                    "fresh_batches": True,
                    "steps": 10_000,
                    "sample_every": 10,
                    "stop_metric": "sample/book_mod5_mse",
                    "stop_mode": "min",
                    "stop_patience": 80,
                },
                "quick CPU": {"batch_size": 32, "lr": 1e-3, "steps": 1500},
            },
            default_steps=1500,
            widget_factory=_number_widget,
            sample_kind="numbers",
            sample_options=GANSampleOptions,
        ),
    ]


@api.hookimpl
def studio_datasets() -> list[api.DatasetSpec]:
    return [
        api.DatasetSpec(
            id="exponential-curve",
            name="Exponential curve",
            description="2,048 points (x, 1.08^x) with x uniform in [0, 50].",
            kind="points2d",
            loader=_load_curve,
            items=2048,
        ),
        api.DatasetSpec(
            id="multiples-of-5",
            name="Multiples of 5",
            description="2,000 integers 0-95 that are multiples of 5, one-hot (100 wide).",
            kind="onehot-numbers",
            loader=_load_numbers,
            items=2000,
        ),
    ]
