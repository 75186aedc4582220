"""Hyper-parameters and sampling options of the unconditional diffusion model
(dataclasses: the UI form, the CLI flags and the Explore controls are generated from
them). Torch-free: the hook module names these classes in its model spec.

The defaults are the book's listing (chapter 15); the presets in ``diffusion_specs``
change only what a quick CPU run needs.
"""

from __future__ import annotations

from dataclasses import dataclass

from studio.api import param

SCHEDULES = ("linear", "cosine")
PREDICTIONS = ("eps", "x0", "v")
SAMPLERS = ("ddpm", "ddim", "dpm++2m")
MAX_SEED = 2**31 - 1


def int_list(text: str, name: str) -> tuple[int, ...]:
    """``"32,64,128"`` -> (32, 64, 128); ValueError naming the field otherwise."""
    try:
        values = tuple(int(v) for v in str(text).replace(" ", "").split(",") if v != "")
    except ValueError:
        raise ValueError(f"{name}: expected numbers separated by commas, not {text!r}") from None
    if not values:
        raise ValueError(f"{name}: give at least one number")
    return values


@dataclass
class DiffusionConfig:
    """A DDPM-style model (the book's chapter 15): U-Net, noise schedule, loss, EMA."""

    batch_size: int = param(64, min=1, max=4096, help="Images per training step")
    lr: float = param(1e-4, min=1e-7, max=1.0, help="AdamW learning rate (peak)")
    beta1: float = param(0.95, min=0.0, max=0.9999, help="AdamW beta1")
    beta2: float = param(0.999, min=0.0, max=0.99999, help="AdamW beta2")
    weight_decay: float = param(1e-5, min=0.0, max=1.0, help="AdamW weight decay")
    warmup_steps: int = param(300, min=0, max=1_000_000, help="Linear learning-rate warm-up")
    decay_steps: int = param(
        10000,
        min=1,
        max=10_000_000,
        help="Cosine decay of the learning rate to 0 over this many steps (the run's length)",
    )
    image_size: int = param(64, choices=(8, 16, 32, 64, 128), help="Images are resized to this")
    channels: int = param(1, choices=(1, 3), help="1: greyscale, 3: colour")
    unet_channels: str = param(
        "128,256,512,1024",
        help="Feature maps at each resolution level of the U-Net (halved between levels)",
    )
    attention_levels: str = param(
        "3", help="Levels (0 = full resolution) with self-attention; the middle always has it"
    )
    layers: int = param(2, min=1, max=4, help="Residual blocks per level")
    heads: int = param(4, min=1, max=32, help="Attention heads")
    dropout: float = param(0.0, min=0.0, max=0.9, help="Dropout inside residual blocks")
    timesteps: int = param(1000, min=10, max=4000, help="Noise levels T")
    schedule: str = param(
        "cosine", choices=SCHEDULES, help="linear: DDPM's 1e-4..0.02; cosine: Nichol & Dhariwal"
    )
    zero_terminal_snr: bool = param(
        False, help="Rescale the schedule so the last level holds no signal at all (Lin et al.)"
    )
    prediction: str = param(
        "eps", choices=PREDICTIONS, help="What the network predicts: the noise, x0 or v"
    )
    loss: str = param("l1", choices=("l1", "mse"), help="l1 (the book) or mse (DDPM)")
    ema_decay: float = param(
        0.999, min=0.0, max=0.99999, help="EMA of the weights used for sampling (0: off)"
    )
    preview_images: int = param(64, min=1, max=1024, help="Images drawn in each preview")
    preview_sampler: str = param("ddim", choices=SAMPLERS, help="Sampler of the previews")
    preview_steps: int = param(50, min=1, max=4000, help="Sampling steps of the previews")


@dataclass
class DiffusionOptions:
    """How to sample: the sampler and its steps, what to return, image-to-image."""

    sampler: str = param(
        "ddim",
        choices=SAMPLERS,
        help="ddpm: ancestral, T steps; ddim: any steps (eta); dpm++2m: fast ODE solver",
    )
    steps: int = param(50, min=1, max=4000, help="Denoising steps (ddpm: use T)")
    eta: float = param(
        0.0,
        min=0.0,
        max=1.0,
        help="DDIM: 0 deterministic, 1 as noisy as DDPM",
        active_when={"sampler": "ddim"},
    )
    images: int = param(16, min=1, max=1024, help="How many images")
    clip: bool = param(True, help="Clip each step's guess of the clean image to [-1, 1]")
    output: str = param(
        "images",
        choices=("images", "trajectory"),
        help="images: the final images; trajectory: x_t at evenly chosen steps, a row each",
    )
    frames: int = param(
        8,
        min=2,
        max=50,
        help="Trajectory: columns (steps shown)",
        active_when={"output": "trajectory"},
    )
    stream_every: int = param(
        5, min=1, max=4000, help="Show the partial images every this many steps"
    )
    init_image: str = param(
        "", help="Image-to-image: an image file noised to `strength`, then denoised"
    )
    strength: float = param(
        0.6, min=0.01, max=1.0, help="Image-to-image: how much noise (1: none of the image)"
    )
