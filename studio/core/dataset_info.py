"""What a dataset is, in numbers: files and bytes on disk, items, shapes, classes and
skipped files. The dataset browser and ``genai-studio-cli datasets inspect`` both show
this (torch-free at import)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

# Keys of ``LoadedDataset.info`` worth showing a person (the rest is for models).
SUMMARY_KEYS = (
    "classes",
    "counts",
    "domains",
    "columns",
    "shape",
    "characters",
    "words",
    "lines",
    "vocabulary",
    "pairs",
    "arrays",
    "pieces",
)


def count_files(path: Path, limit: int = 1_000_000) -> tuple[int, int]:
    """(files, bytes) under ``path``, without following symlinks; stops at ``limit``."""
    if path.is_file():
        return 1, path.stat().st_size
    files = size = 0
    stack = [path]
    while stack and files < limit:
        try:
            with os.scandir(stack.pop()) as it:
                for entry in it:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(Path(entry.path))
                    elif entry.is_file(follow_symlinks=False):
                        files += 1
                        size += entry.stat(follow_symlinks=False).st_size
        except OSError:
            continue
    return files, size


PREVIEW_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".gif")


def first_images(path: Path, limit: int = 400, max_entries: int = 20_000) -> list[str]:
    """Up to ``limit`` image files under ``path`` (breadth first, sorted per folder),
    looking at no more than ``max_entries`` entries: something to show within a
    fraction of a second, while a reader checks every file."""
    found: list[str] = []
    queue, seen = [path], 0
    while queue and len(found) < limit and seen < max_entries:
        folder = queue.pop(0)
        try:
            with os.scandir(folder) as it:
                entries = sorted(
                    (e for e in it if not e.name.startswith(".")), key=lambda e: e.name
                )
        except OSError:
            continue
        seen += len(entries)
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                queue.append(Path(entry.path))
            elif entry.name.lower().endswith(PREVIEW_SUFFIXES) and len(found) < limit:
                found.append(entry.path)
    return found


def human_size(n: float) -> str:
    """Bytes as a short human-readable size."""
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024:
            return f"{n:.0f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"


def item_shapes(loaded: Any) -> list[list[int]] | None:
    """Shapes of one item's tensors (decodes at most one item); None if not tensors."""
    part = loaded.train
    try:
        if isinstance(part, tuple):
            return [list(t.shape[1:]) for t in part]
        if len(part) == 0:
            return None
        item = part[0]
    except Exception:  # a reader's lazy item that fails to decode: no shape to show
        return None
    items = item if isinstance(item, tuple) else (item,)
    shapes = [list(getattr(x, "shape", ())) for x in items]
    return shapes if any(shapes) else None


def image_sizes(loaded: Any, sample: int = 256) -> dict[str, Any] | None:
    """The sizes of the image files as they are on disk (width x height, most common
    first), from up to ``sample`` files spread over the dataset, and the size they are
    resized to for training; None for data that is not image files."""
    part = loaded.train
    paths = getattr(part, "paths", None)
    if not isinstance(paths, list) or not paths:
        return None
    from collections import Counter

    from PIL import Image

    step = max(1, len(paths) // sample)
    counts: Counter[str] = Counter()
    for path in paths[::step][:sample]:
        try:
            with Image.open(path) as img:  # reads the header, not the pixels
                counts[f"{img.width}x{img.height}"] += 1
        except (OSError, ValueError):
            continue
    if not counts:
        return None
    out: dict[str, Any] = {"sizes": [size for size, _ in counts.most_common()]}
    out["sampled"] = sum(counts.values())
    size = getattr(part, "size", None)
    if isinstance(size, int):
        out["resized_to"] = f"{size}x{size}"
    return out


def describe_image_sizes(sizes: dict[str, Any], total: int) -> str:
    """``20x20, 24x24 (resized to 64x64 for training)``."""
    shown = sizes["sizes"][:6]
    text = ", ".join(shown) + (
        f" and {len(sizes['sizes']) - 6} more" if len(sizes["sizes"]) > 6 else ""
    )
    if sizes["sampled"] < total:
        text += f" (in {sizes['sampled']:,} of {total:,} files)"
    if "resized_to" in sizes:
        text += f" (resized to {sizes['resized_to']} for training)"
    return text


def summary(loaded: Any, models: Iterable[Any] = ()) -> dict[str, Any]:
    """A JSON-able description of a loaded dataset and the models that train on it."""
    out: dict[str, Any] = {"kind": loaded.kind, "items": len(loaded)}
    if loaded.val is not None:
        out["validation_items"] = len(
            loaded.val[0] if isinstance(loaded.val, tuple) else loaded.val
        )
    shapes = item_shapes(loaded)
    if shapes:
        out["shapes"] = shapes  # as a model receives an item
    sizes = image_sizes(loaded)
    if sizes:
        out["image_sizes"] = sizes  # as the files are on disk
    out.update({k: loaded.info[k] for k in SUMMARY_KEYS if k in loaded.info})
    out["models"] = [m.id for m in models if loaded.kind in m.dataset_kinds]
    skipped = loaded.info.get("skipped") or []
    out["skipped"] = [{"file": str(p), "reason": r} for p, r in skipped]
    return out
