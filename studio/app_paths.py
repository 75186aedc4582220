"""Where the workspace is: ``GENAI_STUDIO_WORKSPACE``, else a per-user data folder.
Qt-free, so the CLI and the app agree without importing Qt."""

from __future__ import annotations

import os
from pathlib import Path

WORKSPACE_ENV = "GENAI_STUDIO_WORKSPACE"


def default_workspace() -> Path:
    import platformdirs

    return platformdirs.user_data_path("genai-studio", appauthor=False) / "workspace"


def workspace_from_env() -> Path:
    value = os.environ.get(WORKSPACE_ENV)
    return Path(value) if value else default_workspace()
