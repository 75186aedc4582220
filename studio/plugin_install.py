"""Installing third-party plugins, without Qt: pip command lines, the install plan read
from ``pip install --dry-run --report``, contract version checks, and the folder of
single-file plugins. The plugin manager dialog runs these commands in a QProcess.

How the contract version is checked (a plugin must not be installed for a contract
this app does not speak):

1. Before installing, from the source, without running any of its code: for a wheel,
   an sdist, a project folder or a ``.py`` file, the ``genai_studio.plugins`` entry
   points are read from its metadata (``entry_points.txt`` or ``pyproject.toml``) and
   ``STUDIO_API = "x.y"`` from each hook module's source (``ast``, no import).
2. A package resolved from an index is only known by its metadata before it is
   downloaded, and entry points are not part of it. So after ``pip install`` the new
   plugins are imported in a child process (``python -m studio.plugin_install probe``);
   one written for an unsupported contract is uninstalled again, with the same
   message naming both versions. The running app imports nothing until this passes.
"""

from __future__ import annotations

import ast
import configparser
import json
import os
import re
import sys
import tarfile
import tomllib
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlparse

from studio.core.contributions import API_VERSION
from studio.hookspecs import ENTRY_POINT_GROUP
from studio.plugins import _api_compatible

PLUGIN_DIR_ENV = "GENAI_STUDIO_PLUGIN_DIR"
# Changing these under a running app (or at all, for the pins) breaks it: ask first.
PROTECTED = ("torch", "torchvision", "pyside6", "shiboken6", "genai-studio")
SDIST_SUFFIXES = (".tar.gz", ".tgz", ".zip")


def user_plugin_dir() -> Path:
    """Where single-file plugins live: ``GENAI_STUDIO_PLUGIN_DIR``, else a per-user
    data folder."""
    value = os.environ.get(PLUGIN_DIR_ENV)
    if value:
        return Path(value)
    import platformdirs

    return platformdirs.user_data_path("genai-studio", appauthor=False) / "plugins"


def canonical(name: str) -> str:
    """A distribution name normalised as pip and PyPI compare them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def is_protected(name: str) -> bool:
    name = canonical(name)
    return any(name == p or name.startswith(p + "-") for p in PROTECTED)


# --- what to install ------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    """Something the user asked to install: ``kind`` is wheel, sdist, folder,
    requirement or file (a single-file plugin)."""

    kind: str
    value: str

    def describe(self) -> str:
        what = {
            "wheel": "the wheel",
            "sdist": "the source archive",
            "folder": "the project folder",
            "requirement": "the requirement",
            "file": "the single-file plugin",
        }[self.kind]
        return f"{what} {self.value}"


def classify(text: str) -> Target:
    """What ``text`` names: an existing file or folder, else a requirement string.
    ``ValueError`` with the reason when it is none of them."""
    text = text.strip()
    if not text:
        raise ValueError("nothing to install")
    path = Path(text).expanduser()
    if path.exists():
        path = path.resolve()
        name = path.name.lower()
        if path.is_dir():
            if (path / "pyproject.toml").exists() or (path / "setup.py").exists():
                return Target("folder", str(path))
            raise ValueError(f"{path} is a folder but not a Python project (no pyproject.toml)")
        if name.endswith(".whl"):
            return Target("wheel", str(path))
        if name.endswith(SDIST_SUFFIXES):
            return Target("sdist", str(path))
        if name.endswith(".py"):
            return Target("file", str(path))
        raise ValueError(f"{path}: not a wheel, a source archive, a project folder or a .py")
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        Requirement(text)
    except InvalidRequirement as exc:
        raise ValueError(f"{text!r} is neither an existing path nor a requirement: {exc}") from None
    return Target("requirement", text)


def pip(python: str, *args: str) -> list[str]:
    """A pip command line for ``python``'s environment (the app's: ``sys.executable``)."""
    return [python, "-m", "pip", "--disable-pip-version-check", "--no-input", *args]


def install_args(target: Target, dry_run: bool = False, options: Iterable[str] = ()) -> list[str]:
    """pip's arguments to install ``target`` (after ``pip``); with ``dry_run``, pip
    prints its JSON report of what it would install on stdout and installs nothing."""
    if target.kind == "file":
        raise ValueError("a single-file plugin is copied, not installed by pip")
    args = ["install", *options]
    if dry_run:
        args += ["--dry-run", "--quiet", "--report", "-"]
    return [*args, target.value]


def uninstall_args(dists: Iterable[str]) -> list[str]:
    return ["uninstall", "--yes", *dists]


# --- the plan ----------------------------------------------------------------------
@dataclass
class PlannedPackage:
    name: str
    version: str
    current: str | None  # installed version, None if new
    requested: bool = False
    source: str = ""  # a local path pip would install it from, if any

    @property
    def change(self) -> str:
        if self.current is None:
            return "new"
        if self.current == self.version:
            return "reinstall"
        from packaging.version import InvalidVersion, Version

        try:
            up = Version(self.version) > Version(self.current)
        except InvalidVersion:
            return "change"
        return "upgrade" if up else "downgrade"

    def describe(self) -> str:
        if self.current is None:
            return f"{self.name} {self.version} (new)"
        return f"{self.name} {self.current} -> {self.version} ({self.change})"


@dataclass
class PluginInfo:
    """A plugin entry point found in a package before it is installed."""

    name: str
    module: str
    dist: str
    api_version: str | None  # None: not found in the source (checked after install)

    @property
    def refusal(self) -> str | None:
        if self.api_version is None or _api_compatible(self.api_version):
            return None
        return refusal_message(self.name, self.api_version)


def refusal_message(plugin: str, declared: str) -> str:
    return (
        f"plugin {plugin} was written for contract version {declared}, but this GenAI "
        f"Studio provides {API_VERSION}; it was not installed"
    )


@dataclass
class InstallPlan:
    packages: list[PlannedPackage]
    plugins: list[PluginInfo] = field(default_factory=list)

    @property
    def protected_changes(self) -> list[PlannedPackage]:
        """Packages the app depends on whose version would change (or appear)."""
        return [p for p in self.packages if is_protected(p.name) and p.current != p.version]

    @property
    def refusals(self) -> list[str]:
        return [r for r in (p.refusal for p in self.plugins) if r]

    def summary(self) -> str:
        lines = ["pip would install:"] if self.packages else ["pip has nothing to install."]
        lines += [f"  {p.describe()}" for p in self.packages]
        for info in self.plugins:
            api = info.api_version or "read after install"
            lines.append(f"plugin {info.name} ({info.dist}): contract version {api}")
        if self.protected_changes:
            lines.append(
                "WARNING: this changes packages GenAI Studio runs on: "
                + ", ".join(p.describe() for p in self.protected_changes)
            )
        return "\n".join(lines)


def installed_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _local_path(url: str) -> str:
    parsed = urlparse(url)
    return unquote(parsed.path) if parsed.scheme == "file" else ""


def parse_report(
    text: str, current: Callable[[str], str | None] = installed_version
) -> InstallPlan:
    """The plan in pip's ``--report`` JSON (``ValueError`` if it is not one), with the
    contract versions of the plugins found in local sources."""
    start = text.find("{")  # pip may print a warning line before the JSON
    try:
        report = json.loads(text[start:] if start >= 0 else text)
        items = report["install"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"pip's report could not be read: {exc}") from None
    packages = []
    plugins: list[PluginInfo] = []
    for item in items:
        meta = item.get("metadata", {})
        name, version = meta.get("name", "?"), meta.get("version", "?")
        source = _local_path(item.get("download_info", {}).get("url", ""))
        packages.append(
            PlannedPackage(name, version, current(name), bool(item.get("requested")), source)
        )
        if source:
            plugins += read_plugins(Path(source), name)
    return InstallPlan(packages, plugins)


# --- reading a source without running it ------------------------------------------------
def _declared_api(source: str) -> str | None:
    """``STUDIO_API = "x.y"`` at a module's top level, read with ``ast``."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [t.id for t in targets if isinstance(t, ast.Name)]
            if "STUDIO_API" in names and isinstance(node.value, ast.Constant):
                return str(node.value.value)
    return None


def _module_files(module: str) -> list[str]:
    base = module.split(":")[0].strip().replace(".", "/")
    return [f"{base}/__init__.py", f"{base}.py"]


def _plugins_from(
    entry_points: dict[str, str], dist: str, read: Callable[[str], str | None], roots: list[str]
) -> list[PluginInfo]:
    out = []
    for name, value in entry_points.items():
        api = None
        for root in roots:
            for candidate in _module_files(value):
                source = read(root + candidate)
                if source is not None:
                    api = _declared_api(source)
                    break
            if api is not None:
                break
        out.append(PluginInfo(name, value.split(":")[0].strip(), dist, api))
    return out


def _project_entry_points(pyproject: str) -> dict[str, str]:
    data = tomllib.loads(pyproject)
    return dict(data.get("project", {}).get("entry-points", {}).get(ENTRY_POINT_GROUP, {}))


def read_plugins(source: Path, dist: str = "") -> list[PluginInfo]:
    """The plugin entry points of a wheel, sdist or project folder and the contract
    version each hook module declares (``None`` where it can't be read statically)."""
    name = source.name.lower()
    try:
        if source.is_dir():

            def read_dir(rel: str) -> str | None:
                path = source / rel
                return path.read_text(encoding="utf-8") if path.is_file() else None

            pyproject = read_dir("pyproject.toml")
            if pyproject is None:
                return []
            return _plugins_from(_project_entry_points(pyproject), dist, read_dir, ["", "src/"])
        if name.endswith(".whl"):
            with zipfile.ZipFile(source) as wheel:
                files = set(wheel.namelist())

                def read_zip(rel: str) -> str | None:
                    return wheel.read(rel).decode("utf-8") if rel in files else None

                eps_file = next((f for f in files if f.endswith(".dist-info/entry_points.txt")), "")
                parser = configparser.ConfigParser(delimiters=("=",))
                parser.optionxform = str  # entry point names are case-sensitive
                parser.read_string(read_zip(eps_file) or "")
                eps = (
                    dict(parser[ENTRY_POINT_GROUP]) if parser.has_section(ENTRY_POINT_GROUP) else {}
                )
                return _plugins_from(eps, dist, read_zip, [""])
        if name.endswith((".tar.gz", ".tgz")):
            with tarfile.open(source) as archive:
                members = {m.name: m for m in archive.getmembers() if m.isfile()}

                def read_tar(rel: str) -> str | None:
                    member = members.get(rel)
                    handle = archive.extractfile(member) if member else None
                    return handle.read().decode("utf-8") if handle else None

                top = next(iter(members), "").split("/")[0] + "/"
                pyproject = read_tar(top + "pyproject.toml")
                if pyproject is None:
                    return []
                eps = _project_entry_points(pyproject)
                return _plugins_from(eps, dist, read_tar, [top, top + "src/"])
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, tarfile.TarError) as exc:
        # Unreadable here is not a refusal: pip reports a broken archive itself, and
        # the child-process probe after install checks the contract.
        print(f"could not read {source}: {exc}", file=sys.stderr)
    return []


def read_file_plugin(path: Path) -> PluginInfo:
    """A single-file plugin's name (``file:<stem>``) and declared contract version."""
    api = _declared_api(path.read_text(encoding="utf-8"))
    return PluginInfo(f"file:{path.stem}", path.stem, "", api)


def copy_file_plugin(path: Path, folder: Path | None = None) -> Path:
    """Copy a single-file plugin into the user plugin folder (atomically); refuses one
    without a supported ``STUDIO_API`` with ``ValueError``. Returns the new path."""
    info = read_file_plugin(path)
    if info.api_version is None:
        raise ValueError(
            f"{path.name} declares no contract version: add STUDIO_API = {API_VERSION!r}"
        )
    if info.refusal:
        raise ValueError(info.refusal)
    if not path.stem.isidentifier():
        raise ValueError(f"{path.name}: a plugin file's name must be a Python identifier")
    folder = folder or user_plugin_dir()
    folder.mkdir(parents=True, exist_ok=True)
    dest = folder / path.name
    tmp = dest.with_suffix(".py.tmp")
    tmp.write_bytes(path.read_bytes())
    os.replace(tmp, dest)
    return dest


# --- after install: which plugins came, and what contract they declare ----------------
def dist_plugins(dists: Iterable[str]) -> dict[str, list[str]]:
    """Entry point names of the installed distributions ``dists`` (canonical names)."""
    wanted = {canonical(d) for d in dists}
    out: dict[str, list[str]] = {}
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = getattr(ep, "dist", None)
        if dist is not None and canonical(dist.name) in wanted:
            out.setdefault(canonical(dist.name), []).append(ep.name)
    return out


def probe_command(python: str, dists: Iterable[str]) -> list[str]:
    return [python, "-m", "studio.plugin_install", "probe", *dists]


def probe(dists: Iterable[str]) -> list[dict[str, str | None]]:
    """Import each plugin of ``dists`` and read its ``STUDIO_API`` (run in a child
    process, so that a plugin's import can't touch the app)."""
    wanted = {canonical(d) for d in dists}
    out: list[dict[str, str | None]] = []
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = getattr(ep, "dist", None)
        if dist is None or canonical(dist.name) not in wanted:
            continue
        row: dict[str, str | None] = {"name": ep.name, "dist": dist.name, "api": None}
        try:
            row["api"] = str(getattr(ep.load(), "STUDIO_API", "") or "") or None
        except Exception as exc:
            row["error"] = f"{type(exc).__name__}: {exc}"
        out.append(row)
    return out


def probe_refusals(output: str) -> list[str]:
    """Refusal messages for the plugins in ``probe``'s JSON output. A plugin that fails
    to import is not refused here: the app loads it in isolation and shows why."""
    rows = json.loads(output[output.find("[") :])
    return [
        refusal_message(str(r["name"]), str(r["api"]))
        for r in rows
        if r.get("api") and not _api_compatible(str(r["api"]))
    ]


def _main(argv: list[str]) -> int:
    if argv[:1] == ["probe"]:
        print(json.dumps(probe(argv[1:])))
        return 0
    print("usage: python -m studio.plugin_install probe DIST...", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))


__all__ = [
    "InstallPlan",
    "PlannedPackage",
    "PluginInfo",
    "Target",
    "classify",
    "copy_file_plugin",
    "dist_plugins",
    "install_args",
    "parse_report",
    "pip",
    "probe_command",
    "probe_refusals",
    "read_plugins",
    "uninstall_args",
    "user_plugin_dir",
]
