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


def test_only_widget_modules_of_plugins_import_qt():
    for p in (ROOT / "plugins").rglob("*.py"):
        qt = [m for m in imported_modules(p) if m.startswith(QT) or m == "studio.api_qt"]
        if qt:
            assert p.name == "widget.py", f"{p} imports {qt}; only widget.py may"


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
