"""Collect garbage between these tests, at a point where no Qt event is being handled.

Without it, running tests/ui/test_sample_gallery.py and this folder in one process
segfaults (PySide6 6.11.3, pyqtgraph 0.14.0): a timer event reaches a freed QObject
(``QObject::event`` -> 0x2) while pytest-qt processes events after the gallery test,
when a collection of earlier tests' pyqtgraph view cycles happened to run mid-test.
Reported to the lead; not understood yet.
"""

from __future__ import annotations

import gc

import pytest


@pytest.fixture(autouse=True)
def _collect_between_tests():
    gc.collect()
    yield
    gc.collect()
