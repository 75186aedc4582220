"""Numeric tables and tensors: CSV, .npy and .npz, read without unpickling."""

from __future__ import annotations

import csv
import io
import math
import zipfile
from pathlib import Path

import numpy as np
import torch

from studio import api

from .text import read_text

PICKLE_REFUSED = (
    "{path}: {what} holds object arrays, which NumPy can only read by unpickling, and "
    "unpickling runs code from the file; it is refused. Save the data as numeric "
    "arrays (or JSON) instead"
)


def load_csv(path: Path) -> api.LoadedDataset:
    text = read_text(path)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t ")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = [
            r
            for r in csv.reader(io.StringIO(text, newline=""), dialect)
            if any(c.strip() for c in r)
        ]
    except csv.Error as exc:
        raise api.DatasetError(f"{path}: not a CSV table ({exc})") from None
    if not rows:
        raise api.DatasetError(f"{path}: the file is empty")
    header = None
    try:
        [float(c) for c in rows[0]]
    except ValueError:
        header, rows = rows[0], rows[1:]
    width = len(header) if header else len(rows[0]) if rows else 0
    values, skipped = [], []
    for number, row in enumerate(rows, start=2 if header else 1):
        try:
            if len(row) != width:
                raise ValueError(f"{len(row)} fields, expected {width}")
            numbers = [float(c) for c in row]
        except ValueError as exc:
            skipped.append((f"{path}:{number}", f"not a row of {width} numbers ({exc})"))
            continue
        bad = [c.strip() for c, v in zip(row, numbers, strict=True) if not math.isfinite(v)]
        if bad:  # float() reads nan and inf, which would reach the model as NaN losses
            skipped.append((f"{path}:{number}", f"not finite ({', '.join(bad)})"))
            continue
        values.append(numbers)
    if not values:
        raise api.DatasetError(f"{path}: no rows of numbers ({len(skipped)} skipped)")
    data = torch.tensor(values, dtype=torch.float32)
    return api.LoadedDataset(
        kind="table",
        train=(data,),
        info={
            "columns": header or [f"c{i}" for i in range(width)],
            "rows": len(values),
            "skipped": skipped,
            "source": str(path),
        },
        name=path.stem,
    )


def _numeric(array: np.ndarray, path: Path, what: str) -> torch.Tensor:
    if array.dtype.kind not in "biuf":
        raise api.DatasetError(f"{path}: {what} has dtype {array.dtype}, not numbers")
    return torch.from_numpy(np.ascontiguousarray(array))


def _magic(path: Path) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(6)
    except OSError as exc:
        raise api.DatasetError(f"{path}: cannot read it ({exc})") from None


def load_npy(path: Path) -> api.LoadedDataset:
    magic = _magic(path)
    if magic.startswith(b"PK"):
        raise api.DatasetError(f"{path}: an .npz archive named .npy; rename it to .npz")
    if magic != b"\x93NUMPY":
        # np.load would take anything else for a pickle
        raise api.DatasetError(f"{path}: not a NumPy array file (no .npy header)")
    try:
        array = np.load(path, allow_pickle=False)
    except ValueError as exc:
        if "allow_pickle" in str(exc):
            raise api.DatasetError(PICKLE_REFUSED.format(path=path, what="the file")) from None
        raise api.DatasetError(f"{path}: not a NumPy array file ({exc})") from None
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise api.DatasetError(f"{path}: cannot read it ({exc})") from None
    tensor = _numeric(array, path, "the array")
    if tensor.ndim == 0 or len(tensor) == 0:
        raise api.DatasetError(f"{path}: the array is empty")
    return api.LoadedDataset(
        kind="tensor",
        train=(tensor,),
        info={"shape": list(tensor.shape), "source": str(path)},
        name=path.stem,
    )


def load_npz(path: Path) -> api.LoadedDataset:
    if not _magic(path).startswith(b"PK"):
        raise api.DatasetError(f"{path}: not a NumPy .npz archive (not a zip file)")
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise api.DatasetError(f"{path}: not a NumPy .npz archive ({exc})") from None
    arrays = {}
    with archive:
        for name in archive.files:
            try:
                arrays[name] = _numeric(archive[name], path, f"array {name!r}")
            except ValueError as exc:
                if "allow_pickle" in str(exc):
                    raise api.DatasetError(
                        PICKLE_REFUSED.format(path=path, what=f"array {name!r}")
                    ) from None
                raise api.DatasetError(f"{path}: array {name!r}: {exc}") from None
            except (OSError, zipfile.BadZipFile, EOFError) as exc:
                raise api.DatasetError(f"{path}: array {name!r} is damaged ({exc})") from None
    if not arrays:
        raise api.DatasetError(f"{path}: the archive holds no arrays")
    first = next(iter(arrays))
    train = arrays.get("train", arrays[first])
    return api.LoadedDataset(
        kind="tensor",
        train=(train,),
        info={
            "arrays": {k: list(v.shape) for k, v in arrays.items()},
            "all": arrays,
            "source": str(path),
        },
        name=path.stem,
    )
