"""Cheap checks of what a dropped path holds: names, suffixes, a few bytes.
No torch, no decoding: these run on the GUI thread for every reader on every drop."""

from __future__ import annotations

import os
from pathlib import Path

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".webp"})
TEXT_SUFFIXES = frozenset({".txt"})
PEEK_LIMIT = 2000  # entries looked at in a folder before deciding


def is_image(path: Path | str) -> bool:
    return os.path.splitext(str(path))[1].lower() in IMAGE_SUFFIXES


def _entries(folder: Path, limit: int = PEEK_LIMIT) -> list[os.DirEntry]:
    out = []
    try:
        with os.scandir(folder) as it:
            for entry in it:
                if entry.name.startswith("."):
                    continue
                out.append(entry)
                if len(out) >= limit:
                    break
    except OSError:
        return []
    return out


def _has_images(folder: Path) -> bool:
    return any(e.is_file(follow_symlinks=False) and is_image(e.name) for e in _entries(folder))


def image_subfolders(folder: Path) -> list[Path]:
    """Sub-folders of ``folder`` that hold images directly."""
    if not folder.is_dir():
        return []
    return sorted(
        Path(e.path)
        for e in _entries(folder)
        if e.is_dir(follow_symlinks=False) and _has_images(Path(e.path))
    )


def accepts_labelled_images(path: Path) -> bool:
    return len(image_subfolders(path)) >= 2


def accepts_flat_images(path: Path) -> bool:
    return path.is_dir() and _has_images(path)


CYCLEGAN_SPLITS = {"traina", "trainb", "testa", "testb"}


def accepts_two_domains(path: Path) -> bool:
    return len(image_subfolders(path)) == 2 or is_cyclegan_root(path)


def is_cyclegan_root(path: Path) -> bool:
    """A CycleGAN dataset as distributed (horse2zebra...): trainA, trainB, testA and
    testB side by side; the test folders are the held-out split."""
    return {p.name.lower() for p in image_subfolders(path)} == CYCLEGAN_SPLITS


def names_two_domains(path: Path) -> bool:
    """The CycleGAN layout: trainA/trainB (or testA/testB) side by side, or all four."""
    names = {p.name.lower() for p in image_subfolders(path)}
    return names in ({"traina", "trainb"}, {"testa", "testb"}, {"a", "b"}, CYCLEGAN_SPLITS)


def accepts_text(path: Path) -> bool:
    if path.is_file():
        return path.suffix.lower() in TEXT_SUFFIXES
    return path.is_dir() and any(
        e.is_file(follow_symlinks=False) and e.name.lower().endswith(".txt") for e in _entries(path)
    )


def accepts_pairs(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in (".tsv", ".tab")


def accepts_csv(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() == ".csv"


def accepts_npy(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() == ".npy"


def accepts_npz(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() == ".npz"


def accepts_midi(path: Path) -> bool:
    if path.is_file():
        return path.suffix.lower() in (".mid", ".midi")
    return path.is_dir() and any(
        e.is_file(follow_symlinks=False) and e.name.lower().endswith((".mid", ".midi"))
        for e in _entries(path)
    )


def _is_musicxml(path: Path) -> bool:
    suffix = path.suffix.lower()
    if suffix in (".musicxml", ".mxl"):
        return True
    if suffix != ".xml":
        return False
    try:  # a plain .xml is MusicXML only if it says so near the top
        with open(path, "rb") as fh:
            head = fh.read(2048)
    except OSError:
        return False
    return b"<score-partwise" in head or b"<score-timewise" in head


def accepts_musicxml(path: Path) -> bool:
    if path.is_file():
        return _is_musicxml(path)
    return path.is_dir() and any(
        e.is_file(follow_symlinks=False) and _is_musicxml(Path(e.path)) for e in _entries(path)
    )


def accepts_chorales_json(path: Path) -> bool:
    if not (path.is_file() and path.suffix.lower() == ".json"):
        return False
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    return b'"train"' in head or b'"valid"' in head or b'"test"' in head
