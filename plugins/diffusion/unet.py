"""The denoising U-Net of chapter 15 (DDPM, Ho et al. 2020; the book's listing).

A picture at noise level ``t`` goes in, a picture of the same shape comes out (the
noise, the clean image or the velocity, as the trainer asks). The shape::

    conv_in -> [level 0] -> down -> [level 1] -> down -> ... -> [level L-1]
                                                                  |
                                                                middle
                                                                  |
    conv_out <- [level 0] <- up <- [level 1] <- up <- ... <- [level L-1]

Each level is ``layers`` residual blocks (group norm, SiLU, 3x3 convolutions, the time
embedding added in between), each followed by self-attention where the level asks for
it (the low resolutions: attention costs the square of the pixel count). On the way
up every block also reads the activation saved at the same place on the way down
(the skip connections), which carry the fine detail the bottleneck cannot.

Conditioning (text-to-image): with ``context_dim`` set, a cross-attention block sits
beside every self-attention block; its queries are pixels, its keys and values the
caption's token features ``context`` (B, L, context_dim), with ``context_mask`` (B, L)
True where a token is real (padding is never attended to).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def timestep_embedding(t: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
    """Sinusoidal embedding of (possibly fractional) timesteps ``t`` (B,) -> (B, dim):
    cosines then sines at geometrically spaced frequencies, as the Transformer's
    positions and DDPM's timesteps."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, device=t.device) / half)
    angles = t.float()[:, None] * freqs[None, :]
    return torch.cat([angles.cos(), angles.sin()], dim=1)


def _norm(channels: int, groups: int) -> nn.GroupNorm:
    # A channel count that the group count does not divide gets the largest divisor.
    while channels % groups:
        groups -= 1
    return nn.GroupNorm(groups, channels)


class ResBlock(nn.Module):
    """norm-SiLU-conv, + time embedding, norm-SiLU-dropout-conv, + input (1x1 conv when
    the channel count changes)."""

    def __init__(
        self, cin: int, cout: int, time_dim: int, groups: int, dropout: float = 0.0
    ) -> None:
        super().__init__()
        self.norm1 = _norm(cin, groups)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.time = nn.Linear(time_dim, cout)
        self.norm2 = _norm(cout, groups)
        self.dropout = nn.Dropout(dropout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x: torch.Tensor, temb: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.time(F.silu(temb))[:, :, None, None]
        h = self.conv2(self.dropout(F.silu(self.norm2(h))))
        return h + self.skip(x)


class Attention(nn.Module):
    """Multi-head attention of the pixels of ``x`` (B, C, H, W) to themselves or, with
    ``context_dim``, to a sequence of token features; residual, pre-normalised."""

    def __init__(
        self, channels: int, heads: int, groups: int, context_dim: int | None = None
    ) -> None:
        super().__init__()
        self.heads = heads
        self.norm = _norm(channels, groups)
        kv_dim = channels if context_dim is None else context_dim
        self.q = nn.Linear(channels, channels)
        self.k = nn.Linear(kv_dim, channels)
        self.v = nn.Linear(kv_dim, channels)
        self.out = nn.Linear(channels, channels)

    def forward(
        self,
        x: torch.Tensor,
        context: torch.Tensor | None = None,
        context_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        b, c, h, w = x.shape
        pixels = self.norm(x).flatten(2).transpose(1, 2)  # (B, HW, C)
        source = pixels if context is None else context
        q, k, v = self.q(pixels), self.k(source), self.v(source)
        # (B, tokens, C) -> (B, heads, tokens, C / heads)
        q, k, v = (z.unflatten(-1, (self.heads, -1)).transpose(1, 2) for z in (q, k, v))
        mask = None
        if context is not None and context_mask is not None:
            mask = context_mask[:, None, None, :].bool()  # (B, 1, 1, L): True = attend
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        y = self.out(y.transpose(1, 2).flatten(2))  # (B, HW, C)
        return x + y.transpose(1, 2).reshape(b, c, h, w)


class Block(nn.Module):
    """A residual block, then (optionally) self-attention and cross-attention."""

    def __init__(
        self,
        cin: int,
        cout: int,
        time_dim: int,
        groups: int,
        dropout: float,
        attention: bool,
        heads: int,
        context_dim: int | None,
    ) -> None:
        super().__init__()
        self.res = ResBlock(cin, cout, time_dim, groups, dropout)
        self.attn = Attention(cout, heads, groups) if attention else None
        self.cross = (
            Attention(cout, heads, groups, context_dim)
            if attention and context_dim is not None
            else None
        )

    def forward(
        self,
        x: torch.Tensor,
        temb: torch.Tensor,
        context: torch.Tensor | None,
        context_mask: torch.Tensor | None,
    ) -> torch.Tensor:
        x = self.res(x, temb)
        if self.attn is not None:
            x = self.attn(x)
        if self.cross is not None and context is not None:
            x = self.cross(x, context, context_mask)
        return x


class UNet(nn.Module):
    """A U-Net over ``len(channels)`` resolution levels.

    ``channels``: feature maps at each level (the image is halved between levels);
    ``attention``: which levels have attention (the middle always has it); ``layers``:
    residual blocks per level on the way down (one more on the way up, which also reads
    the skip of the downsampling step); ``context_dim``: the width of the conditioning
    token features, or None for an unconditional network.
    """

    def __init__(
        self,
        in_channels: int = 1,
        channels: tuple[int, ...] = (32, 64, 128),
        attention: tuple[bool, ...] = (False, False, True),
        layers: int = 2,
        out_channels: int | None = None,
        heads: int = 4,
        groups: int = 8,
        dropout: float = 0.0,
        context_dim: int | None = None,
    ) -> None:
        super().__init__()
        if len(attention) != len(channels):
            raise ValueError("attention needs one flag per level of channels")
        self.in_channels = in_channels
        self.channels = tuple(channels)
        self.context_dim = context_dim
        self.levels = len(channels)
        time_dim = 4 * channels[0]
        self.time_mlp = nn.Sequential(
            nn.Linear(channels[0], time_dim), nn.SiLU(), nn.Linear(time_dim, time_dim)
        )
        self.conv_in = nn.Conv2d(in_channels, channels[0], 3, padding=1)

        def block(cin: int, cout: int, attn: bool) -> Block:
            return Block(cin, cout, time_dim, groups, dropout, attn, heads, context_dim)

        self.down = nn.ModuleList()
        self.downsample = nn.ModuleList()
        skip_channels = [channels[0]]  # what each saved activation holds, in order
        c = channels[0]
        for i, width in enumerate(channels):
            level = nn.ModuleList()
            for _ in range(layers):
                level.append(block(c, width, attention[i]))
                c = width
                skip_channels.append(c)
            self.down.append(level)
            if i < self.levels - 1:
                self.downsample.append(nn.Conv2d(c, c, 3, stride=2, padding=1))
                skip_channels.append(c)

        self.mid = nn.ModuleList([block(c, c, True), block(c, c, False)])

        self.up = nn.ModuleList()
        self.upsample = nn.ModuleList()
        for i in reversed(range(self.levels)):
            level = nn.ModuleList()
            for _ in range(layers + 1):
                level.append(block(c + skip_channels.pop(), channels[i], attention[i]))
                c = channels[i]
            self.up.append(level)
            if i > 0:
                self.upsample.append(nn.Conv2d(c, c, 3, padding=1))

        self.norm_out = _norm(c, groups)
        self.conv_out = nn.Conv2d(c, out_channels or in_channels, 3, padding=1)

    def forward(
        self,
        x: torch.Tensor,
        t: torch.Tensor,
        context: torch.Tensor | None = None,
        context_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """``x`` (B, C, H, W) at timesteps ``t`` (B,) (or one number for all) -> (B, C', H, W).
        H and W must be divisible by 2 ** (levels - 1)."""
        t = torch.as_tensor(t, device=x.device)
        if t.dim() == 0:
            t = t.expand(x.shape[0])
        temb = self.time_mlp(timestep_embedding(t, self.channels[0]))

        h = self.conv_in(x)
        skips = [h]
        for i, level in enumerate(self.down):
            for blk in level:
                h = blk(h, temb, context, context_mask)
                skips.append(h)
            if i < self.levels - 1:
                h = self.downsample[i](h)
                skips.append(h)

        for blk in self.mid:
            h = blk(h, temb, context, context_mask)

        for j, level in enumerate(self.up):
            for blk in level:
                h = blk(torch.cat([h, skips.pop()], dim=1), temb, context, context_mask)
            if j < self.levels - 1:
                h = self.upsample[j](F.interpolate(h, scale_factor=2.0, mode="nearest"))

        return self.conv_out(F.silu(self.norm_out(h)))
