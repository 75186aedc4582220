"""One short CycleGAN run on the embedded digit domains, shared by this folder's
tests (training it once keeps them inside the suite's time budget)."""

from __future__ import annotations

import pytest

# The quick CPU preset with narrower networks: the tests check learning and plumbing,
# the bench (bench/image_to_image_cyclegan.py) the preset itself.
TINY = {"ngf": 8, "ndf": 8, "blocks": 2, "batch_size": 8, "lr": 2e-3, "decay_steps": 0}
STEPS = 40


@pytest.fixture(scope="session")
def cyclegan_manager():
    from studio.testing import load_only

    return load_only(["cyclegan", "readers"])  # readers: a dropped two-domain folder


@pytest.fixture(scope="session")
def cyclegan_run(cyclegan_manager, tmp_path_factory):
    """A run of ``STEPS`` steps, with previews at 0, 20 and 40 and one checkpoint."""
    import torch

    from studio.testing import train_run

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny networks: one thread is faster on a busy machine
    try:
        return train_run(
            "cyclegan",
            STEPS,
            path=tmp_path_factory.mktemp("cyclegan") / "run",
            preset="quick CPU",
            config=TINY,
            manager=cyclegan_manager,
            sample_every=20,
            seed=0,
        )
    finally:
        torch.set_num_threads(threads)
