"""Chapter 6 of the book: CycleGAN, translating images between two domains (horses and
zebras, black and blond hair) from unpaired examples of each.

This is the plugin's hook module, imported at start-up: it stays cheap. Torch is
imported inside the factories below (when a run starts), Qt inside the widget and
view factories.
"""

from __future__ import annotations

from studio import api

from .config import PRESETS, CycleGANConfig
from .options import TranslateOptions

STUDIO_API = "1.1"
__version__ = "0.1.0"

MODEL_ID = "cyclegan"
DATASET_ID = "digit-domains"
KIND = "image-triples"


def _trainer(config, dataset, device):
    from .trainer import CycleGANTrainer

    return CycleGANTrainer(config, dataset, device)


def _widget(context):
    from .widget import CycleGANWidget

    return CycleGANWidget(context)


def _view():
    from .widget import TriplesView

    return TriplesView()


def _load_domains():
    from .domains import load_digit_domains

    return load_digit_domains()


def _exporter(direction: str):
    def export(source, path):
        from .export import export_onnx

        export_onnx(source, path, direction)

    return export


def _triples_class():
    from .triples import ImageTriples

    return ImageTriples


@api.hookimpl
def studio_models() -> list[api.ModelSpec]:
    return [
        api.ModelSpec(
            id=MODEL_ID,
            name="CycleGAN (image to image)",
            description=(
                "Chapter 6: two ResNet generators translate images from domain A to B "
                "and back, trained from unpaired images of each against two 70x70 "
                "PatchGAN discriminators (least-squares loss) with a cycle loss: "
                "A -> B -> A must give A back."
            ),
            dataset_kinds=("two-domain-images",),
            config_class=CycleGANConfig,
            trainer_factory=_trainer,
            default_dataset=DATASET_ID,
            presets=PRESETS,
            default_steps=PRESETS["book"]["steps"],
            widget_factory=_widget,
            sample_kind=KIND,
            sample_options=TranslateOptions,
        )
    ]


@api.hookimpl
def studio_datasets() -> list[api.DatasetSpec]:
    return [
        api.DatasetSpec(
            id=DATASET_ID,
            name="Digits in two styles (A: white on black, B: dark on striped paper)",
            description=(
                "The embedded digits drawn two ways, from disjoint halves of them "
                "(unpaired): 808 in domain A, 809 in domain B, and 180 held out in both."
            ),
            kind="two-domain-images",
            loader=_load_domains,
            items=1617,
        )
    ]


@api.hookimpl
def studio_sample_kinds() -> list[api.SampleKindSpec]:
    return [
        api.SampleKindSpec(
            KIND,
            _triples_class(),
            "source images, their translations and the translations translated back "
            "(A, A->B, A->B->A), saved as a PNG grid",
        )
    ]


@api.hookimpl
def studio_sample_views() -> list[api.SampleViewSpec]:
    return [api.SampleViewSpec(KIND, _view)]


@api.hookimpl
def studio_exporters() -> list[api.ExporterSpec]:
    return [
        api.ExporterSpec(
            id=f"cyclegan-onnx-{tag}",
            name=f"Generator {direction} as ONNX",
            suffix=".onnx",
            export=_exporter(direction),
            applies_to=(MODEL_ID,),
        )
        for tag, direction in (("ab", "A->B"), ("ba", "B->A"))
    ]
