"""The layering rules of design.md, enforced: the core and plugins' non-widget modules
import no Qt, plugins import only the public API, and loading plugins imports no torch."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
QT = ("PySide6", "pyqtgraph", "shiboken6", "PyQt5", "PyQt6")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_core_imports_no_qt():
    offenders = {
        str(p.relative_to(ROOT)): sorted(m for m in imported_modules(p) if m.startswith(QT))
        for p in (ROOT / "studio" / "core").rglob("*.py")
    }
    assert not {k: v for k, v in offenders.items() if v}


def test_core_imports_nothing_above_it():
    for p in (ROOT / "studio" / "core").rglob("*.py"):
        for m in imported_modules(p):
            if m.startswith("studio."):
                assert m.startswith("studio.core"), f"{p.name} imports {m}"


def test_plugins_import_only_the_public_api():
    for p in (ROOT / "plugins").rglob("*.py"):
        for m in imported_modules(p):
            if m.startswith("studio"):
                assert m in ("studio", "studio.api", "studio.api_qt"), f"{p} imports {m}"


def is_qt_module(name: str) -> bool:
    """A plugin's Qt side, named so at a glance: widget.py, view.py, views.py, or a
    name ending in _widget.py, _view.py or _views.py (one per model of the plugin)."""
    stem = name.removesuffix(".py")
    return stem in ("widget", "view", "views") or stem.endswith(("_widget", "_view", "_views"))


def test_only_widget_modules_of_plugins_import_qt():
    for p in (ROOT / "plugins").rglob("*.py"):
        qt = [m for m in imported_modules(p) if m.startswith(QT) or m == "studio.api_qt"]
        if qt:
            assert is_qt_module(p.name), f"{p} imports {qt}; only widget or view modules may"


def test_loading_plugins_imports_neither_torch_nor_qt():
    code = (
        "import sys; from studio.plugins import load_plugins; m = load_plugins();"
        "assert m.models and m.datasets, m.records;"
        "import studio.api, studio.core.rundir, studio.core.checkpoint;"
        "bad = [k for k in ('torch', 'PySide6') if k in sys.modules]; print(bad)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_importing_all_core_modules_imports_no_qt():
    mods = [
        f"studio.core.{p.stem}"
        for p in (ROOT / "studio" / "core").glob("*.py")
        if p.stem != "__init__"
    ]
    code = (
        f"import importlib, sys; [importlib.import_module(m) for m in {mods!r}];"
        "print([k for k in sys.modules if k.startswith(('PySide6', 'pyqtgraph'))])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


# --- no plugin touches private members of the app's objects ------------------------------
PUBLIC_MODULES = ("studio.api", "studio.api_qt")


def _app_names(tree: ast.Module) -> tuple[set[str], set[str]]:
    """Names bound to the public API in a module: modules (``from studio import api``)
    and objects imported from them (``from studio.api_qt import SamplingWidget``)."""
    modules: set[str] = set()
    objects: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0:
            if node.module == "studio":
                modules.update(
                    a.asname or a.name for a in node.names if a.name in ("api", "api_qt")
                )
            elif node.module in PUBLIC_MODULES:
                objects.update(a.asname or a.name for a in node.names)
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name in PUBLIC_MODULES and a.asname:
                    modules.add(a.asname)
    return modules, objects


def _root(node: ast.AST) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _resolve_base(base: ast.expr, modules: set[str], objects: set[str]) -> type | None:
    """The app class a class statement's base names (``SamplingWidget``, ``api.Trainer``)."""
    import importlib

    if isinstance(base, ast.Name) and base.id in objects:
        for module in PUBLIC_MODULES:
            value = getattr(importlib.import_module(module), base.id, None)
            if isinstance(value, type):
                return value
    if (
        isinstance(base, ast.Attribute)
        and isinstance(base.value, ast.Name)
        and base.value.id in modules
    ):
        for module in PUBLIC_MODULES:
            value = getattr(importlib.import_module(module), base.attr, None)
            if isinstance(value, type):
                return value
    return None


def _private_members(cls: type) -> set[str]:
    """Private names an app class (and its app bases) defines: methods, class
    attributes, and attributes its methods assign on ``self``."""
    import inspect
    import textwrap

    names: set[str] = set()
    for klass in cls.__mro__:
        if not klass.__module__.startswith("studio"):
            continue
        names.update(n for n in vars(klass) if _is_private(n))
        try:
            source = textwrap.dedent(inspect.getsource(klass))
        except (OSError, TypeError):
            continue
        for node in ast.walk(ast.parse(source)):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "self"
                and isinstance(node.ctx, ast.Store)
                and _is_private(node.attr)
            ):
                names.add(node.attr)
    return names


def private_uses(path: Path, source: str | None = None) -> list[str]:
    """Where a plugin module touches private members of the app's objects: ``X._y``
    on a name from ``studio.api``/``studio.api_qt``, and in a subclass of an app class
    ``self._y``/``super()._y`` or a method ``_y`` where the app class defines ``_y``."""
    tree = ast.parse(source if source is not None else path.read_text(), filename=str(path))
    modules, objects = _app_names(tree)
    found: list[str] = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and _is_private(node.attr)
            and _root(node.value) in modules | objects
        ):
            found.append(f"{path.name}:{node.lineno} {ast.unparse(node)}")
    for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
        private: set[str] = set()
        for base in cls.bases:
            app_class = _resolve_base(base, modules, objects)
            if app_class is not None:
                private |= _private_members(app_class)
        if not private:
            continue
        for node in ast.walk(cls):
            if isinstance(node, ast.Attribute) and node.attr in private:
                owner = node.value
                is_self = isinstance(owner, ast.Name) and owner.id == "self"
                is_super = (
                    isinstance(owner, ast.Call)
                    and isinstance(owner.func, ast.Name)
                    and owner.func.id == "super"
                )
                if is_self or is_super:
                    found.append(f"{path.name}:{node.lineno} {ast.unparse(node)}")
            elif isinstance(node, ast.FunctionDef) and node.name in private:
                found.append(f"{path.name}:{node.lineno} overrides {node.name}")
    return found


def _plugin_sources() -> list[Path]:
    roots = [ROOT / "plugins", ROOT / "examples"]
    return [
        p
        for root in roots
        for p in root.rglob("*.py")
        if not {"build", "tests"} & set(p.relative_to(root).parts)
        and not any(part.endswith(".egg-info") for part in p.parts)
    ]


def test_the_private_member_check_catches_each_way_in(tmp_path):
    bad = """
from studio import api
from studio.api_qt import SamplingWidget, run_in_thread

class W(SamplingWidget):
    def generate(self):
        if self._busy or self._run_path is None:
            return
        super()._on_failed("x", "")
        self._mine = 1  # the widget's own member: allowed

    def _deliver_done(self, sample):
        pass

class T(api.Trainer):
    def train_step(self, batch, step):
        self._sync(None)
        return {}

x = api._LAZY
y = run_in_thread._private
"""
    found = private_uses(tmp_path / "bad.py", bad)
    text = "\n".join(found)
    for use in (
        "self._busy",
        "self._run_path",
        "super()._on_failed",
        "overrides _deliver_done",
        "self._sync",
        "api._LAZY",
        "run_in_thread._private",
    ):
        assert use in text, (use, found)
    assert "_mine" not in text


def test_plugins_touch_no_private_members_of_the_app():
    offenders = [use for p in _plugin_sources() for use in private_uses(p)]
    assert not offenders, "\n".join(offenders)
