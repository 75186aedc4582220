"""Export of a trained generator: its weights as safetensors, or the network as ONNX
(noise, and label vectors for the conditional GAN, in; images in [-1, 1] out).

Both are reached through the plugin's ``studio_exporters`` hook; ``source`` is the
trainer holding the trained weights.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import torch
from torch import nn


def _description(trainer: Any) -> dict[str, str]:
    """What a user of the exported file needs to feed the generator."""
    c, h, w = trainer.image_shape
    return {
        "format": "genai-studio image GAN generator",
        "generator": type(trainer.generator).__name__,
        "latent_dim": str(trainer.latent_dim),
        "image_shape": json.dumps([c, h, w]),
        "output_range": "[-1, 1]",
        "classes": json.dumps(trainer.classes if trainer.conditional else []),
        "inputs": "z, labels" if trainer.conditional else "z",
    }


def export_safetensors(trainer: Any, path: Path) -> None:
    """The generator's weights (CPU, contiguous) with a description in the metadata."""
    from safetensors.torch import save_file

    tensors = {
        k: v.detach().to("cpu").contiguous() for k, v in trainer.generator.state_dict().items()
    }
    save_file(tensors, str(path), metadata=_description(trainer))


class _Conditional(nn.Module):
    """(z, labels) -> images, as one module for the ONNX exporter."""

    def __init__(self, generator: nn.Module) -> None:
        super().__init__()
        self.generator = generator

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.generator(z, labels)


def export_onnx(trainer: Any, path: Path, opset: int = 17) -> None:
    """The generator in eval mode (batch norm from its running statistics) as ONNX,
    with a dynamic batch dimension. Exported from a CPU copy: a run on the GPU is not
    disturbed, and the file does not depend on where the model trained."""
    import copy

    generator = copy.deepcopy(trainer.generator).to("cpu").eval()
    z = torch.zeros(2, trainer.latent_dim)
    names = ["z"]
    if trainer.conditional:
        model: nn.Module = _Conditional(generator)
        args: tuple[torch.Tensor, ...] = (z, torch.zeros(2, len(trainer.classes)))
        names.append("labels")
    else:
        model, args = generator, (z,)
    axes = {name: {0: "batch"} for name in [*names, "images"]}
    with torch.no_grad(), warnings.catch_warnings():
        # The TorchScript exporter is deprecated in favour of the dynamo one, which
        # needs onnxscript (not a dependency); it still exports these plain networks.
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            model,
            args,
            str(path),
            input_names=names,
            output_names=["images"],
            dynamic_axes=axes,
            opset_version=opset,
            dynamo=False,  # the TorchScript exporter: no onnxscript dependency
        )
    import onnx

    model_proto = onnx.load(str(path))
    for key, value in _description(trainer).items():
        entry = model_proto.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(model_proto, str(path))
