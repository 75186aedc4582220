"""The example plugin's own tests, written as a plugin author writes them: with the
fixtures and helpers of GenAI Studio's pytest plugin (``studio.testing``), with no
import of the app's internals (``studio.core``) or of its test code."""

from __future__ import annotations

import math

import pytest
import torch

from studio.testing import sample_run, train_run

pytestmark = pytest.mark.studio_plugins("flow2d")


def test_passes_the_studio_contract_checks(studio_contract):
    report = studio_contract("flow2d", steps=3)
    assert report.checks == ["loads", "form builds", "trains", "checkpoints", "samples", "resumes"]
    assert report.fields == ["batch_size", "lr", "couplings", "hidden"]
    assert report.sample.points.shape == (512, 2)


def test_the_flow_is_invertible_and_its_density_integrates_to_one():
    from studio_flow2d.trainer import RealNVP

    torch.manual_seed(0)
    flow = RealNVP(couplings=4, hidden=16)
    for layer in flow.layers:  # random, non-identity couplings
        torch.nn.init.normal_(layer.net[-1].weight, std=0.5)
    x = torch.randn(64, 2)
    z = x
    for layer in flow.layers:
        z, _ = layer(z)
    assert torch.allclose(flow.sample(z), x, atol=1e-5)
    # The density on a fine grid sums to ~1: the log-determinant is right.
    axis = torch.linspace(-8, 8, 401)
    grid = torch.stack(torch.meshgrid(axis, axis, indexing="ij"), -1).reshape(-1, 2)
    with torch.no_grad():
        mass = flow.log_prob(grid).exp().sum() * (axis[1] - axis[0]) ** 2
    assert math.isclose(float(mass), 1.0, abs_tol=0.02)


def test_learns_the_eight_modes(studio_manager, tmp_path, studio_one_thread):
    def train(steps: int):
        run = train_run(
            "flow2d",
            steps,
            path=tmp_path / f"run{steps}",
            dataset="eight-gaussians",
            config={"couplings": 6, "hidden": 32},
            manager=studio_manager,
        )
        return sample_run(run, seed=0, n=2000, manager=studio_manager)

    before, after = train(1), train(400)
    # Untrained, the flow is the identity: a Gaussian blob at the origin, off the ring.
    assert before.metrics["off_ring"] > 0.7
    assert after.metrics["modes_covered"] == 8
    assert after.metrics["off_ring"] < 0.35


def test_temperature_narrows_the_samples(studio_manager, tmp_path):
    config = {"couplings": 2, "hidden": 8}
    run = train_run("flow2d", 2, path=tmp_path / "r", config=config, manager=studio_manager)
    hot = sample_run(run, seed=1, n=500, options={"temperature": 1.0}, manager=studio_manager)
    cold = sample_run(run, seed=1, n=500, options={"temperature": 0.2}, manager=studio_manager)
    assert cold.points.std() < hot.points.std() / 2


def test_trains_on_a_dropped_table_of_points(studio_contract, studio_datasets, tmp_path):
    """A user's two-column data read by the built-in readers: the points2d fixture."""
    from studio.api import DatasetSpec

    loaded = studio_datasets["points2d"]
    spec = DatasetSpec("tiny", "tiny", "", loaded.kind, lambda: loaded)
    report = studio_contract("flow2d", steps=2, dataset=spec)
    assert report.resumed_to == 4


def test_the_widget_builds_and_shows_a_sample(studio_window, qtbot):
    from studio.api import Points

    window = studio_window
    assert window.model_id == "flow2d"
    widget = window.sampling_widgets["flow2d"]
    assert widget.sample_options() == {"temperature": 1.0}
    widget.show_sample(Points(points=torch.randn(10, 2).numpy()))
