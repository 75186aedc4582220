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
from collections.abc import Callable
from dataclasses import dataclass, field
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
        if final.exists():  # the same step again, or a damaged one passed over on resume
            _remove(final)
        os.rename(tmp, final)
        fsync_dir(root)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


_FILES = ("model.safetensors", "state.safetensors", "state.json")


def _step_of(entry: Path) -> int | None:
    if not entry.name.startswith(_PREFIX) or not entry.is_dir():
        return None
    try:
        return int(entry.name[len(_PREFIX) :])
    except ValueError:
        return None


def list_checkpoints(root: Path) -> list[tuple[int, Path]]:
    """Checkpoint folders under ``root`` as (step, dir), oldest first.

    A folder is listed when it holds any checkpoint file, so that a damaged one is
    reported (by ``load_checkpoint``) rather than passed over without a word; an
    empty one is not. Use ``load_checkpoint`` (or ``newest_intact``) to read one.
    """
    out = []
    try:
        entries = list(root.iterdir())
    except OSError:
        return out
    for entry in entries:
        step = _step_of(entry)
        if step is not None and any((entry / n).is_file() for n in _FILES):
            out.append((step, entry))
    return sorted(out)


def latest_checkpoint(root: Path) -> Path | None:
    found = list_checkpoints(root)
    return found[-1][1] if found else None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


def load_checkpoint(directory: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Read a checkpoint's weights and state (tensors on the CPU).

    ``CheckpointError`` (one line naming the file and what is wrong) for a missing,
    truncated, zeroed or garbled file; never a bare safetensors or JSON error.
    """
    from safetensors.torch import load_file

    def fail(what: str) -> CheckpointError:
        return CheckpointError(f"checkpoint {directory.name}: {what}")

    for name in ("model.safetensors", "state.json"):
        if not (directory / name).is_file():
            raise fail(f"{name} is missing")
    try:
        weights = load_file(str(directory / "model.safetensors"), device="cpu")
    except Exception as exc:  # SafetensorError, OSError: a truncated or zeroed file
        raise fail(f"model.safetensors is unreadable ({_first_line(exc)})") from None
    try:
        doc = json.loads((directory / "state.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise fail(f"state.json is unreadable ({_first_line(exc)})") from None
    if not isinstance(doc, dict) or "state" not in doc:
        raise fail("state.json is not a checkpoint state")
    if doc.get("format") != FORMAT:
        raise fail(f"state.json has format {doc.get('format')!r}, this release reads {FORMAT}")
    state_tensors: dict[str, torch.Tensor] = {}
    if (directory / "state.safetensors").is_file():
        try:
            state_tensors = load_file(str(directory / "state.safetensors"), device="cpu")
        except Exception as exc:
            raise fail(f"state.safetensors is unreadable ({_first_line(exc)})") from None
    try:
        state = decode_tree(doc["state"], state_tensors)
    except (KeyError, TypeError, ValueError) as exc:
        missing = "" if state_tensors else " (state.safetensors is missing)"
        raise fail(f"state.json refers to tensors it lacks{missing}: {_first_line(exc)}") from None
    return weights, state


def check_weights_fit(
    expected: dict[str, tuple[int, ...]], weights: dict[str, torch.Tensor], where: str
) -> None:
    """``CheckpointError`` unless ``weights`` has exactly the keys and shapes of
    ``expected`` (a model's own): weights of another model or another size."""
    missing = sorted(set(expected) - set(weights))
    unexpected = sorted(set(weights) - set(expected))
    wrong = [
        f"{k} is {list(weights[k].shape)}, the model has {list(expected[k])}"
        for k in sorted(set(expected) & set(weights))
        if tuple(weights[k].shape) != tuple(expected[k])
    ]
    if not (missing or unexpected or wrong):
        return
    parts = []
    if missing:
        parts.append(f"{len(missing)} weights missing (e.g. {missing[0]})")
    if unexpected:
        parts.append(f"{len(unexpected)} unknown (e.g. {unexpected[0]})")
    if wrong:
        parts.append(f"{len(wrong)} of another shape (e.g. {wrong[0]})")
    raise CheckpointError(
        f"checkpoint {where}: the weights are not this model's: {'; '.join(parts)}"
    )


def _remove(path: Path) -> None:
    """Delete a folder so that a kill half-way never leaves a half-deleted checkpoint
    under its own name: rename it aside first (one step), then delete."""
    trash = path.with_name(f".trash-{path.name}")
    try:
        os.rename(path, trash)
    except OSError:
        shutil.rmtree(path, ignore_errors=True)
        return
    shutil.rmtree(trash, ignore_errors=True)


def clean_checkpoints(root: Path) -> list[str]:
    """Remove what interrupted writes and prunings left: temporary and half-deleted
    folders, and step folders with some files missing that are older than the newest
    complete checkpoint (a kill while pruning). Returns the names removed. Only the
    run's writer (the holder of its lock) may call this."""
    removed: list[str] = []
    try:
        entries = list(root.iterdir())
    except OSError:
        return removed
    for entry in entries:
        if entry.name.startswith((".tmp-", ".trash-")) and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry.name)
    steps = [(s, e) for e in entries if e.exists() and (s := _step_of(e)) is not None]
    complete = [s for s, e in steps if all((e / n).is_file() for n in _FILES)]
    newest = max(complete, default=None)
    for step, entry in steps:
        files = [n for n in _FILES if (entry / n).is_file()]
        if not files or (newest is not None and step < newest and len(files) < len(_FILES)):
            _remove(entry)
            removed.append(entry.name)
    if removed:
        fsync_dir(root)
    return removed


def prune_checkpoints(root: Path, keep: int) -> None:
    """Delete all but the newest ``keep`` checkpoints, and what ``clean_checkpoints``
    removes."""
    clean_checkpoints(root)
    found = list_checkpoints(root)
    for _, path in found[: max(0, len(found) - keep)]:
        _remove(path)


class NoCheckpoint(CheckpointError):
    """The run has no checkpoint at all (yet)."""


@dataclass
class Chosen:
    """The checkpoint ``newest_intact`` used, and the newer ones it passed over."""

    step: int
    path: Path
    skipped: list[tuple[int, str]] = field(default_factory=list)

    def note(self) -> str:
        """One line saying which checkpoint is used instead and why ('' if the newest)."""
        if not self.skipped:
            return ""
        why = "; ".join(reason for _, reason in self.skipped)
        return f"using the checkpoint at step {self.step} instead of a newer one: {why}"


def newest_intact(
    root: Path, use: Callable[[dict[str, torch.Tensor], dict[str, Any], Path], None]
) -> Chosen:
    """Read checkpoints newest first and hand each to ``use`` until one is intact.

    ``use(weights, state, directory)`` applies it, or raises ``CheckpointError`` to
    reject it (it does not fit the model); any other exception ends the search (a
    changed dataset is not a damaged checkpoint). A checkpoint removed while it is read
    (pruned by the writer) is passed over. ``NoCheckpoint`` when there is none,
    ``CheckpointError`` (one line, each reason) when none is intact.
    """
    found = list_checkpoints(root)
    if not found:
        raise NoCheckpoint(f"{root.parent} has no checkpoint yet")
    skipped: list[tuple[int, str]] = []
    for step, path in reversed(found):
        try:
            weights, state = load_checkpoint(path)
            use(weights, state, path)
        except CheckpointError as exc:
            if not path.exists():  # pruned by a writer while we read it
                continue
            skipped.append((step, str(exc)))
            continue
        return Chosen(step, path, skipped)
    if not skipped:
        raise NoCheckpoint(f"{root.parent} has no checkpoint yet")
    why = "; ".join(reason for _, reason in skipped)
    raise CheckpointError(f"{root.parent} has no intact checkpoint ({why})")
