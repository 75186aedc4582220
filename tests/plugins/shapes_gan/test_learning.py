"""The chapter 3 GANs really learn: numbers measured on samples, against an untrained
generator, after a short CPU training. These fail if learning breaks."""

from __future__ import annotations

import pytest

from studio.core import config as cfg
from studio.core.session import RunSampler, TrainSettings, create_engine


def train(plugins, tmp_path, model: str, steps: int, seed: int = 0) -> RunSampler:
    source = plugins.model_source(model)
    preset = {k: v for k, v in source.spec.presets["quick CPU"].items() if k != "steps"}
    config = cfg.build(source.spec.config_class, preset)
    settings = TrainSettings(
        steps=steps, seed=seed, device="cpu", sample_every=0, checkpoint_every=0
    )
    path = tmp_path / f"{model}-{steps}"
    result = create_engine(
        source, plugins.dataset(source.spec.default_dataset), config, settings, path
    ).run()
    assert result.state == "finished", result.message
    return RunSampler(path, plugins.resolve_run)


def test_number_gan_learns_multiples_of_5(plugins, tmp_path):
    untrained = train(plugins, tmp_path, "gan-numbers", 1).sample(seed=5, n=1000)
    trained = train(plugins, tmp_path, "gan-numbers", 800).sample(seed=5, n=1000)
    # 20 of the 100 integers are multiples of 5: chance is about 0.2.
    assert untrained.metrics["share_multiples_of_5"] < 0.5
    assert trained.metrics["share_multiples_of_5"] >= 0.9
    assert trained.metrics["distinct"] >= 3  # not one single number


@pytest.mark.slow
def test_shape_gan_learns_the_exponential_curve(plugins, tmp_path):
    """Fidelity (mean distance of generated points to the curve) and coverage (mean
    distance from points spread along the curve to the nearest generated point) add
    up to a symmetric (Chamfer) distance between generated and real distributions.
    An untrained generator puts every point near (0, 0): close to the curve's start,
    but covering none of it."""
    untrained = train(plugins, tmp_path, "gan-shape", 1).sample(seed=5, n=1000)
    trained = train(plugins, tmp_path, "gan-shape", 2000).sample(seed=5, n=1000)
    before = untrained.metrics["mean_distance"] + untrained.metrics["coverage_distance"]
    after = trained.metrics["mean_distance"] + trained.metrics["coverage_distance"]
    assert before > 20
    assert after < 0.2 * before, (before, after)
    assert trained.metrics["mean_distance"] < 3.0  # the data spans 0..50 by 1..47
    assert trained.metrics["coverage_distance"] < 3.0
    x = trained.points[:, 0]
    assert x.min() < 5 and x.max() > 35  # spread along the curve, not collapsed
