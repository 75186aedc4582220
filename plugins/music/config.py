"""Configs, sampling options and presets of the two music models (torch-free: the
hook module imports this)."""

from __future__ import annotations

from dataclasses import dataclass

from studio.api import param

WINDOWS = ("first", "all")
NOISES = ("normal", "uniform")


@dataclass
class MuseGANConfig:
    """MuseGAN (chapter 13): WGAN-GP on 4 tracks x 2 bars x 16 steps x 84 pitches."""

    z_dim: int = param(32, min=1, max=1024, help="Size of each latent input (chords, style...)")
    hid_channels: int = param(
        1024, min=8, max=4096, help="Temporal networks' channels (bar generators: half)"
    )
    hid_features: int = param(
        1024, min=8, max=8192, help="Bar generators' first layer (a multiple of half the above)"
    )
    critic_channels: int = param(128, min=4, max=2048, help="Critic's convolution channels")
    critic_features: int = param(1024, min=4, max=8192, help="Critic's hidden linear layer")
    batch_size: int = param(64, min=2, max=4096, help="Pieces per step")
    lr: float = param(1e-3, min=1e-6, max=1.0, help="Adam learning rate (both networks)")
    beta1: float = param(0.5, min=0.0, max=0.999, help="Adam beta1")
    beta2: float = param(0.9, min=0.0, max=0.9999, help="Adam beta2")
    critic_steps: int = param(5, min=1, max=50, help="Critic updates per generator update")
    gp_weight: float = param(10.0, min=0.0, max=1000.0, help="Gradient penalty weight")
    windows: str = param(
        "first",
        choices=WINDOWS,
        help="first: one 2-bar piece per chorale (the book); all: every 2-bar window",
    )
    preview_pieces: int = param(4, min=1, max=64, help="Pieces in each preview")


@dataclass
class MuseGANOptions:
    """How MuseGAN is sampled (Explore's controls, ``sample -o``)."""

    pieces: int = param(4, min=1, max=256, help="2-bar pieces, played one after another")
    noise: str = param(
        "normal",
        choices=NOISES,
        help="Latent noise: normal, as in training; uniform in [0, 1) is what the book samples",
    )
    tempo: int = param(66, min=20, max=300, help="Quarter notes a minute (the book: 66)")


@dataclass
class MusicTransformerConfig:
    """The music Transformer (chapter 14): the text plugin's GPT on MIDI events."""

    n_layer: int = param(6, min=1, max=48, help="Transformer blocks")
    n_head: int = param(8, min=1, max=64, help="Attention heads")
    n_embd: int = param(512, min=8, max=4096, help="Width (a multiple of the heads)")
    block_size: int = param(2048, min=8, max=8192, help="Context: events the model sees")
    dropout: float = param(0.1, min=0.0, max=0.9, help="Dropout")
    batch_size: int = param(2, min=1, max=4096, help="Windows of events per step")
    lr: float = param(1e-4, min=1e-7, max=1.0, help="Adam learning rate")
    grad_clip: float = param(1.0, min=0.0, max=100.0, help="Gradient norm clip (0: none)")
    val_fraction: float = param(
        0.1, min=0.0, max=0.5, help="Held-out share of the pieces (when the data has no split)"
    )
    val_batches: int = param(8, min=1, max=1000, help="Validation windows per evaluation")
    preview_events: int = param(300, min=1, max=20_000, help="Events in each preview")


@dataclass
class MusicTransformerOptions:
    """How the music Transformer is sampled (Explore's controls, ``sample -o``)."""

    prompt: str = param("", help="A MIDI file whose first events start the piece (empty: none)")
    prompt_events: int = param(250, min=0, max=20_000, help="Events taken from the prompt")
    length: int = param(1000, min=1, max=20_000, help="Events to generate")
    temperature: float = param(1.0, min=0.0, max=5.0, help="Higher: bolder; 0: the likeliest")
    top_k: int = param(0, min=0, max=390, help="Sample among the k likeliest events (0: all)")
    chunk: int = param(50, min=1, max=20_000, help="Events per streamed part")
    cache: bool = param(True, help="Reuse keys and values (off: re-run the prefix, the book)")


# The book's listing (ch13MuseGAN.ipynb): Adam 1e-3 betas (0.5, 0.9), batch 64, 500
# epochs of the 229 training chorales (3 batches each: 1,500 generator steps),
# 5 critic steps, penalty weight 10, generator 1024/1024, critic 128/1024.
MUSEGAN_BOOK = {
    "z_dim": 32,
    "hid_channels": 1024,
    "hid_features": 1024,
    "critic_channels": 128,
    "critic_features": 1024,
    "batch_size": 64,
    "lr": 1e-3,
    "beta1": 0.5,
    "beta2": 0.9,
    "critic_steps": 5,
    "gp_weight": 10.0,
    "windows": "first",
    "epochs": 500,
    "sample_every": 150,
}
# Smaller networks and every 2-bar window of every chorale (about 14x the pieces).
MUSEGAN_QUICK = {
    "hid_channels": 256,
    "hid_features": 256,
    "critic_channels": 64,
    "critic_features": 256,
    "windows": "all",
    "batch_size": 64,
    "lr": 1e-3,
    "steps": 600,
    "sample_every": 100,
}
# The book's listing (ch14MusicTransformer.ipynb): 6 layers, 8 heads, 512 wide,
# context 2,048, dropout 0.1, Adam 1e-4, gradient clip 1, batch 2 (100 epochs of
# MAESTRO there; a GPU preset).
TRANSFORMER_BOOK = {
    "n_layer": 6,
    "n_head": 8,
    "n_embd": 512,
    "block_size": 2048,
    "dropout": 0.1,
    "lr": 1e-4,
    "grad_clip": 1.0,
    "batch_size": 2,
    "steps": 20_000,
    "sample_every": 2000,
    "validate_every": 500,
}
TRANSFORMER_QUICK = {
    "n_layer": 4,
    "n_head": 4,
    "n_embd": 128,
    "block_size": 256,
    "dropout": 0.0,
    "lr": 1e-3,
    "grad_clip": 1.0,
    "batch_size": 16,
    "steps": 1500,
    "sample_every": 250,
    "validate_every": 250,
    "preview_events": 200,
}
