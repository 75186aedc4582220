"""Choosing a reader for a dropped path: every reader is asked; the highest priority
among those that accept wins; several at that priority are a tie the user settles."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from studio.core.contributions import ReaderSpec


def accepting(readers: Iterable[ReaderSpec], path: Path) -> list[ReaderSpec]:
    """Readers that accept ``path``, best first. A reader whose ``accepts`` raises is
    treated as not accepting (a broken plugin must not break a drop)."""
    out = []
    for reader in readers:
        try:
            if reader.accepts(Path(path)):
                out.append(reader)
        except Exception:
            continue
    return sorted(out, key=lambda r: -r.priority)


def best_readers(readers: Iterable[ReaderSpec], path: Path) -> list[ReaderSpec]:
    """The winning reader, or several when they tie at the top priority; [] if none."""
    found = accepting(readers, path)
    if not found:
        return []
    top = found[0].priority
    return [r for r in found if r.priority == top]


def formats(readers: Iterable[ReaderSpec]) -> list[str]:
    """The file patterns installed readers understand, for messages."""
    return sorted({p for r in readers for p in r.patterns})
