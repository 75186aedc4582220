"""GPT-2 checkpoints in the Hugging Face layout load into our GPT exactly: a tiny random
GPT-2 built and saved with ``transformers`` gives the same logits through our model,
its tokenizer the same ids, and the trainer continues training it."""

from __future__ import annotations

import json
import math

import pytest
import torch

from studio import api
from studio.core import config as cfg
from studio.core.session import TrainSettings, create_engine

transformers = pytest.importorskip("transformers", reason="transformers (a dev dependency)")

VOCAB = 300


@pytest.fixture(scope="module")
def gpt2_folder(tmp_path_factory):
    """A tiny random GPT-2 (2 layers, 4 heads, 48 wide, 32 positions) saved with
    save_pretrained, plus a byte-level BPE of the same vocabulary size."""
    from tokenizers import ByteLevelBPETokenizer
    from transformers import GPT2Config, GPT2LMHeadModel

    from studio_plugins.text_gen.data import python_docs_text

    folder = tmp_path_factory.mktemp("gpt2-tiny")
    torch.manual_seed(0)
    conf = GPT2Config(
        vocab_size=VOCAB,
        n_positions=32,
        n_embd=48,
        n_layer=2,
        n_head=4,
        resid_pdrop=0.0,
        embd_pdrop=0.0,
        attn_pdrop=0.0,
    )
    model = GPT2LMHeadModel(conf)
    with torch.no_grad():  # LayerNorms start at 1 and biases at 0: make every tensor count
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    model.save_pretrained(folder, safe_serialization=True)
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(
        [python_docs_text()[:100_000]],
        vocab_size=VOCAB,
        special_tokens=["<|endoftext|>"],
        show_progress=False,
    )
    bpe.save_model(str(folder))
    return folder, model.eval()


def test_logits_match_transformers(gpt2_folder):
    from studio_plugins.text_gen.gpt2_weights import load_gpt2

    folder, hf = gpt2_folder
    assert {"config.json", "model.safetensors", "vocab.json", "merges.txt"} <= {
        p.name for p in folder.iterdir()
    }
    ours = load_gpt2(folder).eval()
    assert ours.shape.n_layer == 2 and ours.shape.block_size == 32 and ours.shape.gelu_tanh
    idx = torch.randint(VOCAB, (3, 32), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected = hf(idx).logits
        got, _ = ours(idx)
    assert got.shape == expected.shape
    err = (got - expected).abs().max().item()
    assert err < 1e-5, err  # observed 4e-7
    # The cached generation path gives the same next-token logits as a full pass.
    with torch.no_grad():
        logits, cache = ours.next_logits(idx[:, :10], None)
        torch.testing.assert_close(logits, expected[:, 9], atol=1e-5, rtol=0)
        logits, cache = ours.next_logits(idx[:, :11], cache)
        torch.testing.assert_close(logits, expected[:, 10], atol=1e-5, rtol=0)


def test_tokenizer_matches_transformers(gpt2_folder):
    from transformers import GPT2TokenizerFast

    from studio_plugins.text_gen import tokenization

    folder, _ = gpt2_folder
    ours = tokenization.load_gpt2(folder)
    theirs = GPT2TokenizerFast(str(folder / "vocab.json"), str(folder / "merges.txt"))
    text = "The  quick brown fox, 'jumps' over\n\tthe lazy dog: \u00e9t\u00e9 \u2014 ok."
    assert ours.encode(text) == theirs.encode(text)
    assert ours.decode(ours.encode(text)) == text


def test_missing_files_are_named(tmp_path, gpt2_folder):
    from studio_plugins.text_gen.gpt2_weights import check_folder

    folder, _ = gpt2_folder
    with pytest.raises(api.DatasetError, match="is not a folder"):
        check_folder(tmp_path / "nowhere")
    partial = tmp_path / "partial"
    partial.mkdir()
    (partial / "config.json").write_text((folder / "config.json").read_text())
    with pytest.raises(api.DatasetError) as err:
        check_folder(partial)
    message = str(err.value)
    for name in ("model.safetensors", "vocab.json", "merges.txt"):
        assert name in message
    assert "config.json" not in message.split("lacks")[1].split(".")[0]
    assert "nothing is downloaded" in message


def test_unsupported_variant_is_refused(tmp_path, gpt2_folder):
    from studio_plugins.text_gen.gpt2_weights import read_shape

    folder, _ = gpt2_folder
    conf = json.loads((folder / "config.json").read_text())
    conf["scale_attn_by_inverse_layer_idx"] = True
    (tmp_path / "config.json").write_text(json.dumps(conf))
    with pytest.raises(api.DatasetError, match="scale_attn_by_inverse_layer_idx"):
        read_shape(tmp_path)


def test_trainer_continues_gpt2_on_the_corpus(plugins, tmp_path, gpt2_folder):
    folder, _ = gpt2_folder
    source = plugins.model_source("gpt")
    config = cfg.build(
        source.spec.config_class,
        {
            "pretrained": str(folder),
            "block_size": 64,
            "batch_size": 4,
            "val_batches": 2,
            "preview_tokens": 10,
            "lr": 1e-3,
            "warmup_steps": 0,
        },
    )
    settings = TrainSettings(steps=10, device="cpu", sample_every=0, checkpoint_every=0)
    engine = create_engine(source, plugins.dataset("python-docs"), config, settings, tmp_path / "r")
    trainer = engine.trainer
    assert trainer.tokenizer.kind == "gpt2" and trainer.tokenizer.vocab_size == VOCAB
    assert trainer.context == 32  # the checkpoint's 32 positions cap the asked 64
    first = trainer.validate()["loss"]
    assert engine.run().state == "finished"
    last = trainer.validate()["loss"]
    assert math.isfinite(last) and last < first  # it learns from the text
    with trainer.eval_mode():
        options = source.spec.sample_options(prompt="The", max_new_tokens=40)
        sample = trainer.sample(torch.Generator().manual_seed(0), 1, options)
    assert sample.texts[0].startswith("The") and len(sample.texts[0]) > 3
