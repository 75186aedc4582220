"""Helpers for the plugin manager tests: tiny plugin projects written on the fly and a
throwaway environment to install them into (never the shared .venv)."""

from __future__ import annotations

import site
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from studio.testing import close_windows

HOOKS = """
from dataclasses import dataclass
from studio import api

STUDIO_API = "{api}"


@dataclass
class Cfg:
    batch_size: int = api.param(8, min=1, max=64)


def _trainer(config, dataset, device):
    raise RuntimeError("not trained in these tests")


@api.hookimpl
def studio_models():
    return [api.ModelSpec(id="{model}", name="{model}", description="",
                          dataset_kinds=("points2d",), config_class=Cfg,
                          trainer_factory=_trainer)]
"""


def make_project(root: Path, dist: str, model: str, api: str = "1.0") -> Path:
    """A plugin project folder: pyproject.toml and a hook module, named after ``dist``."""
    module = dist.replace("-", "_")
    folder = root / dist
    (folder / module).mkdir(parents=True)
    (folder / module / "__init__.py").write_text(HOOKS.format(api=api, model=model))
    (folder / "pyproject.toml").write_text(
        textwrap.dedent(f"""
            [build-system]
            requires = ["setuptools>=69"]
            build-backend = "setuptools.build_meta"

            [project]
            name = "{dist}"
            version = "1.0"

            [project.entry-points."genai_studio.plugins"]
            {module} = "{module}"

            [tool.setuptools]
            packages = ["{module}"]
        """)
    )
    return folder


@pytest.fixture
def project(tmp_path):
    return lambda dist, model, api="1.0": make_project(tmp_path / "src", dist, model, api)


@pytest.fixture
def throwaway_env(tmp_path, monkeypatch):
    """A venv without pip of its own that sees the app's packages through a .pth file;
    pip (the app's, found through that file) installs into and uninstalls from it
    alone. Its site-packages is put on this process's sys.path, as if it were the
    app's environment, so that new plugins are discovered here."""
    env = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
    python = env / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    (Path(purelib) / "app_env.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    monkeypatch.syspath_prepend(purelib)
    return str(python), Path(purelib)


@pytest.fixture
def make_window(qtbot, tmp_path, plugins):
    """A main window on a temporary workspace and settings file (as tests/ui has)."""
    from PySide6.QtCore import QSettings

    from studio.ui.main_window import MainWindow

    made = []

    def make(manager=None):
        settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
        w = MainWindow(manager or plugins, settings, tmp_path / "workspace")
        w.confirm_stop_on_close = lambda: True
        w.show()
        made.append(w)
        return w

    yield make
    close_windows(qtbot, made)
