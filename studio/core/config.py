"""Typed model configs: dataclass fields described once, turned into forms, flags and JSON."""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# ``active_when`` values: a field's condition, field name -> the values it is used for
# (a tuple, or a range of ints).
Condition = Mapping[str, tuple[Any, ...] | range]


def param(
    default: Any,
    *,
    help: str = "",
    min: float | None = None,
    max: float | None = None,
    choices: Sequence[Any] | None = None,
    label: str | None = None,
    active_when: Mapping[str, Any] | None = None,
) -> Any:
    """A config field with what the UI form and the CLI need to present it.

    ``active_when`` says the field is used only for some values of other fields:
    ``{"loss": "wgan-gp"}`` (a value), ``{"sampler": ("ddim", "ddpm")}`` (any of a
    tuple) or ``{"codes": range(1, 101)}`` (an int in a range); several fields must
    all match. The form greys the field out otherwise, saying why ("used only when
    loss is wgan-gp"); its value is kept and passed on.

    Example::

        @dataclass
        class GANConfig:
            lr: float = param(1e-3, help="Adam learning rate", min=1e-6, max=1.0)
            loss: str = param("bce", choices=("bce", "wgan-gp"))
            gp_weight: float = param(10.0, min=0.0, active_when={"loss": "wgan-gp"})
    """
    metadata = {
        "help": help,
        "min": min,
        "max": max,
        "choices": choices,
        "label": label,
        "active_when": _condition(active_when),
    }
    if isinstance(default, (list, dict, set)):
        return dataclasses.field(default_factory=lambda: type(default)(default), metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def _condition(active_when: Mapping[str, Any] | None) -> dict[str, tuple[Any, ...] | range] | None:
    """``active_when`` with each value made a tuple of the values allowed (a range
    stays a range)."""
    if not active_when:
        return None
    return {name: _allowed(v) for name, v in active_when.items()}


def _allowed(value: Any) -> tuple[Any, ...] | range:
    if isinstance(value, range):
        return value
    if isinstance(value, (tuple, list, set, frozenset)):
        return tuple(value)
    return (value,)


@dataclass(frozen=True)
class FieldInfo:
    """One config field, resolved for presentation. ``active_when``: the other
    fields' values it is used for (``None``: always), see ``param``."""

    name: str
    type: type
    default: Any
    help: str
    label: str
    min: float | None
    max: float | None
    choices: tuple[Any, ...] | None
    active_when: Condition | None = dataclasses.field(default=None, hash=False)


def describe(config_class: type) -> list[FieldInfo]:
    """The fields of a config dataclass, in order, with their resolved types.

    ``TypeError`` for a field without a default or a wrong ``active_when``."""
    infos = _describe(config_class)
    _check_conditions(config_class, infos)
    return infos


def check_conditions(config_class: type) -> None:
    """``TypeError`` naming the field when an ``active_when`` of ``config_class``
    names no other field or a value that field cannot take (checked when a plugin
    loads, so that its form never fails to build)."""
    try:
        infos = _describe(config_class)
    except TypeError:  # reported where the fields are used, as before
        return
    _check_conditions(config_class, infos)


def _describe(config_class: type) -> list[FieldInfo]:
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
                active_when=f.metadata.get("active_when"),
            )
        )
    return out


def _check_conditions(config_class: type, infos: list[FieldInfo]) -> None:
    """``TypeError`` (the plugin author's mistake) for an ``active_when`` that names no
    field, the field itself, or a value its field cannot take."""
    by_name = {i.name: i for i in infos}
    for info in infos:
        for name, allowed in (info.active_when or {}).items():
            where = f"{config_class.__name__}.{info.name}: active_when"
            other = by_name.get(name)
            if other is None or other is info:
                raise TypeError(f"{where} names {name!r}, not another field")
            if isinstance(allowed, range) and (not allowed or other.type is not int):
                raise TypeError(f"{where}: {allowed!r} is not a range of values of {name}")
            ends = (allowed[0], allowed[-1]) if isinstance(allowed, range) else allowed
            for value in ends:
                try:
                    ok = coerce(other, value) == value
                except ConfigError:
                    ok = False
                if not ok:
                    raise TypeError(f"{where}: {value!r} is not a value of {name}")


def _matches(value: Any, allowed: tuple[Any, ...] | range) -> bool:
    if isinstance(allowed, range):
        try:
            return int(value) in allowed  # a spin box's int, or a form's text "3"
        except (TypeError, ValueError):
            return False
    # A form holds a combo box's text ("3", "wgan-gp"): compare as text too.
    return any(value == a or str(value) == str(a) for a in allowed)


def is_active(info: FieldInfo, values: Mapping[str, Any]) -> bool:
    """Whether ``info``'s field is used, given the fields' ``values`` (typed, or the
    text a form holds); a controlling field missing from ``values`` counts as
    matching."""
    return all(
        name not in values or _matches(values[name], allowed)
        for name, allowed in (info.active_when or {}).items()
    )


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


def active_when_text(info: FieldInfo, labels: Mapping[str, str] | None = None) -> str:
    """Why a field may be greyed out: ``"used only when loss is wgan-gp"`` (``""``
    when it is always used). ``labels``: field name -> the name shown for it."""
    parts = []
    for name, allowed in (info.active_when or {}).items():
        shown = (labels or {}).get(name, name)
        if isinstance(allowed, range):
            parts.append(f"{shown} is {allowed[0]} to {allowed[-1]}")
            continue
        values = [_shown(v) for v in allowed]
        either = values[0] if len(values) == 1 else f"{', '.join(values[:-1])} or {values[-1]}"
        parts.append(f"{shown} is {either}")
    return f"used only when {' and '.join(parts)}" if parts else ""


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
