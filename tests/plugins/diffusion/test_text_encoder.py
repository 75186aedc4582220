"""The caption encoder and its words: each block is torch's own Transformer encoder
layer with the same weights, padding changes nothing, captions of classes, the digit
a prompt asks for."""

from __future__ import annotations

import pytest
import torch

from studio_plugins.diffusion.text_encoder import TextEncoder, same_as_torch_layer
from studio_plugins.diffusion.text_tokens import (
    WordTokenizer,
    asked_digit,
    class_captions,
    words,
)


@pytest.fixture
def encoder() -> TextEncoder:
    torch.manual_seed(0)
    return TextEncoder(vocab_size=40, width=32, layers=2, heads=4, max_tokens=10)


def test_each_block_computes_what_torchs_encoder_layer_computes(encoder):
    ids = torch.tensor([[2, 5, 6, 0, 0, 0, 0, 0, 0, 0], [2, 7, 8, 9, 10, 11, 3, 4, 12, 13]])
    pad = ids == 0
    x = torch.randn(2, 10, 32)
    for block in encoder.blocks:
        reference = same_as_torch_layer(block)
        reference.train()  # the plain path (in eval, torch skips the padded rows)
        assert torch.allclose(block(x, pad), reference(x, src_key_padding_mask=pad), atol=1e-5)
        reference.eval()
        with torch.no_grad():
            fast = reference(x, src_key_padding_mask=pad)
        assert torch.allclose(block(x, pad)[~pad], fast[~pad], atol=1e-5)


def test_padding_never_changes_the_captions_own_tokens(encoder):
    short = torch.tensor([[2, 5, 6]])
    padded = torch.tensor([[2, 5, 6, 0, 0, 0, 0]])
    a, pad_a = encoder(short)
    b, pad_b = encoder(padded)
    assert not pad_a.any() and pad_b.tolist() == [[False] * 3 + [True] * 4]
    assert torch.allclose(a, b[:, :3], atol=1e-6)
    assert torch.allclose(encoder.pool(a, pad_a), encoder.pool(b, pad_b), atol=1e-6)


def test_the_digits_captions_and_the_digit_a_prompt_asks_for():
    captions = class_captions([str(i) for i in range(10)])
    assert captions[7][0] == "a handwritten seven" and "the digit 7" in captions[7]
    assert class_captions(["cats", "red_cars"])[1] == [
        "a red cars",
        "a picture of a red cars",
        "red cars",
    ]
    assert asked_digit("A handwritten SEVEN.") == 7 and asked_digit("the digit 3") == 3
    assert asked_digit("a cat") is None and asked_digit("one or two") is None
    assert words("A dog, 12 cats!") == ["a", "dog", ",", "12", "cats", "!"]


def test_the_tokenizer_knows_its_words_and_says_which_it_does_not():
    tok = WordTokenizer.build(["a handwritten seven", "the digit 7"], max_tokens=5)
    assert tok.vocabulary[:3] == ["<pad>", "<unk>", "<bos>"] and len(tok) == 3 + 6
    ids = tok.encode("a handwritten purple seven")
    assert ids[0] == 2 and ids[3] == 1 and len(ids) == 5  # <bos>, words, <unk>
    assert tok.encode("") == [2, 0, 0, 0, 0]  # the empty caption: guidance's "no caption"
    assert tok.encode("a a a a a a a")[-1] != 0  # cut to max_tokens
    assert tok.unknown("a purple seven") == ["purple"]
    with pytest.raises(ValueError, match="starts with"):
        WordTokenizer(["a", "b"], 4)
