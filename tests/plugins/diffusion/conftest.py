"""Fixtures the text-to-image and CLIP test modules share."""

from __future__ import annotations

import pytest
import torch

from studio.testing import load_only


@pytest.fixture(scope="module")
def one_thread():
    """One torch thread for a module whose runs are trained once, module-scoped: on a
    busy machine, tiny networks spin-wait on several threads' synchronisation."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def manager():
    return load_only(["diffusion"])
