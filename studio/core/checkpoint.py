"""Checkpoints: weights in safetensors, the rest as tensors + JSON; nothing is unpickled.

A checkpoint is a directory ``checkpoints/step_NNNNNNN/`` holding

- ``model.safetensors``: every module's ``state_dict`` under ``<module>.<key>``;
- ``state.safetensors`` + ``state.json``: optimizer, scheduler, scaler, RNG and loop
  state, as a JSON tree whose tensors are references into the safetensors file.

It is written into a hidden temporary directory, every file fsynced, then renamed
into place in one step, so an interrupted write leaves the previous checkpoint whole.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.core.atomic import fsync_dir

if TYPE_CHECKING:  # pragma: no cover
    import torch

# torch and safetensors are imported inside the functions that need them, so that
# listing runs and checkpoints (the run list, the CLI's ``runs``) stays cheap.

FORMAT = 1
_PREFIX = "step_"


class CheckpointError(RuntimeError):
    """A checkpoint is missing, incomplete or does not fit the model."""


def encode_tree(obj: Any, tensors: dict[str, torch.Tensor], path: str = "t") -> Any:
    """Split a nested structure into a JSON tree and a flat dict of tensors."""
    import torch

    if isinstance(obj, torch.Tensor):
        key = f"{path}"
        tensors[key] = obj.detach().to("cpu").contiguous().clone()
        return {"__tensor__": key}
    if isinstance(obj, dict):
        if all(isinstance(k, str) for k in obj):
            return {k: encode_tree(v, tensors, f"{path}.{k}") for k, v in obj.items()}
        return {"__items__": [[k, encode_tree(v, tensors, f"{path}.{k}")] for k, v in obj.items()]}
    if isinstance(obj, tuple):
        return {"__tuple__": [encode_tree(v, tensors, f"{path}.{i}") for i, v in enumerate(obj)]}
    if isinstance(obj, list):
        return [encode_tree(v, tensors, f"{path}.{i}") for i, v in enumerate(obj)]
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if hasattr(obj, "dtype") and getattr(obj, "ndim", 0) > 0:  # NumPy array
        return {"__ndarray__": obj.tolist(), "dtype": str(obj.dtype)}
    if hasattr(obj, "item") and hasattr(obj, "dtype"):  # NumPy scalar
        return obj.item()
    raise TypeError(f"cannot store {type(obj).__name__} at {path} in a checkpoint")


def decode_tree(obj: Any, tensors: dict[str, torch.Tensor]) -> Any:
    """Inverse of ``encode_tree``."""
    if isinstance(obj, dict):
        if "__tensor__" in obj:
            return tensors[obj["__tensor__"]]
        if "__items__" in obj:
            return {k: decode_tree(v, tensors) for k, v in obj["__items__"]}
        if "__tuple__" in obj:
            return tuple(decode_tree(v, tensors) for v in obj["__tuple__"])
        if "__ndarray__" in obj:
            import numpy as np

            return np.asarray(obj["__ndarray__"], dtype=obj["dtype"])
        return {k: decode_tree(v, tensors) for k, v in obj.items()}
    if isinstance(obj, list):
        return [decode_tree(v, tensors) for v in obj]
    return obj


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def step_dir_name(step: int) -> str:
    return f"{_PREFIX}{step:07d}"


def save_checkpoint(
    root: Path, step: int, weights: dict[str, torch.Tensor], state: dict[str, Any]
) -> Path:
    """Write a checkpoint for ``step`` under ``root`` atomically; returns its directory."""
    from safetensors.torch import save_file

    root.mkdir(parents=True, exist_ok=True)
    final = root / step_dir_name(step)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{final.name}-", dir=root))
    try:
        weights = {k: v.detach().to("cpu").contiguous().clone() for k, v in weights.items()}
        save_file(weights, str(tmp / "model.safetensors"), metadata={"format": str(FORMAT)})
        tensors: dict[str, torch.Tensor] = {}
        tree = encode_tree(state, tensors)
        save_file(tensors, str(tmp / "state.safetensors"))
        (tmp / "state.json").write_text(json.dumps({"format": FORMAT, "state": tree}))
        for name in ("model.safetensors", "state.safetensors", "state.json"):
            _fsync_file(tmp / name)
        fsync_dir(tmp)
        if final.exists():  # the same step again (e.g. stopped right on a cadence step)
            shutil.rmtree(final)
        os.rename(tmp, final)
        fsync_dir(root)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def list_checkpoints(root: Path) -> list[tuple[int, Path]]:
    """Complete checkpoints under ``root`` as (step, dir), oldest first."""
    out = []
    if not root.is_dir():
        return out
    for entry in root.iterdir():
        if not entry.name.startswith(_PREFIX) or not entry.is_dir():
            continue
        try:
            step = int(entry.name[len(_PREFIX) :])
        except ValueError:
            continue
        if all((entry / n).is_file() for n in ("model.safetensors", "state.json")):
            out.append((step, entry))
    return sorted(out)


def latest_checkpoint(root: Path) -> Path | None:
    found = list_checkpoints(root)
    return found[-1][1] if found else None


def load_checkpoint(directory: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Read a checkpoint's weights and state (tensors on the CPU)."""
    from safetensors.torch import load_file

    try:
        weights = load_file(str(directory / "model.safetensors"), device="cpu")
        state_tensors = {}
        if (directory / "state.safetensors").exists():
            state_tensors = load_file(str(directory / "state.safetensors"), device="cpu")
        doc = json.loads((directory / "state.json").read_text())
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"checkpoint {directory} is unreadable: {exc}") from exc
    if doc.get("format") != FORMAT:
        raise CheckpointError(f"checkpoint {directory} has format {doc.get('format')}")
    return weights, decode_tree(doc["state"], state_tensors)


def prune_checkpoints(root: Path, keep: int) -> None:
    """Delete all but the newest ``keep`` checkpoints and any abandoned temp directories."""
    for entry in root.glob(".tmp-*"):
        shutil.rmtree(entry, ignore_errors=True)
    found = list_checkpoints(root)
    for _, path in found[: max(0, len(found) - keep)]:
        shutil.rmtree(path, ignore_errors=True)
