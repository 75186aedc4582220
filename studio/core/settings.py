"""Engine settings: what every run has besides its model's config (steps, seed,
device, precision, cadences). Declared once with ``param``; the config form, the
CLI's ``train`` flags, presets and the run's ``config.json`` are all built from it.
Torch-free and Qt-free.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from studio.core import config as cfg
from studio.core.config import param
from studio.core.devices_names import PRECISIONS


@dataclass
class EngineSettings:
    """Engine settings, the same for every model (the model's own live in its config)."""

    steps: int = param(1000, help="train until this step", min=1, max=10**9)
    epochs: int = param(
        0, help="train this many passes over the data instead of steps (0: use steps)", min=0
    )
    seed: int = param(
        0, help="seed of the weights, the batch order and the previews", min=0, max=2**31 - 1
    )
    device: str = param("auto", help="auto, cpu, cuda, cuda:N or mps")
    precision: str = param(
        "fp32",
        help="mixed precision (bf16/fp16) speeds up training on GPUs",
        choices=PRECISIONS,
    )
    sample_every: int = param(
        100, help="preview samples at a fixed seed every N steps (0: never)", min=0
    )
    checkpoint_every: int = param(500, help="checkpoint every N steps (0: only at the end)", min=0)
    checkpoint_minutes: float = param(
        10.0,
        help="also checkpoint when this many minutes passed since the last one (0: off)",
        min=0,
        label="Checkpoint minutes",
    )
    validate_every: int = param(
        0, help="validation metrics on the held-out split every N steps (0: never)", min=0
    )
    keep_checkpoints: int = param(
        3, help="how many of the newest checkpoints to keep", min=1, max=10_000
    )
    tensorboard: bool = param(
        False, help="also write TensorBoard event files in <run>/tensorboard", label="TensorBoard"
    )
    # Early stopping (studio.core.early_stop): off while stop_metric is empty.
    stop_metric: str = param(
        "",
        help="stop early on this metric (val/loss, sample/...; empty: never)",
        label="Stop on metric",
    )
    stop_mode: str = param(
        "min", help="whether the metric should go down (min) or up (max)", choices=("min", "max")
    )
    stop_patience: int = param(
        10, help="stop after this many evaluations of the metric without improvement", min=1
    )
    stop_min_delta: float = param(
        0.0, help="a change smaller than this is not an improvement", min=0
    )
    restore_best: bool = param(
        True, help="after an early stop, put back the weights of the best evaluation"
    )
    # Health monitor (studio.core.health).
    judge: str = param(
        "",
        help="score image previews with a judge: digits (built in), a classifier run "
        "folder, or empty (none)",
    )
    alarms: bool = param(True, help="watch the metrics for signs of trouble and say so")


# The name the session module has always used.
TrainSettings = EngineSettings

SETTING_NAMES: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(EngineSettings))

# Keys a model's preset may set besides its config fields.
ENGINE_PRESET_KEYS = frozenset(SETTING_NAMES)


def split_settings(values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A preset's (or a config file's) values as (model config values, engine settings)."""
    config = {k: v for k, v in values.items() if k not in ENGINE_PRESET_KEYS}
    engine = {k: v for k, v in values.items() if k in ENGINE_PRESET_KEYS}
    return config, engine


def describe_settings() -> list[cfg.FieldInfo]:
    """The engine settings' fields, in order, for forms and flags."""
    return cfg.describe(EngineSettings)


def build_settings(
    *layers: Mapping[str, Any], base: EngineSettings | None = None
) -> EngineSettings:
    """Settings from ``base`` (default: the defaults) overlaid with each mapping in turn,
    every value checked; raises ``ConfigError`` whose message starts with the setting's
    name (``steps: -5 is below the minimum 1``)."""
    start = dataclasses.asdict(base) if base is not None else {}
    return cfg.build(EngineSettings, start, *layers)


def settings_from_record(values: Mapping[str, Any]) -> EngineSettings:
    """The settings stored in a run, as written: unknown keys (from a newer release) are
    ignored and values are not range-checked, so any run that was written reads back."""
    known = {f.name: f for f in dataclasses.fields(EngineSettings)}
    infos = {i.name: i for i in describe_settings()}
    kwargs: dict[str, Any] = {}
    for key, value in values.items():
        if key not in known or value is None:
            continue
        tp = infos[key].type
        try:
            kwargs[key] = bool(value) if tp is bool else tp(value)
        except (TypeError, ValueError):
            continue  # an unreadable value falls back to the default
    return EngineSettings(**kwargs)


def settings_to_dict(settings: EngineSettings) -> dict[str, Any]:
    """A JSON-ready dict of the settings (what ``config.json`` stores)."""
    return dataclasses.asdict(settings)
