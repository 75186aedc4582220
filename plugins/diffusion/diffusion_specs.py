"""Contributions of the unconditional part of chapter 15: the ``diffusion`` model (a
U-Net denoiser with DDPM/DDIM/DPM-Solver++ samplers), the trajectory sample kind and
its view, and the U-Net's ONNX export. Cheap to import: no torch, no Qt."""

from __future__ import annotations

from studio import api

from .diffusion_config import DiffusionConfig, DiffusionOptions
from .diffusion_kinds import TRAJECTORY, Trajectory

MODEL_ID = "diffusion"

# The book's listing (chapter 15): the U-Net's widths, attention at the deepest level
# and the middle, AdamW 1e-4 (0.95, 0.999) with weight decay 1e-5, a cosine learning
# rate after 300 warm-up steps, 64x64 images, L1 loss, T = 1,000 cosine schedule (with
# its beta clipping fixed, docs/diffusion.md). tests/plugins/diffusion checks these.
BOOK = {
    "batch_size": 16,
    "lr": 1e-4,
    "beta1": 0.95,
    "beta2": 0.999,
    "weight_decay": 1e-5,
    "warmup_steps": 300,
    "decay_steps": 20000,
    "image_size": 64,
    "channels": 3,
    "unet_channels": "128,256,512,1024",
    "attention_levels": "3",
    "layers": 2,
    "timesteps": 1000,
    "schedule": "cosine",
    "prediction": "eps",
    "loss": "l1",
    "ema_decay": 0.999,
    "steps": 20000,
}

# Two cores, minutes: the digits at their own 8x8 (the embedded ones are 8x8 upscaled,
# nothing is lost), a small U-Net, a higher learning rate and a faster EMA.
# docs/diffusion.md has the figures.
QUICK = {
    "batch_size": 64,
    "lr": 2e-3,
    "warmup_steps": 50,
    "decay_steps": 2500,
    "image_size": 8,
    "channels": 1,
    "unet_channels": "32,64",
    "attention_levels": "1",
    "layers": 1,
    "schedule": "cosine",
    "prediction": "eps",
    "loss": "mse",
    "ema_decay": 0.99,
    "preview_images": 64,
    "preview_steps": 20,
    "preview_sampler": "dpm++2m",
    "steps": 2500,
    "sample_every": 250,
}


def _trainer(config, dataset, device):
    from .diffusion_trainer import DiffusionTrainer

    return DiffusionTrainer(config, dataset, device)


def _widget(context):
    from .diffusion_widget import DiffusionWidget

    return DiffusionWidget(context)


def _trajectory_view():
    from .diffusion_widget import TrajectoryView

    return TrajectoryView()


def _export_onnx(source, path):
    from .diffusion_export import export_onnx

    export_onnx(source, path)


def _export_gif(source, path):
    from .diffusion_export import export_gif

    export_gif(source, path)


def models() -> list[api.ModelSpec]:
    return [
        api.ModelSpec(
            id=MODEL_ID,
            name="Diffusion (U-Net, DDPM/DDIM)",
            description=(
                "Chapter 15: a U-Net learns to remove noise from images at 1,000 noise "
                "levels; sampling starts from pure noise and denoises step by step "
                "(DDPM, DDIM or DPM-Solver++). Watch the trajectory, or noise an image "
                "of your own and let the model redraw it."
            ),
            dataset_kinds=("images", "labelled-images"),
            config_class=DiffusionConfig,
            sample_options=DiffusionOptions,
            trainer_factory=_trainer,
            default_dataset="digits",
            presets={"book": dict(BOOK), "quick CPU": dict(QUICK)},
            default_steps=20000,
            widget_factory=_widget,
            sample_kind=TRAJECTORY,
        )
    ]


def sample_kinds() -> list[api.SampleKindSpec]:
    return [
        api.SampleKindSpec(
            TRAJECTORY, Trajectory, "Denoising trajectory: x_t at a few steps of sampling"
        )
    ]


def sample_views() -> list[api.SampleViewSpec]:
    return [api.SampleViewSpec(TRAJECTORY, _trajectory_view)]


def exporters() -> list[api.ExporterSpec]:
    return [
        api.ExporterSpec(
            id="diffusion-unet-onnx",
            name="U-Net (EMA weights) as ONNX",
            suffix=".onnx",
            export=_export_onnx,
            applies_to=(MODEL_ID,),
        ),
        api.ExporterSpec(
            id="diffusion-trajectory-gif",
            name="Trajectory as an animated GIF",
            suffix=".gif",
            export=_export_gif,
            applies_to=(TRAJECTORY,),
        ),
    ]
