"""The U-Net's parts against the libraries users trust: its attention equals
torch's nn.MultiheadAttention with the same weights (self- and cross-attention, padding
masked), its time embedding equals diffusers'; the whole network keeps the image's
shape, conditions on a caption only where asked, and its skips carry information."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from studio_plugins.diffusion.unet import Attention, UNet, timestep_embedding


def mha_like(attn: Attention, channels: int, kdim: int) -> nn.MultiheadAttention:
    mha = nn.MultiheadAttention(channels, attn.heads, kdim=kdim, vdim=kdim, batch_first=True)
    with torch.no_grad():
        if kdim == channels:
            mha.in_proj_weight.copy_(torch.cat([attn.q.weight, attn.k.weight, attn.v.weight]))
        else:
            mha.q_proj_weight.copy_(attn.q.weight)
            mha.k_proj_weight.copy_(attn.k.weight)
            mha.v_proj_weight.copy_(attn.v.weight)
        mha.in_proj_bias.copy_(torch.cat([attn.q.bias, attn.k.bias, attn.v.bias]))
        mha.out_proj.weight.copy_(attn.out.weight)
        mha.out_proj.bias.copy_(attn.out.bias)
    return mha.eval()


def test_self_attention_equals_torch_multihead_attention():
    torch.manual_seed(0)
    attn = Attention(16, heads=4, groups=4)
    x = torch.randn(2, 16, 5, 3)
    pixels = attn.norm(x).flatten(2).transpose(1, 2)
    ref, _ = mha_like(attn, 16, 16)(pixels, pixels, pixels)
    expected = x + ref.transpose(1, 2).reshape(x.shape)
    assert torch.allclose(attn(x), expected, atol=1e-5)


def test_cross_attention_equals_torch_and_ignores_padding_tokens():
    torch.manual_seed(0)
    attn = Attention(16, heads=2, groups=4, context_dim=12)
    x = torch.randn(2, 16, 4, 4)
    context = torch.randn(2, 6, 12)
    mask = torch.tensor([[1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 1, 1]], dtype=torch.bool)
    pixels = attn.norm(x).flatten(2).transpose(1, 2)
    ref, _ = mha_like(attn, 16, 12)(pixels, context, context, key_padding_mask=~mask)
    expected = x + ref.transpose(1, 2).reshape(x.shape)
    got = attn(x, context, mask)
    assert torch.allclose(got, expected, atol=1e-5)
    # What the padding holds changes nothing.
    garbled = context.clone()
    garbled[0, 3:] = 100.0
    assert torch.allclose(attn(x, garbled, mask)[0], got[0], atol=1e-5)


def test_time_embedding_equals_diffusers():
    embeddings = pytest.importorskip("diffusers.models.embeddings")
    t = torch.tensor([0, 1, 17, 999])
    ref = embeddings.get_timestep_embedding(t, 32, flip_sin_to_cos=True, downscale_freq_shift=0)
    assert torch.allclose(timestep_embedding(t, 32), ref, atol=1e-5)


def test_unet_keeps_the_shape_and_conditions_only_with_a_context():
    torch.manual_seed(0)
    net = UNet(3, channels=(8, 16, 16), attention=(False, True, True), layers=1, groups=4)
    x = torch.randn(2, 3, 16, 16)
    out = net(x, torch.tensor([1, 900]))
    assert out.shape == x.shape
    assert not any("cross" in name for name, _ in net.named_parameters())
    assert torch.equal(net(x, 5), net(x, torch.tensor([5, 5])))  # one t for the batch

    cond = UNet(1, channels=(8, 16), attention=(False, True), layers=1, groups=4, context_dim=10)
    assert any(".cross." in name for name, _ in cond.named_parameters())
    y = torch.randn(2, 1, 8, 8)
    c1, c2 = torch.randn(2, 3, 10), torch.randn(2, 3, 10)
    assert not torch.allclose(cond(y, 3, c1), cond(y, 3, c2))
    assert cond(y, 3).shape == y.shape  # no caption: the unconditional path


def test_the_output_depends_on_every_input_pixel_and_on_t():
    torch.manual_seed(0)
    net = UNet(1, channels=(8, 16, 32), attention=(False, False, True), layers=1, groups=4)
    x = torch.randn(1, 1, 16, 16, requires_grad=True)
    net(x, 10)[0, 0, 0, 0].backward()
    assert (x.grad.abs() > 0).float().mean() > 0.9  # the receptive field covers the image
    with torch.no_grad():
        assert not torch.allclose(net(x, 10), net(x, 500))
