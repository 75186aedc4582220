"""ONNX export of the trained translator as two graphs, for use outside the app:

- the encoder: ``src`` (batch, S) int64 ids -> ``memory`` (batch, S, d_model);
- the decoder: ``tgt`` (batch, T) ids so far (starting with <s> = 1), ``memory``,
  ``src`` -> ``logits`` (batch, T, target vocabulary) (no cache: run it on the whole
  prefix at each step, or decode with the app).

Padding is id 0; a source ends with </s> = 2. Each file carries its side's tokenizer
(Hugging Face ``tokenizers`` JSON) in the ONNX metadata (``tokenizer``), so the two
files are all a user needs. Exported from a CPU copy in eval mode.
"""

from __future__ import annotations

import copy
import warnings
from pathlib import Path
from typing import Any

import torch
from torch import nn


class _Encoder(nn.Module):
    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, src: torch.Tensor) -> torch.Tensor:
        return self.model.encode(src)


class _Decoder(nn.Module):
    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, tgt: torch.Tensor, memory: torch.Tensor, src: torch.Tensor) -> torch.Tensor:
        return self.model.decode(tgt, memory, self.model.source_mask(src))


def _export(module: nn.Module, args: tuple, path: Path, inputs, outputs, axes, meta) -> None:
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
        torch.onnx.export(
            module,
            args,
            str(path),
            input_names=inputs,
            output_names=outputs,
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,  # no onnxscript dependency
        )
    import onnx

    proto = onnx.load(str(path))
    for key, value in meta.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(proto, str(path))


def _model(trainer: Any) -> nn.Module:
    return copy.deepcopy(trainer.model).to("cpu").eval()


def export_encoder(trainer: Any, path: Path) -> None:
    model = _model(trainer)
    src = torch.tensor([[5, 6, 7, 2], [5, 6, 2, 0]])
    _export(
        _Encoder(model),
        (src,),
        Path(path),
        ["src"],
        ["memory"],
        {"src": {0: "batch", 1: "source"}, "memory": {0: "batch", 1: "source"}},
        {"format": "genai-studio translator encoder", "tokenizer": trainer.src_tok.state()},
    )


def export_decoder(trainer: Any, path: Path) -> None:
    model = _model(trainer)
    src = torch.tensor([[5, 6, 7, 2], [5, 6, 2, 0]])
    tgt = torch.tensor([[1, 5, 6], [1, 7, 0]])
    with torch.no_grad():
        memory = model.encode(src)
    _export(
        _Decoder(model),
        (tgt, memory, src),
        Path(path),
        ["tgt", "memory", "src"],
        ["logits"],
        {
            "tgt": {0: "batch", 1: "target"},
            "memory": {0: "batch", 1: "source"},
            "src": {0: "batch", 1: "source"},
            "logits": {0: "batch", 1: "target"},
        },
        {"format": "genai-studio translator decoder", "tokenizer": trainer.tgt_tok.state()},
    )
