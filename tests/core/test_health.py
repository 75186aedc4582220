"""The health monitor: the judge's distribution scores checked against reference
formulas, and each alarm rule of docs/health.md triggered by the condition it names
(and quiet on a normal run)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from studio.core import judge
from studio.core.health import Alarm, HealthMonitor, Rules, build_health, parse_alarm
from studio.core.settings import build_settings


# --- the judge's scores ------------------------------------------------------------
def test_frechet_distance_equals_the_reference_formula():
    scipy_linalg = pytest.importorskip("scipy.linalg")
    g = torch.Generator().manual_seed(0)
    real = torch.randn(300, 6, generator=g, dtype=torch.float64)
    fake = torch.randn(200, 6, generator=g, dtype=torch.float64) * 1.5 + 0.3
    mu1, mu2 = real.mean(0).numpy(), fake.mean(0).numpy()
    c1, c2 = np.cov(real.numpy(), rowvar=False), np.cov(fake.numpy(), rowvar=False)
    # pytorch-fid's calculate_frechet_distance
    covmean = scipy_linalg.sqrtm(c1 @ c2).real
    expected = ((mu1 - mu2) ** 2).sum() + np.trace(c1) + np.trace(c2) - 2 * np.trace(covmean)
    assert judge.frechet_distance(real, fake) == pytest.approx(expected, rel=1e-6)
    assert judge.frechet_distance(real, real) == pytest.approx(0.0, abs=1e-9)
    # fewer samples than dimensions: singular covariances still give a finite distance
    assert math.isfinite(judge.frechet_distance(real[:4], fake[:3]))


def test_precision_and_recall_follow_kynkaanniemi():
    g = torch.Generator().manual_seed(1)
    real = torch.randn(200, 2, generator=g)
    assert judge.precision_recall(real, real.clone(), k=3) == (1.0, 1.0)
    far = real + 100.0
    assert judge.precision_recall(real, far, k=3) == (0.0, 0.0)
    # generated samples on one half of the real cloud: realistic (precision high) but
    # missing the other half (recall low), as a mode-dropping generator
    half = real[real[:, 0] > 0.3]
    p, r = judge.precision_recall(real, half, k=3)
    assert p == 1.0 and r < 0.6
    # the definition, computed the slow way
    fake = torch.randn(50, 2, generator=g) * 0.5
    d_rr = torch.cdist(real, real)
    radius_r = d_rr.sort(1).values[:, 3]
    radius_f = torch.cdist(fake, fake).sort(1).values[:, 3]
    want_p = np.mean(
        [any(torch.dist(f, x) <= radius_r[j] for j, x in enumerate(real)) for f in fake]
    )
    want_r = np.mean(
        [any(torch.dist(x, f) <= radius_f[i] for i, f in enumerate(fake)) for x in real]
    )
    assert judge.precision_recall(real, fake, k=3) == pytest.approx((want_p, want_r))


@pytest.fixture(scope="module")
def digits_judge():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a small network: one thread is several times cheaper
    try:
        return judge.load_judge("digits")
    finally:
        torch.set_num_threads(threads)


def test_the_digit_judge_scores_real_digits_high_and_constant_images_as_collapse(digits_judge):
    from studio.core.digits import load_digits
    from studio.core.prepare import prepare_images

    real = prepare_images(load_digits(32), 32, 1).train[0]
    pick = torch.randperm(len(real), generator=torch.Generator().manual_seed(5))[:64]
    good = digits_judge.score_images(real[pick])
    assert good["recognised"] > 0.9 and good["classes_covered"] >= 9
    assert good["precision"] > 0.8 and good["diversity"] > 0.7
    same = digits_judge.score_images(real[pick[:1]].expand(64, -1, -1, -1))
    assert same["classes_covered"] <= 1 and same["diversity"] == pytest.approx(0.0, abs=1e-6)
    assert same["frechet"] > 5 * good["frechet"] and same["recall"] < 0.1
    noise = digits_judge.score_images(torch.rand(64, 1, 32, 32) * 2 - 1)
    assert noise["recognised"] < 0.3 and noise["frechet"] > 5 * good["frechet"]
    assert set(good) == {
        "recognised",
        "classes_covered",
        "frechet",
        "precision",
        "recall",
        "diversity",
    }
    with pytest.raises(ValueError, match=r"^judge: 'mnist'"):
        judge.load_judge("mnist")


# --- alarms -------------------------------------------------------------------------
def feed(monitor: HealthMonitor, rows, grad=None) -> list[Alarm]:
    out = []
    for i, row in enumerate(rows):
        out += monitor.observe({"step": i + 1, **row}, grad[i] if grad else None)
    return out


def gan_rows(n, seed=0, d=0.6, g=1.0):
    rng = np.random.default_rng(seed)
    return [
        {"d_loss": d + 0.1 * rng.standard_normal(), "g_loss": g + 0.2 * rng.standard_normal()}
        for _ in range(n)
    ]


def test_mode_collapse_from_classes_covered_and_from_diversity():
    m = HealthMonitor()
    rows = [{"sample/judge_classes_covered": c, "sample/judge_diversity": 0.9} for c in (3, 8, 9)]
    rows += [{"sample/judge_classes_covered": 5, "sample/judge_diversity": 0.9}]
    rows += [{"sample/judge_classes_covered": 2, "sample/judge_diversity": 0.9}] * 3
    alarms = feed(m, rows)
    assert [a.name for a in alarms] == ["mode_collapse"]  # once, not at every preview
    assert alarms[0].step == 5 and "classes covered fell from 9 to 2" in alarms[0].text
    # an untrained generator's samples are alike but not identical: no alarm; a fall
    # from a healthy diversity, or one image repeated, is collapse
    assert feed(HealthMonitor(), [{"sample/diversity": 0.1}, {"sample/diversity": 0.15}]) == []
    (alarm,) = feed(HealthMonitor(), [{"sample/diversity": v} for v in (0.1, 0.8, 0.1)])
    assert alarm.step == 3 and "nearly alike (sample/diversity = 0.1" in alarm.text
    (alarm,) = feed(HealthMonitor(), [{"step": 100, "sample/judge_diversity": 0.0}])
    assert "nearly alike" in alarm.text
    # an untrained DCGAN's first samples are as alike (0.0009): not before step 100
    assert feed(HealthMonitor(), [{"step": 50, "sample/diversity": 0.0009}]) == []


def test_discriminator_winning():
    rows = gan_rows(300)
    rows += [{"d_loss": 0.01, "g_loss": 1.0 + i * 0.02} for i in range(600)]
    alarms = feed(HealthMonitor(), rows)
    assert [a.name for a in alarms] == ["discriminator_winning"]
    assert alarms[0].step == 300 + Rules().d_win_steps
    # a Wasserstein critic's loss is negative: not this rule's business
    wgan = [{"d_loss": -5.0 - i, "g_loss": float(i)} for i in range(400)]
    assert feed(HealthMonitor(), wgan) == []


def test_divergence_when_a_loss_jumps_by_a_factor():
    rows = [{"loss": 0.5 + 0.05 * math.sin(i)} for i in range(200)]
    rows += [{"loss": 40.0 + i} for i in range(20)]
    (alarm,) = feed(HealthMonitor(), rows)
    assert alarm.name == "divergence" and alarm.step > 200 and "loss jumped" in alarm.text
    # a condition that flickers does not repeat its alarm at every return
    flicker = rows + [{"loss": 0.5 if i % 7 == 0 else 50.0} for i in range(60)]
    assert [a.name for a in feed(HealthMonitor(), flicker)] == ["divergence"]
    # a GAN's generator loss rising tenfold while its discriminator wins is not divergence
    gan = [{"d_loss": 0.7, "g_loss": 0.4}] * 50 + [{"d_loss": 0.01, "g_loss": 5.0}] * 50
    assert feed(HealthMonitor(), gan) == []


def test_overfitting_when_validation_rises_while_training_falls():
    rows = []
    for v in range(12):
        train = 1.0 * 0.8**v
        val = [0.9, 0.7, 0.6, 0.55, 0.56, 0.6, 0.66, 0.72, 0.8, 0.9, 1.0, 1.1][v]
        rows += [{"loss": train}] * 9 + [{"loss": train, "val/loss": val}]
    (alarm,) = feed(HealthMonitor(), rows)
    assert alarm.name == "overfitting" and "val/loss rose" in alarm.text
    assert alarm.step == 70  # the 7th validation: 20% above the best, 3 validations on


def test_gradient_norm_explosion_and_nan():
    norms = [2.0 + 0.1 * (i % 3) for i in range(30)] + [5e3] + [2.0] * 100 + [float("nan")] * 4
    rows = [{"loss": 1.0}] * len(norms)
    alarms = feed(HealthMonitor(), rows, norms)
    # once, then again only after 100 calm measurements
    assert [(a.name, a.step) for a in alarms] == [
        ("gradient_explosion", 31),
        ("gradient_explosion", 132),
    ]
    assert alarms[0].step == 31 and "2381x its recent median 2.1" in alarms[0].text
    assert "NaN is near" in alarms[1].text


def test_an_alarm_is_a_message_the_window_and_the_cli_parse_back():
    alarm = Alarm(1900, "mode_collapse", "classes covered fell from 9 to 2")
    line = alarm.message()
    assert line == "alarm at step 1,900 (mode collapse): classes covered fell from 9 to 2"
    assert parse_alarm(line + "\nmore") == alarm
    assert parse_alarm("checkpoint written at step 5") is None


def test_no_false_alarm_on_a_normal_gan_run():
    rows = gan_rows(3000, seed=3)
    for i in range(0, 3000, 250):
        rows[i] = {
            **rows[i],
            "sample/judge_classes_covered": 8 + i % 3,
            "sample/judge_diversity": 0.8,
        }
    assert feed(HealthMonitor(), rows, [1.0 + 0.3 * math.sin(i) for i in range(3000)]) == []


def test_settings_build_the_monitor():
    assert build_health(build_settings({"alarms": False})) is None
    m = build_health(build_settings({"judge": "digits"}), judge_loader=lambda name: name)
    assert m.judge == "digits" and m.alarms


# --- alarms in real runs -------------------------------------------------------------
def _engine(plugins, model, path, config, **settings):
    from studio.core import config as cfg
    from studio.core.session import create_engine

    source = plugins.model_source(model)
    built = cfg.build(source.spec.config_class, config)
    quiet = {"device": "cpu", "checkpoint_every": 0, "sample_every": 0}
    dataset = plugins.dataset(source.spec.default_dataset)
    return create_engine(source, dataset, built, build_settings(quiet, settings), path)


def _alarms(path) -> list[Alarm]:
    from studio.core.rundir import RunDir

    lines = RunDir(path).events().splitlines()
    return [a for a in (parse_alarm(line.split(" ", 2)[-1]) for line in lines) if a]


def test_a_generator_frozen_to_a_constant_raises_mode_collapse(
    plugins, tmp_path, digits_judge, capsys
):
    torch.set_num_threads(1)
    config = {"image_size": 32, "ngf": 16, "ndf": 16}
    engine = _engine(
        plugins, "dcgan", tmp_path / "r", config, steps=110, sample_every=55, judge="digits"
    )
    for p in engine.trainer.generator.parameters():
        p.data.zero_()  # every latent gives the same image
        p.requires_grad_(False)
    assert engine.run().state == "finished"
    (alarm,) = _alarms(tmp_path / "r")
    assert (alarm.name, alarm.step) == ("mode_collapse", 110)
    from studio.core.rundir import RunDir

    rows = [r for r in RunDir(tmp_path / "r").read_metrics() if "sample/judge_frechet" in r]
    # the judge's figures are in metrics.jsonl at every preview
    assert [r["step"] for r in rows] == [0, 55, 110]
    assert rows[-1]["sample/judge_classes_covered"] <= 1
    # the same figures and the alarm from the command line
    from studio import cli

    assert cli.main(["runs", "--health", str(tmp_path / "r")]) == 0
    out = capsys.readouterr().out
    assert "sample/judge_frechet" in out and "alarm at step 110 (mode collapse)" in out
    assert cli.main(["runs", "--health", str(tmp_path / "none")]) == 2
    assert capsys.readouterr().err.strip() == (
        f"genai-studio-cli: error: --health: {tmp_path / 'none'} holds no run (no config.json)"
    )


def test_a_learning_rate_of_10_raises_divergence(plugins, tmp_path):
    torch.set_num_threads(1)
    engine = _engine(plugins, "classifier", tmp_path / "r", {"lr": 10.0}, steps=40)
    engine.run()  # finished or NaN: the alarm came first
    names = [a.name for a in _alarms(tmp_path / "r")]
    assert names[0] == "divergence"


def test_no_alarm_on_normal_quick_runs(plugins, tmp_path):
    """The chapter 3 GAN's quick preset (a tenth of it) and the classifier's (to its
    early stop) with alarms on: nothing fires. docs/health.md lists longer checks."""
    torch.set_num_threads(1)
    spec = plugins.models["gan-shape"]
    config = {k: v for k, v in spec.presets["quick CPU"].items() if k != "steps"}
    engine = _engine(plugins, "gan-shape", tmp_path / "gan", config, steps=300, sample_every=50)
    assert engine.run().state == "finished"
    assert _alarms(tmp_path / "gan") == []
