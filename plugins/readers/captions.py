"""Images with captions (text-to-image and CLIP data), in either of two layouts:

- a folder of images, each with a caption file of the same name beside it
  (``cat.png`` + ``cat.txt``); images without one are skipped and named;
- a CSV of ``file,caption`` rows (a header naming the columns, e.g. ``file,caption``
  or ``image,text``, is optional), dropped as the file or as the folder holding it.
  File names are relative to the CSV's folder; a name outside that folder (absolute,
  or climbing out with ``..``) is skipped, never read.

The result is kind ``captioned-images``: ``train`` is the image files decoded on
access (as the image folder reader's), ``info["captions"]`` the caption of each, in
the same order. ``accepts`` reads names and at most a few kilobytes (it runs on the
GUI thread on every drop); this module imports only the standard library until a
loader runs.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from .detect import PEEK_LIMIT, is_image

KIND = "captioned-images"
FILE_COLUMNS = ("file", "filename", "image", "path", "img")
CAPTION_COLUMNS = ("caption", "text", "prompt", "description", "title")
HEAD_BYTES = 4096
MAX_CAPTION_CHARS = 2000  # a caption file is a sentence or two; more is not a caption


def _names(folder: Path, limit: int = PEEK_LIMIT) -> list[str]:
    out = []
    try:
        with os.scandir(folder) as it:
            for entry in it:
                if not entry.name.startswith(".") and entry.is_file(follow_symlinks=False):
                    out.append(entry.name)
                    if len(out) >= limit:
                        break
    except OSError:
        return []
    return out


def _read_head(path: Path) -> str:
    try:
        with open(path, "rb") as fh:
            return fh.read(HEAD_BYTES).decode("utf-8-sig", errors="replace")
    except OSError:
        return ""


def _header(row: list[str]) -> tuple[int, int] | None:
    """(file column, caption column) when ``row`` is a header naming them."""
    names = [c.strip().lower() for c in row]
    files = [i for i, n in enumerate(names) if n in FILE_COLUMNS]
    captions = [i for i, n in enumerate(names) if n in CAPTION_COLUMNS]
    return (files[0], captions[0]) if files and captions else None


def _first_row(text: str) -> list[str]:
    try:
        return next(csv.reader(io.StringIO(text.splitlines()[0] if text else "")), [])
    except (csv.Error, IndexError):
        return []


def is_caption_csv(path: Path) -> bool:
    """A .csv whose first line is a file/caption header or a row naming an image."""
    if not (path.is_file() and path.suffix.lower() == ".csv"):
        return False
    row = _first_row(_read_head(path))
    return _header(row) is not None or (len(row) >= 2 and is_image(row[0].strip()))


def _caption_csvs(folder: Path) -> list[Path]:
    return sorted(
        folder / n
        for n in _names(folder)
        if n.lower().endswith(".csv") and is_caption_csv(folder / n)
    )


def _has_caption_files(folder: Path) -> bool:
    names = _names(folder)
    texts = {os.path.splitext(n)[0] for n in names if n.lower().endswith(".txt")}
    return any(is_image(n) and os.path.splitext(n)[0] in texts for n in names)


def accepts(path: Path) -> bool:
    """A caption CSV, or a folder of images with caption files or a caption CSV."""
    path = Path(path)
    if path.is_file():
        return is_caption_csv(path)
    return path.is_dir() and (_has_caption_files(path) or bool(_caption_csvs(path)))


def clean_caption(text: str) -> str:
    """One line, single spaces (a caption file may end with a newline or wrap)."""
    return " ".join(text.split())


def _read_caption(path: Path) -> tuple[str | None, str]:
    try:
        raw = path.read_bytes()[: MAX_CAPTION_CHARS * 4]
    except OSError as exc:
        return None, f"caption unreadable ({exc.strerror or exc})"
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, f"{path.name} is not UTF-8 text"
    caption = clean_caption(text)[:MAX_CAPTION_CHARS]
    return (caption, "") if caption else (None, f"{path.name} is empty")


def _from_caption_files(folder: Path, skipped: list[tuple[str, str]]) -> list[tuple[str, str]]:
    from .images import _check, _list_images

    pairs = []
    for image in _list_images(folder):
        text_path = Path(os.path.splitext(image)[0] + ".txt")
        if not text_path.is_file():
            skipped.append((image, f"no caption ({text_path.name} is missing)"))
            continue
        caption, why = _read_caption(text_path)
        reason = why or _check(image)
        if reason:
            skipped.append((image, reason))
        else:
            pairs.append((image, caption))
    return pairs


def _from_csv(path: Path, skipped: list[tuple[str, str]]) -> list[tuple[str, str]]:
    from studio import api

    from .images import _check

    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise api.DatasetError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise api.DatasetError(f"{path}: not UTF-8 text") from None
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise api.DatasetError(f"{path}: not a readable CSV ({exc})") from None
    columns = _header(rows[0]) if rows else None
    if columns is not None:
        rows = rows[1:]
    file_col, caption_col = columns or (0, 1)
    root = path.parent.resolve()
    pairs = []
    for number, row in enumerate(rows, start=2 if columns else 1):
        if not any(cell.strip() for cell in row):
            continue
        where = f"{path.name} line {number}"
        if len(row) <= max(file_col, caption_col):
            skipped.append((where, "needs a file and a caption"))
            continue
        name, caption = row[file_col].strip(), clean_caption(row[caption_col])
        image = (root / name).resolve()
        if Path(name).is_absolute() or not image.is_relative_to(root):
            skipped.append((where, f"{name} is outside the CSV's folder"))
        elif not is_image(name):
            skipped.append((where, f"{name} is not an image file name"))
        elif not caption:
            skipped.append((where, "empty caption"))
        elif not image.is_file():
            skipped.append((where, f"{name} does not exist"))
        elif reason := _check(str(image)):
            skipped.append((str(image), reason))
        else:
            pairs.append((str(image), caption[:MAX_CAPTION_CHARS]))
    return pairs


def load_captions(path: Path) -> object:
    """The ``captioned-images`` dataset at ``path`` (see the module docstring)."""
    from studio import api

    from .images import ImageFiles

    path = Path(path)
    skipped: list[tuple[str, str]] = []
    if path.is_file():
        pairs = _from_csv(path, skipped)
    elif csvs := _caption_csvs(path):
        pairs = [p for table in csvs for p in _from_csv(table, skipped)]
    else:
        pairs = _from_caption_files(path, skipped)
    if not pairs:
        raise api.DatasetError(
            f"{path}: no image with a caption ({len(skipped)} skipped"
            + (f"; first: {skipped[0][0]}: {skipped[0][1]}" if skipped else "")
            + ")"
        )
    captions = [c for _, c in pairs]
    return api.LoadedDataset(
        kind=KIND,
        train=ImageFiles([p for p, _ in pairs]),
        info={
            "captions": captions,
            "counts": {"images": len(pairs), "distinct captions": len(set(captions))},
            "skipped": skipped,
            "source": str(path),
        },
        name=path.stem if path.is_file() else path.name,
    )
