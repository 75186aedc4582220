"""One small translator trained once for the whole folder (module fixtures would
train it twice): number words below 1,000, a one-layer model, 600 steps."""

from __future__ import annotations

import pytest
import torch

from studio import api
from studio.testing import load_only, train_run
from studio_plugins.translator.numbers import english, french
from studio_plugins.translator.pairs_csv import PairList

# Measured over engine seeds 0, 1, 2 (2-core machine, one thread): exact matches on
# the 100 held-out numbers 0.80, 0.67, 0.73 and chrF 91.0, 91.0, 91.7 after 600 steps
# (about 11 CPU-seconds); an untrained model: 0.0 and about 8.
STEPS = 600
TINY = {
    "encoder_layers": 1,
    "decoder_layers": 1,
    "d_model": 64,
    "heads": 4,
    "d_ff": 128,
    "dropout": 0.0,
    "batch_size": 32,
    "vocab_size": 100,
    "warmup_steps": 100,
    "lr_factor": 2.0,
    "grad_clip": 1.0,
    "val_sentences": 100,
}


def _numbers_below_1000() -> api.LoadedDataset:
    pairs = [(english(n), french(n)) for n in range(1000)]
    return api.LoadedDataset(kind="text-pairs", train=PairList(pairs), name="numbers-1000")


@pytest.fixture(scope="session")
def manager():
    return load_only(["translator"])


@pytest.fixture(scope="session")
def run(manager, tmp_path_factory):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return train_run(
            "translator",
            STEPS,
            path=tmp_path_factory.mktemp("translator") / "run",
            dataset=_numbers_below_1000(),
            config=TINY,
            manager=manager,
            validate_every=STEPS // 2,
            sample_every=STEPS // 2,
            checkpoint_every=STEPS // 2,
        )
    finally:
        torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def numbers_below_1000():
    """The loader of the shared run's data (to resume or sample it)."""
    return _numbers_below_1000
