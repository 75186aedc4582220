"""The example's fixtures. It is tested from this folder without being installed, so
its hook module is registered with ``studio.testing.manager_with``; an installed
plugin would name itself instead (``pytest.mark.studio_plugins("waves")`` and the
``studio_manager`` fixture)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from studio.testing import manager_with

HERE = Path(__file__).resolve().parent.parent


@pytest.fixture
def waves_manager(monkeypatch):
    monkeypatch.syspath_prepend(str(HERE))
    import studio_waves

    yield manager_with({"waves": studio_waves})
    for name in [k for k in sys.modules if k.startswith("studio_waves")]:
        del sys.modules[name]
