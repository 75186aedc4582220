"""Export of a trained CycleGAN's generators as ONNX: one file per direction, images
(N, C, H, W) in [-1, 1] in, the translated images out (any batch, any side that is a
multiple of 4). Reached through the plugin's ``studio_exporters`` hook; ``trainer`` is
the trainer holding the trained weights."""

from __future__ import annotations

import copy
import json
import warnings
from pathlib import Path
from typing import Any

import torch


def describe(trainer: Any, direction: str) -> dict[str, str]:
    """What a user of the file needs to feed the generator."""
    c = trainer.config
    a, b = trainer.names
    return {
        "format": "genai-studio CycleGAN generator",
        "direction": direction,
        "source_domain": a if direction == "A->B" else b,
        "target_domain": b if direction == "A->B" else a,
        "image_shape": json.dumps([c.channels, c.image_size, c.image_size]),
        "range": "[-1, 1]",
    }


def export_onnx(trainer: Any, path: Path, direction: str, opset: int = 17) -> None:
    """The generator of ``direction`` ("A->B" or "B->A"), from a CPU copy (a run on the
    GPU is not disturbed), with dynamic batch, height and width."""
    import onnx

    net = trainer.g_ab if direction == "A->B" else trainer.g_ba
    net = copy.deepcopy(net).to("cpu").float().eval()
    c = trainer.config
    example = torch.zeros(1, c.channels, c.image_size, c.image_size)
    axes = {name: {0: "batch", 2: "height", 3: "width"} for name in ("images", "translated")}
    with torch.no_grad(), warnings.catch_warnings():
        # The TorchScript exporter is deprecated in favour of the dynamo one, which
        # needs onnxscript (not a dependency); it exports this plain network. Its
        # tracer also warns that the size check and instance norm's train flag are
        # traced as constants, which is right here (instance norm uses each image's
        # own statistics either way; the tests run the file at another size).
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        torch.onnx.export(
            net,
            (example,),
            str(path),
            input_names=["images"],
            output_names=["translated"],
            dynamic_axes=axes,
            opset_version=opset,
            dynamo=False,
        )
    model = onnx.load(str(path))
    for key, value in describe(trainer, direction).items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(model, str(path))
