"""Typed sampling options, streaming and cancel: the one mechanism every caller uses.

A model declares its sampling options as a dataclass whose fields use ``api.param``
(like its config) and names it in ``ModelSpec.sample_options``. The Explore controls,
the CLI's ``sample -o NAME=VALUE`` and ``--help-sample`` are generated from it, and
values are checked here, with messages that start with the option's name.

Sampling can stream: ``Trainer.sample_stream`` is a generator of partial samples (the
last one is the final sample) that checks a ``CancelToken`` between parts. The window
runs it in a generator worker and shows each part; the Stop button and Ctrl-C in the
CLI cancel the token, and the generator ends by raising ``SamplingCancelled``::

    token = CancelToken()
    for part in sampler.stream(seed=0, options={"temperature": 0.7}, cancel=token):
        show(part)  # another thread may call token.cancel() at any time
"""

from __future__ import annotations

import dataclasses
import textwrap
import threading
from collections.abc import Mapping
from typing import Any

from studio.core.config import ConfigError, FieldInfo, active_when_text, coerce, describe


class SamplingCancelled(Exception):
    """Sampling ended early because its ``CancelToken`` was cancelled."""


class CancelToken:
    """A flag one thread sets (Stop, Ctrl-C) and the sampling thread checks between parts.

    Thread-safe; once cancelled it stays cancelled (use a new token for the next run).
    """

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        """Ask the sampling to stop at its next check."""
        self._event.set()

    @property
    def cancelled(self) -> bool:
        """Whether ``cancel`` was called."""
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        """Raise ``SamplingCancelled`` if ``cancel`` was called (call it between parts)."""
        if self._event.is_set():
            raise SamplingCancelled("sampling was cancelled")


def check_cancel(cancel: CancelToken | None) -> None:
    """``cancel.raise_if_cancelled()`` when there is a token."""
    if cancel is not None:
        cancel.raise_if_cancelled()


def describe_options(options_class: type) -> list[FieldInfo]:
    """The options of a ``sample_options`` dataclass, in order (name, type, default,
    help, label, min, max, choices), as ``config.describe`` gives for configs."""
    if not dataclasses.is_dataclass(options_class):
        raise TypeError(f"{options_class!r} is not a dataclass")
    return describe(options_class)


def build_options(options_class: type, values: Mapping[str, Any] | None = None) -> Any:
    """An instance of ``options_class`` from its defaults and ``values`` (from a form, a
    command line or JSON: strings are converted to each field's type).

    Raises ``ConfigError`` whose message starts with the option's name, for an unknown
    option, a value of the wrong type, out of range or not among the choices.
    """
    infos = {i.name: i for i in describe_options(options_class)}
    checked: dict[str, Any] = {}
    for key, value in (values or {}).items():
        name = str(key).replace("-", "_")
        if name not in infos:
            known = ", ".join(infos) or "none"
            raise ConfigError(f"{name}: no such sampling option (options: {known})")
        checked[name] = coerce(infos[name], value)
    return options_class(**checked)


def options_to_dict(options: Any) -> dict[str, Any]:
    """A JSON-ready dict of an options instance (``{}`` for ``None``)."""
    return {} if options is None else dataclasses.asdict(options)


def format_options_help(options_class: type | None, title: str = "") -> str:
    """The text ``sample --help-sample`` prints: each option with its type, default,
    range or choices, and help."""
    lines = [title] if title else []
    if options_class is None:
        lines.append(
            "This model declares no typed sampling options (a 1.0 model): "
            "-o NAME=VALUE pairs are passed to its sample() as keywords."
        )
        return "\n".join(lines)
    infos = describe_options(options_class)
    if not infos:
        lines.append("This model has no sampling options.")
        return "\n".join(lines)
    lines.append("Sampling options (-o NAME=VALUE):")
    for info in infos:
        bits = [info.type.__name__, f"default {info.default!r}"]
        if info.choices:
            bits.append("choices: " + ", ".join(map(str, info.choices)))
        if info.min is not None or info.max is not None:
            lo = "" if info.min is None else f"{info.min:g}"
            hi = "" if info.max is None else f"{info.max:g}"
            bits.append(f"range {lo}..{hi}")
        lines.append(f"  {info.name} ({'; '.join(bits)})")
        condition = f"({active_when_text(info)})" if info.active_when else ""
        text = f"{info.help} {condition}".strip()
        if text:
            lines += textwrap.wrap(
                text, width=88, initial_indent=" " * 6, subsequent_indent=" " * 6
            )
    return "\n".join(lines)


__all__ = [
    "CancelToken",
    "SamplingCancelled",
    "build_options",
    "check_cancel",
    "describe_options",
    "format_options_help",
    "options_to_dict",
]
