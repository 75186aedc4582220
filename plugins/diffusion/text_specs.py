"""Contributions of this part of the plugin: text-to-image (``text-to-image``) and CLIP
(``clip``). Cheap to import: torch is imported inside the factories, Qt inside the
widget factories."""

from __future__ import annotations

from studio import api

from .clip_config import CLIPConfig, CLIPOptions
from .t2i_config import T2IConfig, T2IOptions

CAPTION_KINDS = ("labelled-images", "captioned-images")
BOOK_UNET = {
    "batch_size": 4,
    "lr": 1e-4,
    "beta1": 0.95,
    "beta2": 0.999,
    "weight_decay": 1e-5,
    "warmup": 300,
    "decay_steps": 204_800,  # the book's cosine schedule over its 100 epochs
    "image_size": 64,
    "widths": "128,256,512,1024",
    "attention_from": 3,
    "layers": 2,
    "loss": "l1",
    "schedule": "cosine",
    "prediction": "eps",
    "steps": 204_800,  # 100 epochs of the 8,189 flowers, 4 a step
}
"""The book's chapter 15 training values (its U-Net listing and training loop)."""


def _t2i_trainer(config, dataset, device):
    from .t2i_trainer import TextToImageTrainer

    return TextToImageTrainer(config, dataset, device)


def _clip_trainer(config, dataset, device):
    from .clip_trainer import CLIPTrainer

    return CLIPTrainer(config, dataset, device)


def _t2i_widget(context):
    from .t2i_widget import TextToImageWidget

    return TextToImageWidget(context)


def _clip_widget(context):
    from .clip_widget import CLIPWidget

    return CLIPWidget(context)


def _export_clip(source, path):
    from .clip_export import export_clip

    export_clip(source, path)


def models() -> list[api.ModelSpec]:
    return [
        api.ModelSpec(
            id="text-to-image",
            name="Text-to-image (diffusion)",
            description=(
                "Chapter 15 and the multimodal cards: the denoising U-Net conditioned on a "
                "caption through cross-attention to a small text Transformer trained with "
                "it; the caption is dropped for 10% of the examples, so one network "
                "predicts with and without it and the guidance scale pushes samples "
                "towards the prompt (classifier-free guidance). Captions come from class "
                "names ('a handwritten seven') or from caption files."
            ),
            dataset_kinds=CAPTION_KINDS,
            config_class=T2IConfig,
            sample_options=T2IOptions,
            trainer_factory=_t2i_trainer,
            default_dataset="digits",
            presets={
                # The U-Net of the quick preset of the unconditional model, with
                # cross-attention at its two lower levels (16x16 digits: the 8x8
                # originals lose nothing).
                "quick CPU": {
                    "batch_size": 64,
                    "lr": 1e-3,
                    "warmup": 100,
                    "decay_steps": 1500,
                    "image_size": 16,
                    "widths": "32,64,64",
                    "attention_from": 1,
                    "steps": 1500,
                    "sample_every": 500,
                },
                # The book's U-Net listing (chapter 15) with cross-attention where it
                # has attention: the book itself trains no text-to-image model.
                "book": BOOK_UNET,
            },
            default_steps=4000,
            widget_factory=_t2i_widget,
            sample_kind="images",
        ),
        api.ModelSpec(
            id="clip",
            name="CLIP (image-text matching)",
            description=(
                "A contrastive image-text model: an image encoder and a text encoder "
                "trained so that a caption and its image point the same way (symmetric "
                "cross-entropy over a batch, learned temperature). Search the data by "
                "caption, caption a dropped image, and score text-to-image samples."
            ),
            dataset_kinds=CAPTION_KINDS,
            config_class=CLIPConfig,
            sample_options=CLIPOptions,
            trainer_factory=_clip_trainer,
            default_dataset="digits",
            presets={
                "quick CPU": {"batch_size": 128, "lr": 1e-3, "steps": 600, "sample_every": 100},
                # The book has no CLIP listing: CLIP's own recipe, scaled to the data
                # (weight decay 0.2, temperature 0.07 learned and capped at 1/100,
                # only the diagonal as targets).
                "CLIP paper": {
                    "batch_size": 256,
                    "lr": 5e-4,
                    "weight_decay": 0.2,
                    "temperature": 0.07,
                    "class_targets": False,
                    "steps": 3000,
                },
            },
            default_steps=600,
            widget_factory=_clip_widget,
            sample_kind="images",
        ),
    ]


def sample_kinds() -> list[api.SampleKindSpec]:
    return []


def sample_views() -> list[api.SampleViewSpec]:
    return []


def exporters() -> list[api.ExporterSpec]:
    return [
        api.ExporterSpec(
            id="clip-safetensors",
            name="CLIP model (safetensors; text-to-image's clip setting reads it)",
            suffix=".safetensors",
            export=_export_clip,
            applies_to=("clip",),
        )
    ]
