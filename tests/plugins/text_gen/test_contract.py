"""Contract tests of the text generation plugin: it loads, its forms build, its models
train a few steps through the real engine, validate, sample with typed options
(streaming, cancellable), checkpoint, resume exactly, and carry their tokenizer in the
run; runs written before 1.1 (with the model's own val_every) still sample and resume."""

from __future__ import annotations

import json
import math

import pytest
import torch

from studio import api
from studio.core import config as cfg
from studio.core.checkpoint import load_checkpoint
from studio.core.contributions import ENGINE_PRESET_KEYS
from studio.core.rundir import RunDir
from studio.core.session import RunSampler, TrainSettings, create_engine, resume_engine

MODELS = ["gpt", "lstm"]
# Small enough that a step takes milliseconds on two CPU cores.
TINY = {
    "gpt": {
        "size": "nano",
        "block_size": 32,
        "batch_size": 8,
        "dropout": 0.1,
        "val_batches": 2,
        "preview_tokens": 20,
    },
    "lstm": {
        "embed": 16,
        "hidden": 32,
        "layers": 2,
        "block_size": 32,
        "batch_size": 8,
        "dropout": 0.1,
        "val_batches": 2,
        "preview_tokens": 20,
    },
}


def make(plugins, path, model, steps, extra=None, **settings):
    source = plugins.model_source(model)
    config = cfg.build(source.spec.config_class, TINY[model], extra or {})
    defaults = {"sample_every": 0, "checkpoint_every": 0, "validate_every": 5}
    run_settings = TrainSettings(steps=steps, device="cpu", **{**defaults, **settings})
    return create_engine(
        source, plugins.dataset(source.spec.default_dataset), config, run_settings, path
    )


def test_plugin_loads_with_its_models_and_dataset(plugins):
    assert plugins.records["text_gen"].ok, plugins.records["text_gen"].errors
    for model in MODELS:
        spec = plugins.models[model]
        assert spec.default_dataset == "python-docs"
        # the book has no classification fine-tuning: that preset is named for what it is
        book = "GPT-2 fine-tuning" if model == "gpt-classifier" else "book"
        assert set(spec.presets) == {book, "quick CPU"}
        assert plugins.datasets[spec.default_dataset].kind in spec.dataset_kinds
        for preset in spec.presets.values():  # every preset builds a valid config
            cfg.build(
                spec.config_class,
                {k: v for k, v in preset.items() if k not in ENGINE_PRESET_KEYS},
            )
            assert preset["validate_every"] > 0  # validation comes from the engine
        assert spec.sample_options is not None
        assert "val_every" not in {f.name for f in cfg.describe(spec.config_class)}


@pytest.mark.parametrize("model", MODELS)
def test_trains_validates_samples_checkpoints_and_resumes(plugins, tmp_path, model):
    result = make(plugins, tmp_path / "r", model, 20, sample_every=10, checkpoint_every=10).run()
    assert result.state == "finished", result.message
    run = RunDir(tmp_path / "r")
    rows = run.read_metrics()
    losses = [r["loss"] for r in rows if "loss" in r]
    assert len(losses) == 20 and all(math.isfinite(v) for v in losses)
    vals = [r for r in rows if "val/loss" in r]
    assert [r["step"] for r in vals] == [5, 10, 15, 20]
    assert all(
        math.isclose(r["val/perplexity"], math.exp(r["val/loss"]), rel_tol=1e-6) for r in vals
    )
    assert losses[-1] < losses[0]  # 20 steps already move a 100-way softmax
    assert run.checkpoint_steps() == [10, 20]
    assert any("sample/known_words" in r for r in rows)  # previews are logged
    prep = run.record().dataset["prep"]  # the split the run trained on, recorded
    assert prep["split"] == "contiguous" and prep["val_fraction"] > 0

    sampler = RunSampler(tmp_path / "r", plugins.resolve_run)
    options = {"prompt": "The ", "max_new_tokens": "15"}  # strings, as the CLI passes
    sample = sampler.sample(seed=3, n=2, options=options)
    assert sample.kind == "text" and len(sample.texts) == 2
    assert all(t.startswith("The ") and len(t) > len("The ") for t in sample.texts)
    typed = sampler.options(options)
    again = RunSampler(tmp_path / "r", plugins.resolve_run).sample(seed=3, n=2, options=typed)
    assert sample.to_json() == again.to_json()  # same seed, same checkpoint, same text
    with pytest.raises(api.ConfigError, match=r"^temperature: 'abc' is not a valid float"):
        sampler.sample(options={"temperature": "abc"})

    engine = resume_engine(tmp_path / "r", plugins.resolve_run, total_steps=25)
    assert engine.step == 20 and engine.run().state == "finished"
    assert run.checkpoint_steps()[-1] == 25


@pytest.mark.parametrize("model", MODELS)
def test_resume_is_exact(plugins, tmp_path, model):
    """12 steps, then 12 more after a resume, equal 24 straight (dropout on: the RNG
    and the batch order must both come back)."""
    straight = make(plugins, tmp_path / "a", model, 24, checkpoint_every=12)
    assert straight.run().state == "finished"
    first = make(plugins, tmp_path / "b", model, 12, checkpoint_every=12)
    assert first.run().state == "finished"
    resumed = resume_engine(tmp_path / "b", plugins.resolve_run, total_steps=24)
    assert resumed.run().state == "finished"
    wa, sa = load_checkpoint(RunDir(tmp_path / "a").latest_checkpoint())
    wb, sb = load_checkpoint(RunDir(tmp_path / "b").latest_checkpoint())
    assert wa.keys() == wb.keys()
    for k in wa:
        assert torch.equal(wa[k], wb[k]), k
    la = [r["loss"] for r in RunDir(tmp_path / "a").read_metrics() if "loss" in r]
    lb = [r["loss"] for r in RunDir(tmp_path / "b").read_metrics() if "loss" in r]
    assert la == lb
    assert sa["trainer"]["tokenizer"] == sb["trainer"]["tokenizer"]


@pytest.mark.parametrize("kind", ["char", "word", "bpe"])
def test_tokenizer_round_trips_through_the_run(plugins, tmp_path, kind):
    from studio_plugins.text_gen import tokenization

    engine = make(plugins, tmp_path / "r", "gpt", 2, {"tokenizer": kind, "vocab_size": 600})
    assert engine.run().state == "finished"
    trained = engine.trainer.tokenizer
    _, state = load_checkpoint(RunDir(tmp_path / "r").latest_checkpoint())
    saved = state["trainer"]["tokenizer"]
    assert saved["kind"] == kind
    restored = tokenization.from_state(saved)
    assert restored.vocab_size == trained.vocab_size
    assert engine.trainer.model.transformer.wte.num_embeddings == trained.vocab_size
    if kind != "char":
        assert restored.vocab_size == 600
    # Common words only, so that even a 600-word vocabulary holds every piece.
    text = "The value of the name is a list of the objects in the class.\n\n  if x:\n"
    ids = trained.encode(text)
    assert restored.encode(text) == ids
    assert restored.decode(ids) == text
    # A resumed run uses the tokenizer stored in its checkpoint.
    resumed = resume_engine(tmp_path / "r", plugins.resolve_run, total_steps=3)
    assert resumed.trainer.tokenizer.state() == saved


def test_sampling_streams_token_by_token_and_cancels(plugins, tmp_path):
    engine = make(plugins, tmp_path / "r", "gpt", 5)
    engine.run()
    trainer = engine.trainer
    options = trainer_options(plugins, prompt="def ", max_new_tokens=30)
    with trainer.eval_mode():
        parts = list(trainer.sample_stream(torch.Generator().manual_seed(7), 2, options))
        whole = trainer.sample(torch.Generator().manual_seed(7), 2, options)
    # One part per character token, each the text so far; the last is the sample.
    assert len(parts) == 31 and parts[-1].to_json() == whole.to_json()
    assert "known_words" in parts[-1].metrics and not parts[0].metrics
    for k, part in enumerate(parts[:-1]):
        for i in (0, 1):
            assert len(part.texts[i]) == len("def ") + k + 1
            assert whole.texts[i].startswith(part.texts[i])

    token = api.CancelToken()
    got = []
    long = trainer_options(plugins, prompt="def ", max_new_tokens=500)
    with trainer.eval_mode(), pytest.raises(api.SamplingCancelled):
        for part in trainer.sample_stream(torch.Generator().manual_seed(7), 1, long, token):
            got.append(part.texts[0])
            if len(got) == 5:
                token.cancel()  # as Stop or Ctrl-C would, from another thread
    with trainer.eval_mode():
        one = trainer.sample(torch.Generator().manual_seed(7), 1, options)
    assert len(got) == 5 and got[-1] == one.texts[0][: len("def ") + 5]


def trainer_options(plugins, **values):
    from studio.core.sampling import build_options

    return build_options(plugins.models["gpt"].sample_options, values)


@pytest.mark.parametrize("model", MODELS)
def test_a_run_written_before_1_1_still_samples_and_resumes(plugins, tmp_path, model):
    """Runs of the 1.0 plugin kept the model's own val_every in their config: they
    sample, and resume validating at that cadence (now the engine's)."""
    assert make(plugins, tmp_path / "r", model, 6, checkpoint_every=6).run().state == "finished"
    data = json.loads((tmp_path / "r" / "config.json").read_text())
    data["config"]["val_every"] = 2
    for record in (data, data.get("settings", {})):
        record.pop("validate_every", None)
    data.setdefault("extra", {}).pop("validate_every", None)
    (tmp_path / "r" / "config.json").write_text(json.dumps(data))
    sample = RunSampler(tmp_path / "r", plugins.resolve_run).sample(seed=0)
    assert sample.texts and sample.texts[0]
    engine = resume_engine(tmp_path / "r", plugins.resolve_run, total_steps=10)
    assert engine.run().state == "finished"
    vals = [r["step"] for r in RunDir(tmp_path / "r").read_metrics() if "val/loss" in r]
    assert [s for s in vals if s > 6] == [8, 10]


def test_sampling_options_change_the_distribution(plugins, tmp_path):
    engine = make(plugins, tmp_path / "r", "gpt", 3)
    engine.run()
    trainer = engine.trainer

    def draw(**values):
        options = trainer_options(plugins, prompt="a", max_new_tokens=40, **values)
        with trainer.eval_mode():
            return trainer.sample(torch.Generator().manual_seed(11), 4, options).texts

    greedy = draw(temperature=0.0)
    assert len(set(greedy)) == 1  # greedy ignores the generator: all four equal
    assert len(set(draw(temperature=1.0))) == 4
    assert len(set(draw(temperature=1.0, top_k=1))) == 1  # top-1 is greedy
    assert draw(temperature=1.0, top_k=1) == greedy
    # The nucleus of one token: the likeliest alone reaches 0.001 (a vocabulary of a
    # few hundred characters at most).
    assert draw(temperature=1.0, top_p=0.001) == greedy


def test_too_short_text_is_a_clear_error(plugins):
    from studio import api

    source = plugins.model_source("gpt")
    config = cfg.build(source.spec.config_class, TINY["gpt"])
    short = api.LoadedDataset(kind="text", train=(torch.zeros(10),), info={"text": "hello " * 5})
    with pytest.raises(api.DatasetError, match="too short"):
        source.spec.trainer_factory(config, short, torch.device("cpu"))
    empty = api.LoadedDataset(kind="text", train=(torch.zeros(10),), info={})
    with pytest.raises(api.DatasetError, match="holds no text"):
        source.spec.trainer_factory(config, empty, torch.device("cpu"))
