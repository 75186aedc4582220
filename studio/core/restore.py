"""Restoring a run from its checkpoints: the RNG state, and the check that a
checkpoint fits the model before anything of it is loaded (the newest intact one
is used; a damaged newer one is passed over, saying which and why)."""

from __future__ import annotations

import contextlib
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from studio.core.checkpoint import CheckpointError, Chosen, check_weights_fit, newest_intact
from studio.core.errors import DatasetError
from studio.core.rundir import RunDir
from studio.core.trainer import Trainer


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def rng_state() -> dict[str, Any]:
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "numpy": list(np.random.get_state()),
        "python": random.getstate(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    np_state = state["numpy"]
    np.random.set_state((np_state[0], np.asarray(np_state[1], dtype=np.uint32), *np_state[2:]))
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(list(state["cuda"]))


def load_model_state(
    trainer: Trainer, weights: dict[str, torch.Tensor], state: Any, name: str, run: RunDir
) -> None:
    """Check a checkpoint against the model before its weights are loaded.

    The trainer's own state goes first: it says whether the data still fits (a text
    run's tokenizer), so that a changed dataset is named as such (``DatasetError``)
    instead of showing up as weights of the wrong size. Then the weights' names and
    shapes must be the model's (``CheckpointError`` otherwise).
    """
    if not isinstance(state, dict):
        raise CheckpointError(f"checkpoint {name}: state.json holds no state")
    try:
        trainer.load_extra_state(state.get("trainer") or {})
    except DatasetError as exc:
        raise DatasetError(
            f"the dataset changed since the run was made ({_dataset_name(run)}): {exc}"
        ) from None
    except Exception as exc:
        raise CheckpointError(
            f"checkpoint {name}: the model's saved state is unreadable "
            f"({type(exc).__name__}: {exc})"
        ) from None
    expected = {k: tuple(v.shape) for k, v in trainer.weights().items()}
    check_weights_fit(expected, weights, name)


def use_weights(
    trainer: Trainer, weights: dict[str, torch.Tensor], state: Any, directory: Path, run: RunDir
) -> None:
    """Load one checkpoint's weights and the trainer's own state into ``trainer``,
    checked first (``load_model_state``)."""
    load_model_state(trainer, weights, state, directory.name, run)
    trainer.load_weights({k: v.to(trainer.device) for k, v in weights.items()})


def restore_weights(trainer: Trainer, run: RunDir) -> Chosen:
    """Load the newest intact checkpoint's weights (and the trainer's own state, such
    as a text run's tokenizer) into ``trainer``, for sampling and export. A damaged
    newer checkpoint is passed over; ``Chosen.note()`` says which and why (also written
    to events.log when the folder is writable)."""

    def use(weights: dict[str, torch.Tensor], state: Any, directory: Path) -> None:
        use_weights(trainer, weights, state, directory, run)

    chosen = newest_intact(run.checkpoints_dir, use)
    if chosen.skipped:
        with contextlib.suppress(OSError):  # a read-only folder: the caller says it
            run.log_event(chosen.note(), "WARNING")
    return chosen


def tensors_in(obj: Any) -> list[torch.Tensor]:
    if isinstance(obj, torch.Tensor):
        return [obj]
    if isinstance(obj, (list, tuple)):
        return [t for x in obj for t in tensors_in(x)]
    if isinstance(obj, dict):
        return [t for x in obj.values() for t in tensors_in(x)]
    return []


def _dataset_name(run: RunDir) -> str:
    try:
        data = run.record().dataset
    except Exception:
        return "unknown"
    return str(data.get("path") or data.get("id") or "unknown")
