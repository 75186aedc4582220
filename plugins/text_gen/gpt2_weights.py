"""GPT-2 weights from a folder in the Hugging Face layout, into our ``GPT``.

Nothing is downloaded. The folder the user points to must hold

- ``config.json`` (n_layer, n_head, n_embd, n_positions, vocab_size...),
- ``model.safetensors`` (or sharded ``model-*.safetensors`` with
  ``model.safetensors.index.json``),
- ``vocab.json`` and ``merges.txt`` (GPT-2's byte-level BPE tokenizer),

as ``save_pretrained`` writes them and as the GPT-2 model pages (small, medium, large,
XL) hold them. Our parameter names are GPT-2's; GPT-2 stores its ``Conv1D`` weights
(c_attn, c_proj, c_fc) as (in, out), so those are transposed into ``nn.Linear``'s
(out, in). The LM head is tied to the token embedding in both.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from studio import api
from studio.api import GPT, GPTShape

WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json")
TOKENIZER_FILES = ("vocab.json", "merges.txt")
CONV1D = ("attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight")
# Buffers some versions of transformers save: causal masks we do not need.
IGNORED = (".attn.bias", ".attn.masked_bias")


def check_folder(folder: str | Path, tokenizer: bool = True) -> Path:
    """The folder as a Path, or a ``DatasetError`` naming every missing file."""
    path = Path(folder).expanduser()
    if not path.is_dir():
        raise api.DatasetError(
            f"GPT-2 weights: {path} is not a folder. Point to a folder holding config.json, "
            "model.safetensors, vocab.json and merges.txt (the Hugging Face layout); "
            "nothing is downloaded."
        )
    missing = [] if (path / "config.json").is_file() else ["config.json"]
    if not any((path / f).is_file() for f in WEIGHT_FILES):
        missing.append("model.safetensors")
    if tokenizer:
        missing += [f for f in TOKENIZER_FILES if not (path / f).is_file()]
    if missing:
        raise api.DatasetError(
            f"GPT-2 weights: {path} lacks {', '.join(missing)}. The folder needs config.json, "
            "model.safetensors, vocab.json and merges.txt (the Hugging Face layout, e.g. "
            "from save_pretrained or a GPT-2 model page); nothing is downloaded."
        )
    return path


def read_shape(folder: str | Path, dropout: float = 0.0) -> GPTShape:
    """Our architecture description from GPT-2's ``config.json``."""
    path = Path(folder) / "config.json"
    try:
        conf: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise api.DatasetError(f"GPT-2 weights: cannot read {path} ({exc})") from None
    if conf.get("model_type", "gpt2") != "gpt2":
        raise api.DatasetError(f"{path}: model_type {conf.get('model_type')!r} is not gpt2")
    variants = ("scale_attn_by_inverse_layer_idx", "reorder_and_upcast_attn", "add_cross_attention")
    unsupported = [k for k in variants if conf.get(k)]
    if conf.get("scale_attn_weights", True) is False:
        unsupported.append("scale_attn_weights=false")
    n_embd = int(conf.get("n_embd", 768))
    if conf.get("n_inner") not in (None, 4 * n_embd):
        unsupported.append("n_inner")
    act = conf.get("activation_function", "gelu_new")
    if act not in ("gelu_new", "gelu_pytorch_tanh", "gelu"):
        unsupported.append(f"activation_function={act}")
    if unsupported:
        raise api.DatasetError(f"{path}: unsupported GPT-2 variant ({', '.join(unsupported)})")
    return GPTShape(
        vocab_size=int(conf.get("vocab_size", 50257)),
        block_size=int(conf.get("n_positions", conf.get("n_ctx", 1024))),
        n_layer=int(conf.get("n_layer", 12)),
        n_head=int(conf.get("n_head", 12)),
        n_embd=n_embd,
        dropout=dropout,
        bias=True,
        gelu_tanh=act != "gelu",
        layer_norm_eps=float(conf.get("layer_norm_epsilon", 1e-5)),
    )


def read_tensors(folder: str | Path) -> dict[str, torch.Tensor]:
    """Every tensor of the checkpoint, single file or sharded."""
    from safetensors.torch import load_file

    path = Path(folder)
    try:
        if (path / "model.safetensors").is_file():
            return load_file(str(path / "model.safetensors"), device="cpu")
        index = json.loads((path / "model.safetensors.index.json").read_text(encoding="utf-8"))
        out: dict[str, torch.Tensor] = {}
        for shard in sorted(set(index["weight_map"].values())):
            out.update(load_file(str(path / shard), device="cpu"))
        return out
    except (OSError, ValueError, KeyError) as exc:
        raise api.DatasetError(f"GPT-2 weights: cannot read weights in {path} ({exc})") from None


def convert(hf: dict[str, torch.Tensor], model: GPT) -> dict[str, torch.Tensor]:
    """GPT-2's tensors renamed and transposed to ``model``'s state dict (checked)."""
    ours = model.state_dict()
    out: dict[str, torch.Tensor] = {}
    for key, value in hf.items():
        if key.endswith(IGNORED) or key == "lm_head.weight":
            continue  # masks; the head is tied to wte
        name = key if key.startswith("transformer.") else f"transformer.{key}"
        if name.endswith(CONV1D):
            value = value.t()
        out[name] = value
    out["lm_head.weight"] = out.get("transformer.wte.weight")
    missing = sorted(set(ours) - {k for k, v in out.items() if v is not None})
    unexpected = sorted(set(out) - set(ours))
    if missing or unexpected:
        raise api.DatasetError(
            "GPT-2 weights do not fit the model: "
            + (f"missing {missing[:5]}" if missing else "")
            + (f" unexpected {unexpected[:5]}" if unexpected else "")
        )
    for name, value in out.items():
        if tuple(value.shape) != tuple(ours[name].shape):
            raise api.DatasetError(
                f"GPT-2 weights: {name} has shape {tuple(value.shape)}, "
                f"the model expects {tuple(ours[name].shape)}"
            )
    return {k: v.to(ours[k].dtype) for k, v in out.items()}


def load_gpt2(folder: str | Path, dropout: float = 0.0, tokenizer: bool = True) -> GPT:
    """A ``GPT`` holding the checkpoint's weights (on the CPU)."""
    path = check_folder(folder, tokenizer=tokenizer)
    model = GPT(read_shape(path, dropout))
    model.load_state_dict(convert(read_tensors(path), model), strict=True)
    return model
