"""Set-up for the text generation tests: OpenMP threads that do not spin."""

from __future__ import annotations

import os
import sys

import pytest

# As the app does (studio/app.py): OpenMP threads that spin while they wait make every
# torch op crawl when other processes share the two cores (seen here: a 10 s training
# took minutes under load). OpenMP reads this when torch is first imported, which is
# after this file when this folder runs on its own.
_POLICY_APPLIES = "OMP_WAIT_POLICY" in os.environ or "torch" not in sys.modules
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


@pytest.fixture(autouse=True)
def _one_thread_if_openmp_spins():
    """In a larger session torch was imported before this file, with spinning threads:
    then one thread is faster on a shared machine than two that spin against each other."""
    if _POLICY_APPLIES:
        yield
        return
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
