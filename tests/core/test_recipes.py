"""The chapter recipes: the list, the book's printed figures, the CLI, and the "book"
presets of chapters 3, 8 and 12 held to the values of the book's listings (so they
cannot drift; docs/recipes.md lists the same values and the book's bugs we fix)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from studio.cli import main
from studio.core import recipes
from studio.core.book_figures import BOOK_FIGURES

SHARED = Path(__file__).resolve().parents[2].parent / "shared"


def test_every_chapter_from_2_to_15_but_9_and_11_has_a_recipe():
    chapters = {r.chapter for r in recipes.all_recipes()}
    assert chapters == set(range(2, 16)) - {9, 11}  # 9 is read (attention), 11 loads GPT-2
    ids = [r.id for r in recipes.all_recipes()]
    assert len(ids) == len(set(ids))
    with pytest.raises(KeyError, match="no recipe 'ch99'; the recipes are: ch02-binary"):
        recipes.recipe("ch99")


def test_book_curves_are_on_the_optimizer_step_axis():
    multi = recipes.recipe("ch02-multiclass")
    curves = {c.metric: c for c in multi.book_curves()}
    assert set(curves) == {"loss", "val/loss"}
    # printed as epoch 1..19, 782 steps an epoch: epoch 19 ends at step 14,858
    assert curves["val/loss"].points[-1] == (19 * 782, 0.37737590074539185)
    assert multi.book_final()["test_accuracy"] == pytest.approx(0.88196656)
    binary = recipes.recipe("ch02-binary").book_curves()[0]
    assert binary.points[0][0] == 188  # printed as epoch 0: the end of the first epoch
    assert recipes.recipe("ch08-lstm").book_curves() == []  # the book printed nothing


@pytest.mark.skipif(not (SHARED / "book-figures.json").exists(), reason="no ../shared")
def test_embedded_figures_equal_the_books_notebooks():
    shared = json.loads((SHARED / "book-figures.json").read_text())["chapters"]
    for key, ours in BOOK_FIGURES.items():
        theirs = shared[key]
        for field in ("unit", "x_index_base", "steps_per_unit", "series", "final"):
            assert ours[field] == theirs[field], (key, field)


def test_cli_lists_the_recipes(capsys):
    assert main(["recipes"]) == 0
    out = capsys.readouterr().out
    assert "ch03-shape" in out and "ready" in out
    assert "the book printed: test_accuracy 0.882" in out
    assert "train --recipe ID [--quick]" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--recipe", "ch99"], "--recipe: no recipe 'ch99'"),
        (["--quick", "--model", "gan-shape"], "--quick goes with --recipe"),
        (["--recipe", "ch03-shape", "--model", "gan-shape"], "leave out --model"),
    ],
)
def test_cli_recipe_mistakes_are_one_line(argv, message, tmp_path, capsys):
    assert main(["train", "--run-dir", str(tmp_path / "r"), *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_cli_trains_a_recipe_quick(tmp_path, capsys):
    run = tmp_path / "run"
    code = main(
        ["train", "--recipe", "ch03-numbers", "--quick", "--steps", "20", "--run-dir", str(run)]
    )
    assert code == 0, capsys.readouterr().err
    config = json.loads((run / "config.json").read_text())
    assert config["model"] == "gan-numbers"
    assert config["dataset"]["id"] == "multiples-of-5"


def test_cli_trains_a_book_recipe_with_its_stop_rule(tmp_path, capsys):
    """The chapter 3 numbers at book settings: fresh batches, the discriminator stepped
    on real then fake, early stopping on the book's measure (a few steps of it)."""
    run = tmp_path / "run"
    code = main(["train", "--recipe", "ch03-numbers", "--steps", "30", "--run-dir", str(run)])
    assert code == 0, capsys.readouterr().err
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert any("sample/book_mod5_mse" in r for r in rows)
    losses = [r["d_loss"] for r in rows if "d_loss" in r]
    assert losses and all(isinstance(v, float) for v in losses)  # NaN is logged as "NaN"


def _preset(plugins, model: str, name: str = "book") -> dict:
    return plugins.models[model].presets[name]


def test_chapter_3_book_presets(plugins):
    shape = _preset(plugins, "gan-shape")
    assert shape["batch_size"] == 128 and shape["lr"] == 5e-4
    assert shape["d_update"] == "real, then fake"
    # 10,000 epochs of 16 batches; stopped on the squared error after 1,000 epochs
    assert shape["steps"] == 10_000 * 16
    assert shape["stop_metric"] == "sample/book_mse"
    assert shape["stop_patience"] * shape["sample_every"] == 1_000 * 16
    numbers = _preset(plugins, "gan-numbers")
    assert numbers["batch_size"] == 10 and numbers["lr"] == 5e-4
    assert numbers["fresh_batches"] is True and numbers["d_update"] == "real, then fake"
    assert numbers["steps"] == 10_000
    assert numbers["stop_metric"] == "sample/book_mod5_mse"
    assert numbers["stop_patience"] * numbers["sample_every"] == 800


def test_chapter_8_and_12_book_presets(plugins):
    lstm = _preset(plugins, "lstm")
    assert lstm["tokenizer"] == "book-words-ch8" and lstm["vocab_size"] >= 12_779
    assert (lstm["embed"], lstm["hidden"], lstm["layers"], lstm["dropout"]) == (128, 128, 3, 0.2)
    assert lstm["output_dropout"] is False
    assert lstm["lr"] == lstm["min_lr"] == 1e-4 and lstm["warmup_steps"] == 0  # constant
    assert lstm["grad_clip"] == 5.0 and lstm["weight_decay"] == 0.0
    assert (lstm["block_size"], lstm["batch_size"], lstm["steps"]) == (100, 32, 50 * 13_656)
    gpt = _preset(plugins, "gpt")
    assert (gpt["n_layer"], gpt["n_head"], gpt["n_embd"], gpt["block_size"]) == (3, 4, 256, 128)
    assert gpt["bias"] is True and gpt["tie_weights"] is False and gpt["gelu_tanh"] is True
    assert gpt["tokenizer"] == "book-words-ch12" and gpt["dropout"] == 0.1
    assert gpt["lr"] == gpt["min_lr"] == 1e-4 and gpt["weight_decay"] == 0.0
    assert gpt["grad_clip"] == 1.0 and gpt["batch_size"] == 32
    assert gpt["steps"] == 40 * 21_815
    assert "book" not in plugins.models["gpt-classifier"].presets


@pytest.mark.skipif(not (SHARED / "data" / "anna.txt").exists(), reason="no ../shared")
def test_the_books_chapter_8_tokens_on_anna_karenina():
    from studio_plugins.text_gen import tokenization

    text = (SHARED / "data" / "anna.txt").read_text()
    tok = tokenization.train("book-words-ch8", text, 100_000)
    # the book prints 437,098 words and 12,778 distinct ones (we add <unk>)
    assert tok.vocab_size == 12_778 + 1
    assert len(tok.encode(text)) == 437_098
    again = tokenization.from_state(tok.state())
    assert again.decode(again.encode("Happy families-all alike;")) == ("happy families all alike ;")


def test_book_gpt_has_its_own_output_layer():
    import torch

    from studio.nn.gpt import GPT, GPTShape

    own = GPT(GPTShape(vocab_size=50, block_size=8, n_layer=1, n_embd=16, tie_weights=False))
    assert own.lm_head.weight.data_ptr() != own.transformer.wte.weight.data_ptr()
    tied = GPT(GPTShape(vocab_size=50, block_size=8, n_layer=1, n_embd=16))
    assert tied.lm_head.weight is tied.transformer.wte.weight
    logits, loss = own(torch.zeros(2, 8, dtype=torch.long), torch.zeros(2, 8, dtype=torch.long))
    assert logits.shape == (2, 8, 50) and torch.isfinite(loss)
