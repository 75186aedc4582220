"""The workspace's registry of dropped datasets (``datasets.json``), so that they are
listed again at the next start, and the import step (reference in place, copy into
the workspace, or unpack an archive into it)."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

from studio.core.archives import archive_stem, extract, is_archive
from studio.core.atomic import atomic_write_text
from studio.core.errors import DatasetError

MODES = ("reference", "copy")


class DatasetRegistry:
    def __init__(self, workspace: Path) -> None:
        self.workspace = Path(workspace)
        self.path = self.workspace / "datasets.json"
        self.data_dir = self.workspace / "datasets"

    def entries(self) -> list[dict[str, Any]]:
        try:
            doc = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return []
        return [e for e in doc.get("datasets", []) if isinstance(e, dict) and "path" in e]

    def _write(self, entries: list[dict[str, Any]]) -> None:
        self.workspace.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.path, json.dumps({"datasets": entries}, indent=2) + "\n")

    def add(self, path: Path, reader: str, original: Path, mode: str) -> None:
        entries = [e for e in self.entries() if e["path"] != str(path)]
        entries.append(
            {
                "path": str(path),
                "reader": reader,
                "original": str(original),
                "mode": mode,
                "added": time.strftime("%Y-%m-%d %H:%M:%S"),
            }
        )
        self._write(entries)

    def remove(self, path: Path) -> None:
        self._write([e for e in self.entries() if e["path"] != str(path)])

    def _free_name(self, stem: str) -> Path:
        target, n = self.data_dir / stem, 1
        while target.exists() or target.with_name(f".{target.name}.partial").exists():
            n += 1
            target = self.data_dir / f"{stem}-{n}"
        return target

    def import_path(self, path: Path, mode: str) -> Path:
        """Where the data will be read from: archives are always unpacked into the
        workspace; other data is referenced in place or copied, as ``mode`` says."""
        path = Path(path)
        if not path.exists():
            raise DatasetError(f"{path} does not exist")
        if is_archive(path):
            self.data_dir.mkdir(parents=True, exist_ok=True)
            return extract(path, self._free_name(archive_stem(path)))
        if mode == "reference":
            return path
        self.data_dir.mkdir(parents=True, exist_ok=True)
        target = self._free_name(path.stem if path.is_file() else path.name)
        try:
            if path.is_dir():
                shutil.copytree(path, target, symlinks=True)
            else:
                target.mkdir()
                shutil.copy2(path, target / path.name)
                return target / path.name
        except OSError as exc:
            shutil.rmtree(target, ignore_errors=True)
            raise DatasetError(f"{path}: cannot copy it into the workspace ({exc})") from None
        return target
