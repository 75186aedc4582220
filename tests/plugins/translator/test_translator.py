"""The translator through the engine: it learns number words (held-out exact matches
and chrF well above an untrained model's), validates with loss, BLEU and chrF, writes
translation samples with attention, translates typed text greedy / beam / sampled
(streamed, cancellable), keeps its tokenizers and its split in the run, resumes, and
its "book" preset is the book's listing."""

from __future__ import annotations

import pytest
import torch

from studio import api
from studio.testing import sample_run, stream_run
from studio_plugins.translator import BOOK
from studio_plugins.translator.sample import Translation

STEPS = 600  # conftest.STEPS: the shared run's length


def test_learns_number_words_and_logs_loss_bleu_chrf(run):
    from studio.core.rundir import RunDir

    metrics = RunDir(run.path).read_metrics()
    vals = [r for r in metrics if "val/loss" in r]
    assert [r["step"] for r in vals] == [STEPS // 2, STEPS]
    first, last = vals
    assert last["val/loss"] < first["val/loss"]
    assert last["val/exact"] >= 0.5, last  # untrained: 0
    assert last["val/chrf"] >= 80, last  # untrained: about 8
    assert 0 <= last["val/bleu"] <= 100
    prep = run.dataset["prep"]  # the held-out split, recorded in the run
    assert prep["split"] == "by source sentence" and prep["split_seed"] == 0
    assert prep["train_pairs"] == 900 and prep["val_pairs"] == 100


def test_previews_are_translations_with_attention(run):
    steps = [s for s, _ in run.sample_files()]
    assert steps == [0, STEPS // 2, STEPS]
    sample = run.load_sample(STEPS)
    assert isinstance(sample, Translation) and len(sample.sources) == 3
    for i in range(3):
        cross = sample.cross_attention[i]
        assert cross.shape == (1, 4, len(sample.target_tokens[i]), len(sample.source_tokens[i]))
        assert abs(float(cross.sum(-1).mean()) - 1.0) < 1e-2  # rows are distributions
        assert sample.encoder_attention[i].shape[-1] == len(sample.source_tokens[i])
    assert sample.target_tokens[0][-1] == "</s>"
    assert "exact" in sample.metrics


def test_translates_text_greedy_beam_and_sampled(run, manager):
    text = "seventy-one\nfour hundred eighty"
    greedy = sample_run(run, options={"text": text}, manager=manager)
    assert greedy.sources == ["seventy-one", "four hundred eighty"]
    assert greedy.beams == [] and len(greedy.translations) == 2
    beam = sample_run(run, options={"text": text, "beams": "4"}, manager=manager)
    assert [len(b) for b in beam.beams] == [4, 4]
    for beams in beam.beams:
        scores = [s for _, s in beams]
        assert scores == sorted(scores, reverse=True)
    assert beam.translations[0] == beam.beams[0][0][0]
    assert "seventy-one -> " in beam.summary()  # what the CLI prints
    one = sample_run(run, seed=5, options={"text": text, "decoding": "sample"}, manager=manager)
    again = sample_run(run, seed=5, options={"text": text, "decoding": "sample"}, manager=manager)
    assert one.translations == again.translations  # the seed decides
    with pytest.raises(api.ConfigError, match=r"^decoding"):
        sample_run(run, options={"decoding": "nope"}, manager=manager)


def test_streams_token_by_token_and_cancels(run, manager):
    parts = list(stream_run(run, options={"text": "seven hundred twelve"}, manager=manager))
    assert len(parts) >= 3 and not parts[0].final and parts[-1].final
    lengths = [len(p.translations[0]) for p in parts[:-1]]
    assert lengths == sorted(lengths) and lengths[0] < lengths[-1]
    assert parts[-1].translations[0].startswith(parts[-2].translations[0][:3])
    token = api.CancelToken()
    stream = stream_run(
        run, options={"text": "seven hundred twelve"}, cancel=token, manager=manager
    )
    next(stream)
    token.cancel()
    with pytest.raises(api.SamplingCancelled):
        next(stream)


def test_sample_file_round_trips(run, tmp_path, manager):
    sample = sample_run(run, options={"text": "twelve", "beams": "2"}, manager=manager)
    path = sample.save(tmp_path / "s")
    assert path.suffix == ".npz"
    back = Translation.load(path)
    assert back.to_json() == sample.to_json()
    assert back.cross_attention[0].shape == sample.cross_attention[0].shape


def test_resumes_from_its_checkpoint(run, manager, tmp_path, numbers_below_1000):
    import shutil

    from studio.core.session import resume_engine

    copy = tmp_path / "copy"
    shutil.copytree(run.path, copy)

    def resolve(record):
        return manager.model_source(record.model), api.DatasetSpec(
            "numbers-1000", "n", "", "text-pairs", numbers_below_1000
        )

    engine = resume_engine(copy, resolve, total_steps=STEPS + 2)
    assert engine.step == STEPS and engine.run().state == "finished"


def test_book_preset_is_the_books_listing(manager):
    listing = {
        "encoder_layers": 6,
        "decoder_layers": 6,
        "d_model": 256,
        "heads": 8,
        "d_ff": 1024,
        "dropout": 0.1,
        "label_smoothing": 0.1,
        "lr_factor": 1.0,
        "warmup_steps": 2000,
        "beta1": 0.9,
        "beta2": 0.98,
        "eps": 1e-9,
        "batch_size": 128,
    }
    spec = manager.models["translator"]
    assert spec.presets["book"] is BOOK
    assert {k: BOOK[k] for k in listing} == listing
    assert BOOK["activation"] == "relu"  # the fix: the listing has no non-linearity
    from studio.core import config as cfg
    from studio.core.settings import split_settings

    for preset in spec.presets.values():
        cfg.build(spec.config_class, split_settings(preset)[0])


def test_onnx_encoder_and_decoder_match_torch_in_onnxruntime(
    run, manager, tmp_path, numbers_below_1000
):
    ort = pytest.importorskip("onnxruntime")
    import numpy as np

    from studio.core.run_sampler import RunSampler

    exporters = manager.exporters
    data = api.DatasetSpec("numbers-1000", "n", "", "text-pairs", numbers_below_1000)
    sampler = RunSampler(run.path, lambda record: (manager.model_source(record.model), data))
    trainer = sampler.trainer()
    exporters["translator-onnx-encoder"].export(trainer, tmp_path / "enc.onnx")
    exporters["translator-onnx-decoder"].export(trainer, tmp_path / "dec.onnx")
    src = trainer.source_ids(["three hundred seventy-one", "twelve"])
    tgt = torch.tensor([[1, 5, 6, 7], [1, 8, 9, 0]])
    with torch.no_grad():
        trainer.model.eval()
        memory = trainer.model.encode(src)
        logits = trainer.model.decode(tgt, memory, trainer.model.source_mask(src))
    enc = ort.InferenceSession(str(tmp_path / "enc.onnx"))
    dec = ort.InferenceSession(str(tmp_path / "dec.onnx"))
    (mem,) = enc.run(None, {"src": src.numpy()})
    assert np.allclose(mem, memory.numpy(), atol=1e-4)
    (out,) = dec.run(None, {"tgt": tgt.numpy(), "memory": mem, "src": src.numpy()})
    assert np.allclose(out, logits.numpy(), atol=1e-3)


def test_passes_the_studio_contract_checks(manager, tmp_path, numbers_below_1000):
    from studio.testing import check_plugin_contract

    data = api.DatasetSpec("numbers-1000", "n", "", "text-pairs", numbers_below_1000)
    report = check_plugin_contract(manager, "translator", tmp_path, dataset=data)
    assert report.checks[-1] == "resumes"
