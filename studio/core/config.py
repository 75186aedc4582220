"""Typed model configs: dataclass fields described once, turned into forms, flags and JSON."""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


def param(
    default: Any,
    *,
    help: str = "",
    min: float | None = None,
    max: float | None = None,
    choices: Sequence[Any] | None = None,
    label: str | None = None,
) -> Any:
    """A config field with what the UI form and the CLI need to present it.

    Example::

        @dataclass
        class GANConfig:
            lr: float = param(1e-3, help="Adam learning rate", min=1e-6, max=1.0)
    """
    metadata = {"help": help, "min": min, "max": max, "choices": choices, "label": label}
    if isinstance(default, (list, dict, set)):
        return dataclasses.field(default_factory=lambda: type(default)(default), metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


@dataclass(frozen=True)
class FieldInfo:
    """One config field, resolved for presentation."""

    name: str
    type: type
    default: Any
    help: str
    label: str
    min: float | None
    max: float | None
    choices: tuple[Any, ...] | None


def describe(config_class: type) -> list[FieldInfo]:
    """The fields of a config dataclass, in order, with their resolved types."""
    hints = typing.get_type_hints(config_class)
    out = []
    for f in dataclasses.fields(config_class):
        if not f.init:
            continue
        tp = hints.get(f.name, str)
        choices = f.metadata.get("choices")
        if typing.get_origin(tp) is typing.Literal:
            choices = typing.get_args(tp)
            tp = type(choices[0])
        if f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        else:
            raise TypeError(f"config field {f.name!r} needs a default")
        out.append(
            FieldInfo(
                name=f.name,
                type=tp,
                default=default,
                help=f.metadata.get("help", ""),
                label=f.metadata.get("label") or f.name.replace("_", " ").capitalize(),
                min=f.metadata.get("min"),
                max=f.metadata.get("max"),
                choices=tuple(choices) if choices else None,
            )
        )
    return out


class ConfigError(ValueError):
    """A config value is of the wrong type, out of range, or names no field."""


def coerce(info: FieldInfo, value: Any) -> Any:
    """Convert a value (from JSON, a form or a command line) to the field's type and check it."""
    try:
        if info.type is bool:
            if isinstance(value, str):
                low = value.strip().lower()
                if low not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
                    raise ValueError(value)
                value = low in {"1", "true", "yes", "on"}
            else:
                value = bool(value)
        elif info.type is int:
            if isinstance(value, float) and not value.is_integer():
                raise ValueError(value)
            value = int(value)
        elif info.type is float:
            value = float(value)
        elif info.type is str:
            value = str(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{info.name}: {value!r} is not a valid {info.type.__name__}") from None
    if info.choices is not None and value not in info.choices:
        allowed = ", ".join(map(str, info.choices))
        raise ConfigError(f"{info.name}: {value!r} is not one of {allowed}")
    if info.min is not None and value < info.min:
        raise ConfigError(f"{info.name}: {value} is below the minimum {info.min}")
    if info.max is not None and value > info.max:
        raise ConfigError(f"{info.name}: {value} is above the maximum {info.max}")
    return value


def build(config_class: type, *layers: Mapping[str, Any]) -> Any:
    """An instance of ``config_class`` from its defaults overlaid with each mapping in turn."""
    infos = {i.name: i for i in describe(config_class)}
    values: dict[str, Any] = {}
    for layer in layers:
        for key, value in layer.items():
            if key not in infos:
                raise ConfigError(f"unknown setting {key!r}; known: {', '.join(infos)}")
            values[key] = coerce(infos[key], value)
    return config_class(**values)


def to_dict(config: Any) -> dict[str, Any]:
    """A JSON-ready dict of a config instance."""
    return dataclasses.asdict(config)
