"""Shared test set-up: offscreen Qt, a loaded plugin manager, temporary workspaces."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.pop("GENAI_STUDIO_DISABLE_PLUGINS", None)

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def plugins():
    from studio.plugins import load_plugins

    return load_plugins()


@pytest.fixture
def workspace(tmp_path, monkeypatch) -> Path:
    ws = tmp_path / "workspace"
    ws.mkdir()
    monkeypatch.setenv("GENAI_STUDIO_WORKSPACE", str(ws))
    return ws
