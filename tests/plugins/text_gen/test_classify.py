"""Fine-tuning for classification: the labelled-text readers (class folders, a
text<TAB>label .tsv, and what they leave to the built-in readers), the classifier's
contract through the engine, and that it learns to tell two real sources apart."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest
import torch

from studio.core import config as cfg
from studio.core.contributions import ENGINE_PRESET_KEYS
from studio.core.readers import best_readers
from studio.core.rundir import RunDir
from studio.core.session import RunSampler, TrainSettings, create_engine, resume_engine

SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "data"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason=f"{SHARED} is absent")
TINY = {
    "size": "nano",
    "block_size": 48,
    "batch_size": 16,
    "warmup_steps": 5,
    "preview_texts": 3,
}


def best(plugins, path: Path) -> list[str]:
    return [r.id for r in best_readers(plugins.readers.values(), path)]


def test_readers_accept_class_folders_and_label_tsv(plugins, tmp_path):
    folder = tmp_path / "reviews"
    for label, texts in {
        "good": ["great fun", "loved it", "superb"],
        "bad": ["dull", "awful"],
    }.items():
        (folder / label).mkdir(parents=True)
        for i, t in enumerate(texts):
            (folder / label / f"{i}.txt").write_text(t + "\n")
    (folder / "README.txt").write_text("not a class")  # the text reader also accepts now
    assert best(plugins, folder) == ["labelled-text-folder"]
    data = plugins.readers["labelled-text-folder"].load(folder)
    assert data.kind == "labelled-text" and data.info["classes"] == ["bad", "good"]
    assert sorted(zip(data.info["texts"], data.info["labels"], strict=True)) == sorted(
        [("great fun", 1), ("loved it", 1), ("superb", 1), ("dull", 0), ("awful", 0)]
    )

    lines_folder = tmp_path / "lines"  # one file per class: its lines are the texts
    for label in ("a", "b"):
        (lines_folder / label).mkdir(parents=True)
        (lines_folder / label / "all.txt").write_text(f"{label} one\n\n{label} two\n")
    data = plugins.readers["labelled-text-folder"].load(lines_folder)
    assert data.info["texts"] == ["a one", "a two", "b one", "b two"]

    tsv = tmp_path / "labels.tsv"
    rows = [f"sentence number {i}\t{'pos' if i % 3 else 'neg'}" for i in range(30)]
    tsv.write_text("text\tlabel\n" + "\n".join(rows) + "\n")
    assert best(plugins, tsv) == ["labelled-text-tsv"]
    data = plugins.readers["labelled-text-tsv"].load(tsv)
    assert data.info["classes"] == ["neg", "pos"] and len(data) == 30  # header skipped

    pairs = tmp_path / "pairs.tsv"  # every second column distinct: parallel text
    pairs.write_text("\n".join(f"hello {i}\tbonjour {i}" for i in range(30)) + "\n")
    assert best(plugins, pairs) == ["text-pairs"]


@needs_shared
def test_real_parallel_text_stays_with_the_pairs_reader(plugins):
    assert best(plugins, SHARED / "eng-fra-18k.tsv") == ["text-pairs"]
    assert best(plugins, SHARED / "tinyshakespeare.txt") == ["text"]


def test_classifier_trains_validates_samples_and_resumes(plugins, tmp_path):
    source = plugins.model_source("gpt-classifier")
    dataset = plugins.dataset(source.spec.default_dataset)
    config = cfg.build(source.spec.config_class, TINY)
    settings = TrainSettings(
        steps=20, device="cpu", sample_every=10, checkpoint_every=10, validate_every=10
    )
    result = create_engine(source, dataset, config, settings, tmp_path / "r").run()
    assert result.state == "finished", result.message
    rows = RunDir(tmp_path / "r").read_metrics()
    assert len([r for r in rows if "loss" in r]) == 20
    vals = [r for r in rows if "val/accuracy" in r]
    assert [r["step"] for r in vals] == [10, 20]
    assert all(0.0 <= r["val/accuracy"] <= 1.0 and math.isfinite(r["val/loss"]) for r in vals)
    assert any("sample/accuracy" in r for r in rows)

    sampler = RunSampler(tmp_path / "r", plugins.resolve_run)
    shown = sampler.sample(seed=1, n=4)
    assert len(shown.texts) == 4 and 0.0 <= shown.metrics["accuracy"] <= 1.0
    assert all(t.startswith("[") for t in shown.texts)
    probs = sampler.sample(seed=0, options={"text": "Return the number of items in the container."})
    lines = probs.texts[0].splitlines()
    assert sorted(line.split(":")[0] for line in lines) == ["docstring", "reference"]
    total = sum(float(line.split(": ")[1].rstrip("%")) for line in lines)
    assert abs(total - 100.0) < 0.2

    engine = resume_engine(tmp_path / "r", plugins.resolve_run, total_steps=25)
    assert engine.step == 20 and engine.run().state == "finished"


def test_stratified_split_holds_out_every_class():
    from studio_plugins.text_gen.classify import stratified_split

    labels = [0] * 50 + [1] * 10 + [2] * 3
    train, val = stratified_split(labels, 0.2)
    assert sorted(train + val) == list(range(len(labels)))
    assert [sum(labels[i] == c for i in val) for c in (0, 1, 2)] == [10, 2, 1]
    assert stratified_split(labels, 0.2) == (train, val)  # fixed


@needs_shared
@pytest.mark.slow
def test_classifier_tells_shakespeare_from_python_docs(plugins, tmp_path):
    """Lines of tiny Shakespeare against lines of CPython's reference prose, 400 of each,
    as a text<TAB>label file; chance is 50%."""
    from studio_plugins.text_gen.data import python_docs_text

    rng = random.Random(0)

    def lines(text: str) -> list[str]:
        found = [line.strip() for line in text.splitlines() if len(line.strip()) >= 30]
        found = [line for line in found if "\t" not in line]
        return rng.sample(found, 400)

    shakespeare = lines((SHARED / "tinyshakespeare.txt").read_text(encoding="utf-8"))
    docs = lines(python_docs_text())
    tsv = tmp_path / "sources.tsv"
    rows = [f"{t}\tshakespeare" for t in shakespeare] + [f"{t}\tpython" for t in docs]
    rng.shuffle(rows)
    tsv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    dataset = plugins.dataset_from_path(tsv)
    source = plugins.model_source("gpt-classifier")
    preset = {k: v for k, v in source.spec.presets["quick CPU"].items()}
    steps = 150
    config = cfg.build(
        source.spec.config_class,
        {k: v for k, v in preset.items() if k not in ENGINE_PRESET_KEYS},
        {"decay_steps": steps},
    )
    settings = TrainSettings(
        steps=steps, device="cpu", sample_every=0, checkpoint_every=0, validate_every=75
    )
    engine = create_engine(source, dataset, config, settings, tmp_path / "r")
    before = engine.trainer.validate()["accuracy"]
    assert engine.run().state == "finished"
    after = engine.trainer.validate()["accuracy"]
    assert len(engine.trainer.val[2]) == 160  # 20% of each class held out
    # Observed: 0.44 before, 0.99 after 150 steps.
    assert after >= 0.85, (before, after)
    with engine.trainer.eval_mode():
        text = "O Romeo, Romeo, wherefore art thou Romeo?"
        options = source.spec.sample_options(text=text)
        verdict = engine.trainer.sample(torch.Generator(), None, options)
    assert verdict.texts[0].startswith("shakespeare")
