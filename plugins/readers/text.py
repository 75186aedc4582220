"""Text corpora (a .txt file or a folder of them) and parallel text (tab-separated
pairs). Encodings are detected; undecodable files are named with the reason."""

from __future__ import annotations

import os
from pathlib import Path

import torch

from studio import api

MAX_TEXT_BYTES = 512 * 1024 * 1024


def read_text(path: Path) -> str:
    """A file's text: UTF-8 (with or without BOM), else the detected encoding."""
    try:
        size = path.stat().st_size
        if size > MAX_TEXT_BYTES:
            raise api.DatasetError(f"{path}: {size:,} bytes is more than the text limit")
        raw = path.read_bytes()
    except OSError as exc:
        raise api.DatasetError(f"{path}: cannot read it ({exc})") from None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    if b"\x00" in raw[:8192]:
        raise api.DatasetError(f"{path}: a binary file, not text")
    from charset_normalizer import from_bytes

    best = from_bytes(raw).best()
    if best is None:
        raise api.DatasetError(
            f"{path}: not UTF-8 and no other text encoding fits; save it as UTF-8"
        )
    return str(best)


def load_text(path: Path) -> api.LoadedDataset:
    skipped: list[tuple[str, str]] = []
    if path.is_file():
        parts = [read_text(path)]
        files = [path]
    else:
        files = sorted(
            Path(root) / f
            for root, _dirs, names in os.walk(path, followlinks=False)
            for f in names
            if f.lower().endswith(".txt") and not f.startswith(".")
        )
        parts = []
        for f in files:
            try:
                parts.append(read_text(f))
            except api.DatasetError as exc:
                skipped.append((str(f), str(exc).split(": ", 1)[-1]))
    text = "\n".join(p for p in parts if p)
    if not text.strip():
        raise api.DatasetError(f"{path}: no text found ({len(skipped)} files skipped)")
    return api.LoadedDataset(
        kind="text",
        train=api.TextCorpus(text),  # the one text dataset type
        info={
            "text": text,
            "files": len(files) - len(skipped),
            "characters": len(text),
            "words": len(text.split()),
            "lines": text.count("\n") + 1,
            "vocabulary": len(set(text)),
            "skipped": skipped,
            "source": str(path),
        },
        name=path.stem,
    )


class Pairs(torch.utils.data.Dataset):
    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self.pairs = pairs

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, index: int) -> tuple[str, str]:
        return self.pairs[index]


def load_pairs(path: Path) -> api.LoadedDataset:
    """``source<TAB>target[<TAB>anything else, ignored]``, one pair a line."""
    pairs, skipped = [], []
    for number, line in enumerate(read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) < 2 or not fields[0].strip() or not fields[1].strip():
            skipped.append((f"{path}:{number}", "not source<TAB>target"))
            continue
        pairs.append((fields[0].strip(), fields[1].strip()))
    if not pairs:
        raise api.DatasetError(f"{path}: no tab-separated pairs ({len(skipped)} lines skipped)")
    return api.LoadedDataset(
        kind="text-pairs",
        train=Pairs(pairs),
        info={"pairs": len(pairs), "skipped": skipped, "source": str(path)},
        name=path.stem,
    )
