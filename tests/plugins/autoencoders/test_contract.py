"""The standard contract checks (loads, the form and every preset build, trains through
the engine, checkpoints, samples the same at the same seed, resumes) for both models."""

from __future__ import annotations

import pytest

from studio.testing import check_plugin_contract, load_only


@pytest.mark.parametrize(("model", "preset"), [("autoencoder", None), ("vae", "quick CPU")])
def test_passes_the_contract_checks(model, preset, tmp_path, studio_one_thread):
    # The VAE's defaults are the book's 256 x 256 colour network: too big for a CPU test.
    report = check_plugin_contract(
        load_only(["autoencoders"]), model, tmp_path, steps=2, preset=preset
    )
    assert report.checks[-1] == "resumes"
    assert report.sample.kind == ("image-pairs" if model == "autoencoder" else "images")
