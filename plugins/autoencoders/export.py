"""Export of a trained decoder as ONNX: codes ``z`` (batch, latent_dim) in, images
``images`` (batch, C, H, W) in [0, 1] out, with a dynamic batch dimension. For the
VAE, feed it codes drawn from N(0, 1) to make new images."""

from __future__ import annotations

import copy
import json
import warnings
from pathlib import Path
from typing import Any

import torch
from torch import nn


class Decoder(nn.Module):
    """The model's decoder as one module (the autoencoders' ``decoder`` is a method)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.model.decoder(z)


def description(trainer: Any) -> dict[str, str]:
    """What a user of the exported file needs to feed the decoder."""
    c, h, w = trainer.image_shape
    return {
        "format": "genai-studio autoencoder decoder",
        "network": type(trainer.model).__name__,
        "latent_dim": str(trainer.model.latent_dim),
        "image_shape": json.dumps([c, h, w]),
        "output_range": "[0, 1]",
        "prior": "N(0, 1)" if type(trainer.model).__name__ == "VAE" else "none (an autoencoder)",
    }


def export_onnx(trainer: Any, path: Path, opset: int = 17) -> None:
    """The decoder in eval mode (batch norm from its running statistics), exported from
    a CPU copy so that a run on the GPU is not disturbed."""
    model = Decoder(copy.deepcopy(trainer.model).to("cpu").eval())
    z = torch.zeros(2, trainer.model.latent_dim)
    with torch.no_grad(), warnings.catch_warnings():
        # The TorchScript exporter is deprecated in favour of the dynamo one, which
        # needs onnxscript (not a dependency); it still exports these plain networks.
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            model,
            (z,),
            str(path),
            input_names=["z"],
            output_names=["images"],
            dynamic_axes={"z": {0: "batch"}, "images": {0: "batch"}},
            opset_version=opset,
            dynamo=False,
        )
    import onnx

    proto = onnx.load(str(path))
    for key, value in description(trainer).items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(proto, str(path))
