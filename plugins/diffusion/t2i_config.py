"""The text-to-image model's config and sampling options (dataclasses: the form, the
CLI flags, ``sample -o`` and the Explore controls are generated from them).

Torch-free: the hook module names these classes in the model spec.
"""

from __future__ import annotations

from dataclasses import dataclass

from studio.api import param

SAMPLERS = ("ddpm", "ddim", "dpm++2m")  # the names samplers.SAMPLERS holds


@dataclass
class T2IConfig:
    """A caption-conditioned U-Net (cross-attention to a text Transformer trained with
    it), classifier-free guidance."""

    batch_size: int = param(64, min=1, max=4096, help="Images (with their captions) per step")
    lr: float = param(5e-4, min=1e-6, max=1.0, help="AdamW learning rate")
    beta1: float = param(0.9, min=0.0, max=0.9999, help="AdamW beta1")
    beta2: float = param(0.999, min=0.0, max=0.99999, help="AdamW beta2")
    weight_decay: float = param(0.0, min=0.0, max=1.0, help="AdamW weight decay")
    decay_steps: int = param(
        0,
        min=0,
        max=10_000_000,
        help="After warm-up, cosine decay to 0 over this many steps (0: constant)",
    )
    warmup: int = param(100, min=0, max=100_000, help="Steps of linear learning-rate warm-up")
    image_size: int = param(16, min=8, max=256, help="Images are resized to this (a multiple of 4)")
    channels: int = param(1, choices=(1, 3), help="Image channels: 1 greyscale, 3 colour")
    widths: str = param(
        "32,64,64", help="U-Net feature maps per level, comma-separated (halving the image)"
    )
    attention_from: int = param(
        1, min=0, max=8, help="Levels from this one down have self- and cross-attention"
    )
    layers: int = param(1, min=1, max=4, help="Residual blocks per U-Net level")
    pooled_caption: bool = param(
        True, help="Also add the mean of the caption's tokens to the time embedding (Imagen)"
    )
    heads: int = param(4, min=1, max=16, help="Attention heads (U-Net and text encoder)")
    text_width: int = param(64, min=8, max=1024, help="Width of the caption encoder")
    text_layers: int = param(2, min=1, max=12, help="Transformer blocks of the caption encoder")
    max_tokens: int = param(12, min=2, max=128, help="Caption length in words (longer: cut)")
    caption_dropout: float = param(
        0.1, min=0.0, max=0.9, help="Share of examples trained with no caption (guidance)"
    )
    schedule: str = param("cosine", choices=("linear", "cosine"), help="Noise schedule")
    prediction: str = param("eps", choices=("eps", "x0", "v"), help="What the U-Net predicts")
    loss: str = param("mse", choices=("mse", "l1"), help="Loss on the prediction")
    ema: float = param(
        0.995, min=0.0, max=0.99999, help="EMA decay of the weights sampled from (0: none)"
    )
    clip: str = param(
        "",
        help=(
            "An exported CLIP model (.safetensors, the clip model's export): scores "
            "samples (CLIP score) and ranks them"
        ),
    )
    clip_text_encoder: bool = param(
        False, help="Use that CLIP's text encoder (frozen) instead of training one"
    )
    preview_per_prompt: int = param(
        4, min=1, max=64, help="Preview images per prompt (one prompt per class)"
    )


@dataclass
class T2IOptions:
    """What to draw and how: the caption, the guidance scale and the sampler."""

    prompt: str = param(
        "", help="The caption to draw (empty: every class or caption of the data in turn)"
    )
    guidance: float = param(
        3.0,
        min=0.0,
        max=30.0,
        help="Classifier-free guidance: 0 ignores the prompt, 1 follows it, more: harder",
    )
    steps: int = param(50, min=1, max=1000, help="Denoising steps")
    sampler: str = param("ddim", choices=SAMPLERS, help="ddpm (ancestral), ddim or dpm++2m")
    eta: float = param(
        0.0,
        min=0.0,
        max=1.0,
        help="DDIM: 0 deterministic, 1 as noisy as DDPM",
        active_when={"sampler": "ddim"},
    )
    images: int = param(8, min=1, max=256, help="Images to draw")
    rank: bool = param(False, help="Best CLIP score first (needs the run's clip file)")
    stream_every: int = param(
        5, min=1, max=1000, help="Show the images being denoised every this many steps"
    )
