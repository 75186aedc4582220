"""Durations as people read them, for the window's status bar and the CLI's progress."""

from __future__ import annotations


def format_eta(seconds: float) -> str:
    """``m:ss``, or ``h:mm:ss`` from an hour on; negative values read as 0."""
    m, s = divmod(int(max(0, seconds)), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
