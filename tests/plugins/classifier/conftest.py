"""One training of the book's multi-class recipe, shared by the classifier's tests."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(scope="session")
def book_run(plugins, tmp_path_factory):
    from studio.testing import train_run
    from studio_plugins.classifier import BOOK_MULTICLASS

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small networks: one thread is cheaper on a busy machine
    try:
        path = tmp_path_factory.mktemp("classifier") / "book"
        steps = BOOK_MULTICLASS["steps"]
        return train_run("classifier", steps, path=path, preset="book", manager=plugins)
    finally:
        torch.set_num_threads(threads)
