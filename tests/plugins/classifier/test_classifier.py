"""The chapter 2 classifiers: the book's presets, learning on the embedded digits, the
early stop that restores the best weights, the binary task, the report and the
classification of an image file. One training of the book recipe is shared."""

from __future__ import annotations

import pytest
import torch

from studio.core.run_sampler import RunSampler
from studio.testing import sample_run, train_run
from studio_plugins.classifier import BOOK_BINARY, BOOK_MULTICLASS, DIGITS_EPOCH
from studio_plugins.classifier.mlp_network import MLPClassifier


def test_the_book_presets_are_the_listings(plugins):
    spec = plugins.models["classifier"]
    # docs/classifiers.md, "The book's listings": 784-256-128-64-10 and 784-256-128-32-1,
    # Adam 1e-3, batches of 64, 28x28 greyscale; early stopping on the validation loss
    # with patience 10, at most 100 epochs; the binary net has dropout 0.25, 50 epochs.
    multi = spec.presets["book"]
    assert multi == BOOK_MULTICLASS
    assert (multi["architecture"], multi["task"], multi["image_size"]) == ("mlp", "multi-class", 28)
    assert (multi["lr"], multi["batch_size"], multi["dropout"]) == (1e-3, 64, 0.0)
    assert (multi["stop_metric"], multi["stop_patience"]) == ("val/loss", 10)
    assert multi["steps"] == 100 * DIGITS_EPOCH and multi["validate_every"] == DIGITS_EPOCH
    binary = spec.presets["book binary"]
    assert binary == BOOK_BINARY
    assert (binary["task"], binary["dropout"], binary["lr"]) == ("binary", 0.25, 1e-3)
    widths = [
        m.out_features for m in MLPClassifier(784, 10).modules() if hasattr(m, "out_features")
    ]
    assert widths == [256, 128, 64, 10]
    widths = [m.out_features for m in MLPClassifier(784, 1).modules() if hasattr(m, "out_features")]
    assert widths == [256, 128, 32, 1]


def test_dropout_sits_after_hidden_layers_never_on_the_output():
    net = MLPClassifier(784, 1, dropout=0.25)
    layers = [*net.body, net.head]
    assert isinstance(layers[-1], torch.nn.Linear)
    assert [type(m).__name__ for m in layers[1:5]] == ["Linear", "ReLU", "Dropout", "Linear"]


def test_the_book_recipe_learns_the_digits(book_run, plugins):
    report = sample_run(book_run, manager=plugins)
    assert report.kind == "classification"
    m = report.matrix()
    assert m.shape == (10, 10) and m.sum() == 180  # the 10% test split of 1,797
    # a held-out accuracy an untrained net (about 0.1) cannot reach
    assert report.accuracy() >= 0.95 and report.metrics["accuracy"] == report.accuracy()
    wrong = len(report.true)
    assert wrong == m.sum() - m.trace() and report.images.shape == (wrong, 28, 28, 1)
    for t, p, probs in zip(report.true, report.predicted, report.probs, strict=True):
        assert t != p and max(probs) == probs[p]
    per_class = report.per_class()
    assert sum(c["support"] for c in per_class) == 180


def test_early_stopping_restores_the_best_weights(book_run, plugins):
    status = book_run.status()
    assert "val/loss did not improve for 10 validations; best at step" in status["message"]
    assert status["message"].endswith("restored")
    rows = _val_rows(book_run)
    best = min(r["val/loss"] for r in rows)
    stopped = rows[-1]["step"]
    assert stopped < BOOK_MULTICLASS["steps"]  # it stopped early
    best_step = next(r["step"] for r in rows if r["val/loss"] == best)
    assert stopped - best_step == 10 * DIGITS_EPOCH
    trainer = RunSampler(book_run.path, plugins.resolve_run).trainer()
    with trainer.eval_mode():
        final = trainer.validate()["loss"]
    assert final == pytest.approx(best, rel=1e-5)  # the best weights, not the last
    assert rows[-1]["val/loss"] > best  # the last weights were worse


def _val_rows(run):
    import json

    lines = (run.path / "metrics.jsonl").read_text().splitlines()
    return [r for r in map(json.loads, lines) if "val/loss" in r]


def test_binary_task_on_two_chosen_classes(plugins, tmp_path):
    torch.set_num_threads(1)
    run = train_run("classifier", 60, path=tmp_path / "b", preset="book binary", manager=plugins)
    report = sample_run(run, manager=plugins)
    assert report.class_names == ["0", "9"]
    assert 30 <= report.matrix().sum() <= 40  # 10% of the 358 zeros and nines
    assert report.accuracy() >= 0.95
    # in evaluation mode the dropout is off: the same image, the same probabilities
    again = sample_run(run, seed=3, manager=plugins)
    assert again.probs == report.probs


def test_classify_an_image_file(book_run, plugins, tmp_path):
    from PIL import Image

    from studio.core.digits import load_digits

    loaded = load_digits(32)
    images, labels = loaded.train
    i = int((labels == 7).nonzero()[0])
    Image.fromarray(images[i, 0].numpy()).save(tmp_path / "seven.png")
    report = sample_run(book_run, options={"image": str(tmp_path / "seven.png")}, manager=plugins)
    assert report.true == [-1] and len(report.probs[0]) == 10
    assert report.class_names[report.predicted[0]] == "7"
    assert sum(report.probs[0]) == pytest.approx(1.0, abs=1e-4)
    assert "classified as 7" in report.summary()
    with pytest.raises(Exception, match="image: cannot read"):
        sample_run(book_run, options={"image": str(tmp_path / "none.png")}, manager=plugins)


def test_a_classifier_run_judges_a_generator(book_run, plugins, tmp_path):
    from studio.core import config as cfg
    from studio.core import judge
    from studio.core.config import ConfigError
    from studio.core.digits import load_digits
    from studio.core.prepare import prepare_images
    from studio.core.rundir import RunDir
    from studio.core.session import create_engine
    from studio.core.settings import build_settings

    with pytest.raises(ConfigError, match=r"^judge: .* needs the app's plugins"):
        judge.load_judge(str(book_run.path))
    health = judge.load_judge(str(book_run.path), resolve=plugins.resolve_run)
    real = prepare_images(load_digits(32), 32, 1).train[0][:64]  # 32x32: resized for it
    scores = health.score_images(real)
    assert scores["recognised"] > 0.8 and scores["classes_covered"] == 10
    # attached to a DCGAN's run: its figures are logged at every preview
    source = plugins.model_source("dcgan")
    config = cfg.build(source.spec.config_class, {"image_size": 32, "ngf": 16, "ndf": 16})
    settings = build_settings(
        {"steps": 4, "sample_every": 2, "device": "cpu", "judge": str(book_run.path)}
    )
    engine = create_engine(
        source, plugins.dataset("digits"), config, settings, tmp_path / "g",
        resolve=plugins.resolve_run,
    )  # fmt: skip
    assert engine.run().state == "finished"
    rows = [r for r in RunDir(tmp_path / "g").read_metrics() if "sample/judge_frechet" in r]
    assert [r["step"] for r in rows] == [0, 2, 4]
