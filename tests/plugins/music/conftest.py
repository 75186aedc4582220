"""Set-up for the music tests: one torch thread and OpenMP threads that do not spin
(as the app sets; on a shared 2-core machine spinning threads make tiny networks
crawl), for the module-scoped trainings too."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


@pytest.fixture(scope="module", autouse=True)
def _one_thread_per_module():
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
