"""The language models really learn: a short CPU training on tiny Shakespeare (90/10
split, character level) brings the validation loss far below the unigram entropy of
the text, i.e. far below what knowing only letter frequencies gives."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import pytest
import torch

from studio import api
from studio.core import config as cfg
from studio.core.rundir import RunDir
from studio.core.session import TrainSettings, create_engine

SHAKESPEARE = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "tinyshakespeare.txt"
needs_data = pytest.mark.skipif(
    not SHAKESPEARE.is_file(), reason=f"{SHAKESPEARE} is absent (../shared/data)"
)

# Small and fast on two CPU cores; a high learning rate for a short schedule.
RUNS = {
    "gpt": {
        "size": "custom",
        "n_layer": 2,
        "n_head": 4,
        "n_embd": 128,
        "block_size": 32,
        "batch_size": 32,
        "dropout": 0.0,
        "lr": 4e-3,
        "min_lr": 4e-4,
        "warmup_steps": 20,
        "decay_steps": 300,
    },
    "lstm": {
        "embed": 32,
        "hidden": 128,
        "layers": 1,
        "dropout": 0.0,
        "block_size": 32,
        "batch_size": 32,
        "lr": 1e-2,
        "min_lr": 1e-3,
        "warmup_steps": 20,
        "decay_steps": 300,
    },
}


def unigram_entropy(text: str) -> float:
    """Entropy in nats of the character distribution: the loss of the best model that
    ignores context."""
    counts = Counter(text)
    n = len(text)
    return -sum(c / n * math.log(c / n) for c in counts.values())


def shakespeare_spec() -> api.DatasetSpec:
    def load() -> api.LoadedDataset:
        text = SHAKESPEARE.read_text(encoding="utf-8")
        return api.LoadedDataset(kind="text", train=api.TextCorpus(text), info={"text": text})

    return api.DatasetSpec("tinyshakespeare", "Tiny Shakespeare", "", "text", load)


@needs_data
@pytest.mark.slow
@pytest.mark.parametrize("model", ["gpt", "lstm"])
def test_char_model_beats_the_unigram_entropy(plugins, tmp_path, model):
    text = SHAKESPEARE.read_text(encoding="utf-8")
    entropy = unigram_entropy(text[: int(len(text) * 0.9)])
    assert 3.2 < entropy < 3.4  # 3.31 nats: the text's letter frequencies alone

    source = plugins.model_source(model)
    config = cfg.build(source.spec.config_class, RUNS[model], {"val_batches": 10})
    settings = TrainSettings(
        steps=300, seed=0, device="cpu", sample_every=0, checkpoint_every=0, validate_every=150
    )
    engine = create_engine(source, shakespeare_spec(), config, settings, tmp_path / "r")
    trainer = engine.trainer

    def spelling() -> float:
        with trainer.eval_mode():
            g = torch.Generator().manual_seed(0)
            options = source.spec.sample_options(prompt="ROMEO:\n", max_new_tokens=150)
            sample = trainer.sample(g, 4, options)
        return sample.metrics["known_words"]

    untrained, untrained_spelling = trainer.validate()["loss"], spelling()
    result = engine.run()
    assert result.state == "finished", result.message
    vals = [r["val/loss"] for r in RunDir(tmp_path / "r").read_metrics() if "val/loss" in r]
    assert len(vals) == 2
    # Untrained: about ln(65) = 4.17. Observed after 300 steps: GPT 2.10, LSTM 2.01.
    assert untrained > entropy
    assert vals[-1] < 0.7 * entropy, (vals, entropy)
    assert vals[-1] < vals[0]
    # It starts to spell: the share of generated words (3+ letters) that are words of
    # the play. Observed: untrained 0.0; trained GPT 0.27, LSTM 0.48.
    trained_spelling = spelling()
    assert trained_spelling > max(0.15, 3 * untrained_spelling), (
        untrained_spelling,
        trained_spelling,
    )
