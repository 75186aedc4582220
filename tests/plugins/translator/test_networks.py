"""The networks checked against the attention PyTorch users trust: the step-by-step
attention equals F.scaled_dot_product_attention, our multi-head attention equals
nn.MultiheadAttention with the same weights, the decoder's key/value cache gives the
same logits as running the whole prefix, and padding changes nothing."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from studio_plugins.translator.attention import MultiHeadAttention, attention
from studio_plugins.translator.transformer import Transformer, TransformerShape, causal_mask

pytestmark = pytest.mark.usefixtures("studio_one_thread")


def test_step_by_step_attention_equals_scaled_dot_product_attention():
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(2, 3, 5, 8, generator=g) for _ in range(3))
    k, v = torch.randn(2, 3, 7, 8, generator=g), torch.randn(2, 3, 7, 8, generator=g)
    mask = torch.rand(2, 1, 5, 7, generator=g) > 0.3
    mask[..., 0] = True  # no query without a key
    out, weights = attention(q, k, v, mask)
    assert torch.allclose(out, F.scaled_dot_product_attention(q, k, v, attn_mask=mask), atol=1e-5)
    assert torch.allclose(weights.sum(-1), torch.ones(2, 3, 5), atol=1e-6)
    assert bool((weights[~mask.expand_as(weights)] == 0).all())  # masked keys get nothing
    causal = causal_mask(5)
    q5 = torch.randn(2, 3, 5, 8, generator=g)
    ref = F.scaled_dot_product_attention(q5, q5, q5, is_causal=True)
    assert torch.allclose(attention(q5, q5, q5, causal)[0], ref, atol=1e-5)


@pytest.mark.parametrize("cross", [False, True])
def test_multi_head_attention_equals_torch_multihead_attention(cross):
    torch.manual_seed(0)
    ours = MultiHeadAttention(32, 4).eval()
    theirs = nn.MultiheadAttention(32, 4, batch_first=True).eval()
    with torch.no_grad():
        theirs.in_proj_weight.copy_(
            torch.cat([ours.q_proj.weight, ours.k_proj.weight, ours.v_proj.weight])
        )
        theirs.in_proj_bias.copy_(torch.cat([ours.q_proj.bias, ours.k_proj.bias, ours.v_proj.bias]))
        theirs.out_proj.weight.copy_(ours.out_proj.weight)
        theirs.out_proj.bias.copy_(ours.out_proj.bias)
    x = torch.randn(3, 6, 32)
    memory = torch.randn(3, 9, 32) if cross else x
    pad = torch.zeros(3, memory.size(1), dtype=torch.bool)
    pad[1, -3:] = True  # torch: True = ignore this key
    expected, expected_weights = theirs(
        x, memory, memory, key_padding_mask=pad, average_attn_weights=False
    )
    keep = (~pad)[:, None, None, :]
    with torch.no_grad():
        fast = ours(x, memory if cross else None, keep)
        slow = ours(x, memory if cross else None, keep, need_weights=True)
    assert torch.allclose(fast, expected, atol=1e-5)
    assert torch.allclose(slow, expected, atol=1e-5)
    assert torch.allclose(ours.weights, expected_weights, atol=1e-5)


def tiny(dropout: float = 0.0) -> Transformer:
    torch.manual_seed(1)
    shape = TransformerShape(
        src_vocab=40, tgt_vocab=50, d_model=32, heads=4, d_ff=64, dropout=dropout
    )
    return Transformer(shape).eval()


def test_cached_decoding_gives_the_logits_of_the_whole_prefix():
    model = tiny()
    src = torch.randint(4, 40, (2, 7))
    src[1, 5:] = 0  # padding
    tgt = torch.randint(4, 50, (2, 6))
    with torch.no_grad():
        memory = model.encode(src)
        mask = model.source_mask(src)
        full = model.decode(tgt, memory, mask)
        cache = model.new_cache()
        steps = [model.decode(tgt[:, t : t + 1], memory, mask, cache) for t in range(6)]
    assert cache.length == 6
    assert torch.allclose(torch.cat(steps, 1), full, atol=1e-5)


def test_padding_and_later_tokens_do_not_change_the_output():
    model = tiny()
    src = torch.randint(4, 40, (1, 5))
    padded = torch.cat([src, torch.zeros(1, 3, dtype=torch.long)], 1)
    tgt = torch.randint(4, 50, (1, 6))
    with torch.no_grad():
        a = model(src, tgt)
        b = model(padded, tgt)
        c = model(src, torch.cat([tgt[:, :4], torch.randint(4, 50, (1, 2))], 1))
    assert torch.allclose(a, b, atol=1e-5)  # padding is masked out
    assert torch.allclose(a[:, :4], c[:, :4], atol=1e-5)  # the causal mask holds


def test_attention_weights_come_back_per_layer_and_head():
    model = tiny()
    src, tgt = torch.randint(4, 40, (1, 5)), torch.randint(4, 50, (1, 3))
    with torch.no_grad():
        memory = model.encode(src, need_weights=True)
        model.decode(tgt, memory, model.source_mask(src), need_weights=True)
    enc = model.encoder.attention_weights()
    self_w, cross = model.decoder.attention_weights()
    assert [w.shape for w in enc] == [(1, 4, 5, 5)] * 2
    assert [w.shape for w in cross] == [(1, 4, 3, 5)] * 2
    assert bool((torch.triu(self_w[0][0, 0], 1) == 0).all())  # no look at the future
