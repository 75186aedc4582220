"""What a disabled plugin would contribute if it were enabled, read without enabling it.

Its hook functions are called on a pluggy manager of their own, so nothing it returns
reaches the app's tables. The code read is: the plugin's hook module when it was
imported already (it was loaded, then disabled, in this session), or a built-in
plugin's hook module (cheap to import, our own code). A third-party plugin that was
disabled before it was ever imported is not imported for this: disabling a plugin
keeps its code from running. For it, the caller may show what it contributed the last
time it was loaded (``remembered``).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import pluggy

from studio import hookspecs
from studio.plugins import CONTRIBUTION_TABLES


@dataclass
class Preview:
    """What a plugin would contribute (``contributions``, by kind), or why that is not
    known (``unknown``)."""

    contributions: dict[str, list[str]] = field(default_factory=dict)
    unknown: str = ""
    remembered: str = ""  # "as of version X": read from the last time it was loaded
    api_version: str = ""  # the contract version its hook module declares, when read


def _plugin_object(record: Any) -> Any | None:
    """The plugin object of ``record`` if it can be had without running code that the
    user kept from running: imported already, or a built-in plugin."""
    if record.path:  # a single-file plugin: only if it was loaded in this session
        return sys.modules.get(record.module)
    imported = bool(record.module) and record.module in sys.modules
    if not imported and not record.builtin:
        return None
    for ep in metadata.entry_points(group=hookspecs.ENTRY_POINT_GROUP, name=record.name):
        return ep.load()  # when imported already, no module code runs again
    return sys.modules.get(record.module)  # registered by a script or a test


def would_contribute(record: Any) -> Preview:
    """What the plugin of ``record`` (a ``PluginRecord``) would contribute if enabled."""
    try:
        plugin = _plugin_object(record)
    except Exception as exc:  # a built-in that fails to import says so when enabled too
        return Preview(unknown=f"could not read it: {type(exc).__name__}: {exc}")
    if plugin is None:
        why = "in safe mode" if record.status == "safe mode" else "while it is disabled"
        return Preview(unknown=f"not known: its code is not run {why}")
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    try:
        pm.register(plugin, name=record.name)
    except Exception as exc:
        return Preview(unknown=f"could not read its hooks: {exc}")
    out: dict[str, list[str]] = {}
    for hook_name, kind, *_ in CONTRIBUTION_TABLES:
        for impl in getattr(pm.hook, hook_name).get_hookimpls():
            try:
                items = impl.function(**{a: None for a in impl.argnames}) or ()
            except Exception as exc:
                return Preview(unknown=f"{hook_name} raised {type(exc).__name__}: {exc}")
            ids = [str(getattr(item, "id", "?")) for item in items]
            if ids:
                out.setdefault(kind + "s", []).extend(ids)
    return Preview(contributions=out, api_version=str(getattr(plugin, "STUDIO_API", "") or ""))


def to_remember(record: Any) -> str:
    """A loaded plugin's contributions as JSON, kept in the settings so that a later
    session can say what it contributes while it is disabled there."""
    return json.dumps({"version": record.version, "contributions": record.contributions})


def from_remembered(text: Any) -> Preview | None:
    """A ``Preview`` from what ``to_remember`` wrote (None: nothing usable)."""
    try:
        data = json.loads(str(text))
        contributions = {str(k): [str(i) for i in v] for k, v in data["contributions"].items()}
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    version = str(data.get("version") or "")
    when = f"version {version}" if version else "its last load"
    return Preview(contributions=contributions, remembered=f"as of {when}")


def text(contributions: dict[str, list[str]]) -> str:
    """``models: a, b; datasets: c`` (the plugin dialog's Contributes column)."""
    return "; ".join(f"{k}: {', '.join(v)}" for k, v in contributions.items() if v)
