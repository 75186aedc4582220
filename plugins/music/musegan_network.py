"""MuseGAN's networks (chapter 13 of the book; Dong et al. 2017), as the book's listing
(adapted there from akanametov/musegan).

The generator takes four latent inputs: ``chords`` (B, z) and ``style`` (B, z) shared
by every track, ``melody`` (B, tracks, z) and ``groove`` (B, tracks, z) one per track.
Chords and each track's melody go through a temporal network that unfolds one vector
into one per bar; per bar and per track, a bar generator turns [chords, style,
melody, groove] (4z) into 16 steps x 84 pitches. The critic is a 3-D convolutional
network over (tracks as channels, bars, steps, pitches) that first merges the bars,
then folds pitches into octaves (12) and octaves (7), then time; no sigmoid (WGAN)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class MuseShape:
    z_dim: int = 32
    hid_channels: int = 1024  # temporal networks; the bar generators use half
    hid_features: int = 1024  # the bar generators' first linear layer
    critic_channels: int = 128
    critic_features: int = 1024
    n_tracks: int = 4
    n_bars: int = 2
    steps_per_bar: int = 16
    n_pitches: int = 84


class Reshape(nn.Module):
    def __init__(self, *shape: int) -> None:
        super().__init__()
        self.shape = shape

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.view(x.size(0), *self.shape)


class TemporalNetwork(nn.Module):
    """(B, z) -> (B, z, bars): one latent vector per bar."""

    def __init__(self, z_dim: int, hid_channels: int, n_bars: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            Reshape(z_dim, 1, 1),
            nn.ConvTranspose2d(z_dim, hid_channels, kernel_size=(2, 1)),  # (hid, 2, 1)
            nn.BatchNorm2d(hid_channels),
            nn.ReLU(inplace=True),
            nn.ConvTranspose2d(hid_channels, z_dim, kernel_size=(n_bars - 1, 1)),
            nn.BatchNorm2d(z_dim),
            nn.ReLU(inplace=True),
            Reshape(z_dim, n_bars),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


def _up(cin: int, cout: int, kernel: tuple[int, int]) -> list[nn.Module]:
    return [
        nn.ConvTranspose2d(cin, cout, kernel_size=kernel, stride=kernel),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    ]


class BarGenerator(nn.Module):
    """(B, 4z) -> (B, 1, 1, steps, pitches): one bar of one track."""

    def __init__(self, s: MuseShape) -> None:
        super().__init__()
        ch = s.hid_channels // 2
        if s.hid_features % ch:
            raise ValueError(f"hid_features {s.hid_features} is not a multiple of {ch}")
        self.net = nn.Sequential(
            nn.Linear(4 * s.z_dim, s.hid_features),
            nn.BatchNorm1d(s.hid_features),
            nn.ReLU(inplace=True),
            Reshape(ch, s.hid_features // ch, 1),  # (ch, 2, 1) at the book's sizes
            *_up(ch, ch, (2, 1)),  # time 4
            *_up(ch, ch // 2, (2, 1)),  # 8
            *_up(ch // 2, ch // 2, (2, 1)),  # 16 steps
            *_up(ch // 2, ch // 2, (1, 7)),  # 7 octaves
            nn.ConvTranspose2d(ch // 2, 1, kernel_size=(1, 12), stride=(1, 12)),  # 84
            Reshape(1, 1, s.steps_per_bar, s.n_pitches),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class MuseGenerator(nn.Module):
    def __init__(self, s: MuseShape) -> None:
        super().__init__()
        self.shape = s
        self.chords_network = TemporalNetwork(s.z_dim, s.hid_channels, s.n_bars)
        self.melody_networks = nn.ModuleList(
            TemporalNetwork(s.z_dim, s.hid_channels, s.n_bars) for _ in range(s.n_tracks)
        )
        self.bar_generators = nn.ModuleList(BarGenerator(s) for _ in range(s.n_tracks))

    def forward(
        self, chords: torch.Tensor, style: torch.Tensor, melody: torch.Tensor, groove: torch.Tensor
    ) -> torch.Tensor:
        """(B, tracks, bars, steps, pitches) scores, unbounded (the data is -1/+1)."""
        chord_outs = self.chords_network(chords)  # (B, z, bars)
        melody_outs = [net(melody[:, t]) for t, net in enumerate(self.melody_networks)]
        bars = []
        for bar in range(self.shape.n_bars):
            tracks = []
            for t, bar_gen in enumerate(self.bar_generators):
                z = torch.cat(
                    [chord_outs[:, :, bar], style, melody_outs[t][:, :, bar], groove[:, t]], dim=1
                )
                tracks.append(bar_gen(z))  # (B, 1, 1, steps, pitches)
            bars.append(torch.cat(tracks, dim=1))  # (B, tracks, 1, steps, pitches)
        return torch.cat(bars, dim=2)


class MuseCritic(nn.Module):
    def __init__(self, s: MuseShape) -> None:
        super().__init__()
        if s.n_bars != 2 or s.steps_per_bar != 16 or s.n_pitches != 84:
            raise ValueError("the critic's kernels fit 2 bars of 16 steps and 84 pitches")
        c = s.critic_channels

        def conv(cin: int, cout: int, k, stride, pad=0) -> list[nn.Module]:
            return [nn.Conv3d(cin, cout, k, stride, padding=pad), nn.LeakyReLU(0.3, inplace=True)]

        self.net = nn.Sequential(
            *conv(s.n_tracks, c, (2, 1, 1), (1, 1, 1)),  # bars merged: depth 1
            *conv(c, c, (s.n_bars - 1, 1, 1), (1, 1, 1)),
            *conv(c, c, (1, 1, 12), (1, 1, 12)),  # pitches -> octaves (7)
            *conv(c, c, (1, 1, 7), (1, 1, 7)),  # octaves -> 1
            *conv(c, c, (1, 2, 1), (1, 2, 1)),  # steps 16 -> 8
            *conv(c, c, (1, 2, 1), (1, 2, 1)),  # 4
            *conv(c, 2 * c, (1, 4, 1), (1, 2, 1), (0, 1, 0)),  # 2
            *conv(2 * c, 4 * c, (1, 3, 1), (1, 2, 1), (0, 1, 0)),  # 1
            nn.Flatten(),
            nn.Linear(4 * c, s.critic_features),
            nn.LeakyReLU(0.3, inplace=True),
            nn.Linear(s.critic_features, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def init_weights(module: nn.Module) -> None:
    """N(0, 0.02) weights and zero biases (the book's init_weights), except that batch
    norm scales start at N(1, 0.02) as in DCGAN: the book draws them around 0, which
    scales every normalised activation down to almost nothing at the start."""
    if isinstance(module, (nn.Conv3d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)
