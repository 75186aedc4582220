"""Generate docs/api-reference.md from the docstrings of the public API: every name
``studio.api`` and ``studio.api_qt`` export, with signatures, dataclass fields and
public methods. Run ``python docs/gen_api_reference.py`` after changing the API;
tests/test_api_reference.py fails when the file is out of date.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import os
import re
from pathlib import Path

OUT = Path(__file__).resolve().parent / "api-reference.md"
MODULES = ("studio.api", "studio.api_qt")
HEADER = """# API reference

Generated from the docstrings by `docs/gen_api_reference.py` (do not edit by hand;
`tests/test_api_reference.py` fails when this file is out of date). A plugin imports
`studio.api` in its hook and trainer modules and `studio.api_qt` in its widget module;
what is listed here stays stable within contract version {version}. The guide:
[plugin-guide.md](plugin-guide.md).
"""


def _clean(text: str) -> str:
    return re.sub(r" at 0x[0-9a-f]+", "", text)  # no memory addresses in the file


class _Name:
    """An annotation written as a string, shown without quotes."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _unquote(annotation):
    return _Name(annotation) if isinstance(annotation, str) else annotation


def _signature(obj) -> str:
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return ""
    params = [p.replace(annotation=_unquote(p.annotation)) for p in sig.parameters.values()]
    sig = sig.replace(parameters=params, return_annotation=_unquote(sig.return_annotation))
    return _clean(str(sig))


def _doc(obj) -> str:
    return inspect.getdoc(obj) or "(no docstring)"


def _own_members(cls) -> list[tuple[str, object]]:
    """Public methods and properties the class defines (or inherits from a studio base)."""
    out = {}
    for klass in reversed(cls.__mro__):
        if not klass.__module__.startswith("studio"):
            continue
        for name, value in vars(klass).items():
            if name.startswith("_") or name in ("kind", "suffix"):
                continue
            if isinstance(value, (property, classmethod, staticmethod)) or inspect.isfunction(
                value
            ):
                out[name] = value
    return sorted(out.items())


def _class(name: str, cls: type) -> list[str]:
    lines = [f"### `{name}{_signature(cls) if not issubclass(cls, Exception) else ''}`", ""]
    lines += [_doc(cls), ""]
    if dataclasses.is_dataclass(cls):
        fields = [f for f in dataclasses.fields(cls) if not f.name.startswith("_")]
        if fields:
            lines.append("Fields: " + ", ".join(f"`{f.name}`" for f in fields) + ".")
            lines.append("")
    for member, value in _own_members(cls):
        if isinstance(value, property):
            lines += [f"- `{member}` (property): {_first(getattr(cls, member))}"]
        else:
            func = value.__func__ if isinstance(value, (classmethod, staticmethod)) else value
            sig = _signature(func)
            if isinstance(value, classmethod) or (sig.startswith("(self") is False and sig):
                sig = re.sub(r"^\((cls|self)(, )?", "(", sig)
            else:
                sig = re.sub(r"^\(self(, )?", "(", sig)
            lines += [f"- `{member}{sig}`: {_first(getattr(cls, member))}"]
    if lines[-1] != "":
        lines.append("")
    return lines


def _first(obj) -> str:
    doc = inspect.getdoc(obj) or ""
    return " ".join(doc.split("\n\n")[0].split()) or "(no docstring)"


def render() -> str:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    api = importlib.import_module("studio.api")
    parts = [HEADER.format(version=api.API_VERSION)]
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        parts += [f"## `{module_name}`", "", _doc(module), ""]
        for name in sorted(module.__all__, key=str.lower):
            obj = getattr(module, name)
            if inspect.isclass(obj):
                parts += _class(name, obj)
            elif inspect.ismodule(obj):  # a module plugins share (api.judge)
                parts += [f"### `{name}` (module `{obj.__name__}`)", "", _doc(obj), ""]
                for fname, func in inspect.getmembers(obj, inspect.isfunction):
                    if func.__module__ == obj.__name__ and not fname.startswith("_"):
                        parts += [f"- `{name}.{fname}{_signature(func)}`: {_first(func)}"]
                parts += [""]
            elif callable(obj):
                parts += [f"### `{name}{_signature(obj)}`", "", _doc(obj), ""]
            else:
                parts += [f"### `{name}`", "", f"`{_clean(repr(obj))}`", ""]
    return "\n".join(parts).rstrip() + "\n"


def main() -> None:
    OUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
