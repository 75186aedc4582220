"""Which files a run's ``config.json`` may make the app read.

A run folder can come from someone else (a download, a shared drive), and its
``config.json`` names the dataset that resume and sampling read. So a dataset path
from a run is read only when this user chose it:

- the run was made on this machine by this user: ``create_engine`` seals the dataset
  reference with a key kept in the user's data folder (an HMAC a copied folder cannot
  forge), or
- the path is one the user added to the workspace (``datasets.json``, or a copy under
  the workspace), or
- the user says so for this run (the CLI's ``--trust-dataset-path``; the window can
  ask), after which the run is sealed for this machine.

Whatever the user says, a run that was not made here never reads system locations
(``/etc``, ``/proc``, ``~/.ssh``...) or a relative path (``../../etc/passwd``).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path
from typing import Any

from studio.core.errors import DatasetError

KEY_NAME = "run-seal.key"
KEY_DIR_ENV = "GENAI_STUDIO_KEY_DIR"  # where the key lives (tests; a portable install)

_SYSTEM = (
    "/etc",
    "/proc",
    "/sys",
    "/dev",
    "/boot",
    "/root",
    "/bin",
    "/sbin",
    "/lib",
    "/lib32",
    "/lib64",
    "/usr",
    "/run",
    "/var/lib",
    "/var/log",
    "/var/run",
    "/var/spool",
    "/var/mail",
    "/private/etc",
    "/private/var/db",
    "/System",
    "C:/Windows",
    "C:/Program Files",
)
_SECRETS_IN_HOME = (".ssh", ".gnupg", ".aws", ".azure", ".kube", ".docker", ".netrc", ".config")


class UntrustedDataset(DatasetError):
    """A run's dataset path is not read without the user's word (or never: a system
    location). The message is one line that says what to do."""

    def __init__(self, message: str, path: str, refused: bool) -> None:
        super().__init__(message)
        self.path = path
        self.refused = refused  # True: a system location, no flag helps


def _key_dir() -> Path:
    override = os.environ.get(KEY_DIR_ENV)
    if override:
        return Path(override)
    import platformdirs

    return platformdirs.user_data_path("genai-studio", appauthor=False)


def _key(create: bool) -> bytes | None:
    path = _key_dir() / KEY_NAME
    with contextlib.suppress(OSError):
        data = path.read_bytes()
        if len(data) >= 32:
            return data
    if not create:
        return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_bytes(32))
    except FileExistsError:  # another process made it first
        pass
    except OSError:
        return None
    with contextlib.suppress(OSError):
        return path.read_bytes()
    return None


def _digest(key: bytes, data: dict[str, Any]) -> str:
    what = json.dumps({"path": data.get("path"), "reader": data.get("reader")}, sort_keys=True)
    return hmac.new(key, what.encode(), hashlib.sha256).hexdigest()


def seal(data: dict[str, Any]) -> dict[str, Any]:
    """The dataset reference with this user's seal added (for a path dataset)."""
    if data.get("source") != "path":
        return data
    key = _key(create=True)
    if key is None:  # no writable data folder: the run simply is not sealed
        return data
    return {**data, "seal": _digest(key, data)}


def is_sealed_here(data: dict[str, Any]) -> bool:
    """Whether this user on this machine wrote this dataset reference."""
    key = _key(create=False)
    given = data.get("seal")
    return bool(key and isinstance(given, str) and hmac.compare_digest(given, _digest(key, data)))


def system_location(path: Path) -> str | None:
    """Why ``path`` is a place no run from elsewhere may read, or ``None``."""
    home = Path.home()
    for candidate in {Path(os.path.normpath(path)), _resolved(path)}:
        text = candidate.as_posix()
        for root in _SYSTEM:
            if text == root or text.startswith(root.rstrip("/") + "/"):
                return f"a system location ({root})"
        for name in _SECRETS_IN_HOME:
            private = home / name
            if candidate == private or private in candidate.parents:
                return f"a private folder (~/{name})"
    return None


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path


def _chosen_in_workspace(path: Path, workspace: Path | None) -> bool:
    if workspace is None:
        return False
    workspace = _resolved(Path(workspace))
    target = _resolved(path)
    if workspace in target.parents:
        return True
    from studio.core.dataset_registry import DatasetRegistry

    for entry in DatasetRegistry(workspace).entries():
        chosen = _resolved(Path(entry["path"]))
        if target == chosen or chosen in target.parents:
            return True
    return False


def check_run_dataset(
    data: dict[str, Any],
    *,
    run: str = "the run",
    workspace: Path | None = None,
    trusted: bool = False,
) -> Path:
    """The path a run's dataset reference may be read from, or ``UntrustedDataset``.

    ``trusted``: the user said to read this run's dataset path (still never a system
    location or a relative path unless this user made the run).
    """
    raw = str(data.get("path", ""))
    path = Path(raw).expanduser()
    if is_sealed_here(data):
        return path
    if not path.is_absolute() or ".." in path.parts:
        raise UntrustedDataset(
            f"{run} names its dataset as {raw!r}, a relative path; it is not read. "
            "Train it again with --dataset, or fix its config.json",
            raw,
            refused=True,
        )
    why = system_location(path)
    if why:
        raise UntrustedDataset(
            f"{run} was not made here and points its dataset at {raw}, {why}; it is not read",
            raw,
            refused=True,
        )
    if trusted or _chosen_in_workspace(path, workspace):
        return path
    raise UntrustedDataset(
        f"{run} was not made here and reads its dataset from {raw}; check that path, then "
        "pass --trust-dataset-path to read it",
        raw,
        refused=False,
    )
