"""The CLIP model's config and sampling options (torch-free: the hook module names
them)."""

from __future__ import annotations

from dataclasses import dataclass

from studio.api import param


@dataclass
class CLIPConfig:
    """An image encoder and a text encoder trained to agree on which caption goes with
    which image (contrastive, symmetric cross-entropy, learned temperature)."""

    batch_size: int = param(128, min=2, max=32768, help="Image-caption pairs per step")
    lr: float = param(1e-3, min=1e-6, max=1.0, help="AdamW learning rate")
    weight_decay: float = param(0.05, min=0.0, max=1.0, help="AdamW weight decay")
    warmup: int = param(50, min=0, max=100_000, help="Steps of linear learning-rate warm-up")
    image_size: int = param(32, min=8, max=256, help="Images are resized to this (multiple of 8)")
    channels: int = param(1, choices=(1, 3), help="Image channels: 1 greyscale, 3 colour")
    image_width: int = param(
        32, min=8, max=512, help="Feature maps of the image encoder's first stage"
    )
    text_width: int = param(64, min=8, max=1024, help="Width of the caption encoder")
    text_layers: int = param(2, min=1, max=12, help="Transformer blocks of the caption encoder")
    heads: int = param(4, min=1, max=16, help="Attention heads of the caption encoder")
    max_tokens: int = param(12, min=2, max=128, help="Caption length in words (longer: cut)")
    embed_dim: int = param(64, min=8, max=1024, help="Size of the shared image-text space")
    temperature: float = param(
        0.07, min=0.001, max=1.0, help="Initial softmax temperature (learned from there)"
    )
    class_targets: bool = param(
        True,
        help=(
            "Pairs with the same class or caption count as matches (else only the "
            "diagonal, as CLIP)"
        ),
    )
    val_fraction: float = param(
        0.1, min=0.0, max=0.5, help="Held-out share for the retrieval scores"
    )


@dataclass
class CLIPOptions:
    """Search the data by caption, or caption a dropped image."""

    caption: str = param(
        "", help="Find the dataset images closest to this caption (empty: every class)"
    )
    image: str = param("", help="An image file: rank the captions that describe it best")
    candidates: str = param(
        "", help="Captions to rank for the image, separated by ';' (empty: the data's)"
    )
    top: int = param(8, min=1, max=100, help="How many images or captions to show")
