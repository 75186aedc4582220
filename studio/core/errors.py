"""Error types shared by the core and plugins (torch-free)."""

from __future__ import annotations


class DatasetError(ValueError):
    """Data cannot be read. The message names the file and the reason; it is the only
    exception a dataset reader lets escape."""
