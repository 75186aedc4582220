"""A reader for parallel text as a two-column CSV (source, target), next to the
built-in tab-separated pairs reader. A CSV of numbers stays the table reader's: this
one accepts a file only when its first rows have two columns of words."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from studio import api

SNIFF_BYTES = 16 * 1024
# A first row of two of these names is a header (csv.Sniffer cannot tell a header from
# a pair of sentences); any other first row is a pair.
HEADER_NAMES = {
    "source", "target", "src", "tgt", "input", "output", "text", "translation",
    "english", "french", "german", "spanish", "italian", "portuguese", "dutch",
    "en", "fr", "de", "es", "it", "pt", "nl", "eng", "fra", "deu", "spa",
}  # fmt: skip


def _rows(text: str) -> list[list[str]]:
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;")
    except csv.Error:
        dialect = csv.excel
    return [r for r in csv.reader(io.StringIO(text, newline=""), dialect) if any(r)]


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def accepts(path: Path) -> bool:
    """Cheap: a .csv whose first rows are two cells, mostly not numbers."""
    path = Path(path)
    if not path.is_file() or path.suffix.lower() != ".csv":
        return False
    try:
        with path.open("rb") as f:
            head = f.read(SNIFF_BYTES).decode("utf-8-sig", errors="replace")
    except OSError:
        return False
    lines = head.splitlines()[:-1] or head.splitlines()  # the last may be cut
    rows = _rows("\n".join(lines[:20]))
    if not rows or any(len(r) != 2 for r in rows):
        return False
    cells = [c for r in rows for c in r]
    return sum(not _is_number(c) for c in cells) > len(cells) // 2


class PairList:
    """A map-style dataset of (source, target) strings."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self.pairs = pairs

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, index: int) -> tuple[str, str]:
        return self.pairs[index]


def load(path: Path) -> api.LoadedDataset:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise api.DatasetError(f"{path}: cannot read it as UTF-8 text ({exc})") from None
    rows = _rows(text)
    skipped, pairs = [], []
    header = bool(rows) and all(c.strip().lower() in HEADER_NAMES for c in rows[0])
    for number, row in enumerate(rows[1:] if header else rows, start=2 if header else 1):
        if len(row) != 2 or not row[0].strip() or not row[1].strip():
            skipped.append((f"{path}:{number}", "not two non-empty columns"))
            continue
        pairs.append((row[0].strip(), row[1].strip()))
    if not pairs:
        raise api.DatasetError(f"{path}: no two-column text rows ({len(skipped)} skipped)")
    return api.LoadedDataset(
        kind="text-pairs",
        train=PairList(pairs),
        info={"pairs": len(pairs), "skipped": skipped, "source": str(path)},
        name=path.stem,
    )
