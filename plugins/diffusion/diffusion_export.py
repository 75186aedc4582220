"""Exports: the U-Net (EMA weights) as ONNX, a trajectory as an animated GIF."""

from __future__ import annotations

import copy
import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from studio import api


class _Denoiser(nn.Module):
    """(x_t, t) -> the network's prediction, with t as float32 (B,) for ONNX users."""

    def __init__(self, unet: nn.Module) -> None:
        super().__init__()
        self.unet = unet

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return self.unet(x, t)


def description(trainer: Any) -> dict[str, str]:
    """What a user of the exported file needs to run the sampler around it."""
    c = trainer.config
    return {
        "format": "genai-studio diffusion U-Net",
        "image_shape": json.dumps(list(trainer.image_shape)),
        "prediction": c.prediction,
        "schedule": c.schedule,
        "zero_terminal_snr": json.dumps(bool(c.zero_terminal_snr)),
        "timesteps": str(c.timesteps),
        "alphas_cumprod": json.dumps([round(float(a), 9) for a in trainer.schedule.alphas_cumprod]),
        "range": "[-1, 1]",
    }


def export_onnx(trainer: Any, path: Path, opset: int = 17) -> None:
    """The EMA U-Net from a CPU copy (a run on the GPU is not disturbed), batch dynamic;
    the schedule in the metadata."""
    if getattr(trainer, "context_dim", None) is not None:
        raise api.ConfigError("this exporter writes the unconditional U-Net")
    model = _Denoiser(copy.deepcopy(trainer.ema.shadow).to("cpu").float().eval())
    x = torch.zeros(2, *trainer.image_shape)
    t = torch.full((2,), 500.0)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
        torch.onnx.export(
            model,
            (x, t),
            str(path),
            input_names=["x", "t"],
            output_names=["prediction"],
            dynamic_axes={"x": {0: "batch"}, "t": {0: "batch"}, "prediction": {0: "batch"}},
            opset_version=opset,
            dynamo=False,  # no onnxscript dependency
        )
    import onnx

    proto = onnx.load(str(path))
    for key, value in description(trainer).items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(proto, str(path))


def export_gif(sample: Any, path: Path, scale: int = 4, ms: int = 250) -> None:
    """A trajectory as an animated GIF: one frame per step shown, the rows side by
    side, the last frame held longer."""
    from PIL import Image

    frames_n = sample.frames
    frames = []
    for i in range(frames_n):
        row = sample.frame(i)  # (rows, H, W, C)
        strip = api.Images(images=row, columns=len(row)).grid()
        img = Image.fromarray(strip[..., 0] if strip.shape[-1] == 1 else strip)
        frames.append(img.resize((img.width * scale, img.height * scale), Image.NEAREST))
    durations = [ms] * (frames_n - 1) + [ms * 6]
    frames[0].save(
        str(path),
        save_all=True,
        append_images=frames[1:],
        duration=durations,
        loop=0,
        optimize=False,
    )


def gif_frames(path: Path) -> list[np.ndarray]:
    """The frames of a GIF as arrays (for tests and the widget's check)."""
    from PIL import Image, ImageSequence

    with Image.open(path) as img:
        return [np.asarray(f.convert("L")) for f in ImageSequence.Iterator(img)]
