"""Hyper-parameters and sampling options of the translator (dataclasses: the form,
the CLI flags and ``sample -o``). Torch-free: the hook module imports this."""

from __future__ import annotations

from dataclasses import dataclass

from studio.api import param

DECODINGS = ("auto", "greedy", "beam", "sample")


@dataclass
class TranslatorConfig:
    """The encoder-decoder Transformer of chapters 9-10."""

    encoder_layers: int = param(2, min=1, max=24, help="Encoder blocks")
    decoder_layers: int = param(2, min=1, max=24, help="Decoder blocks")
    d_model: int = param(128, min=8, max=4096, help="Width (a multiple of heads)")
    heads: int = param(4, min=1, max=64, help="Attention heads")
    d_ff: int = param(512, min=8, max=16384, help="Feed-forward hidden width")
    dropout: float = param(0.1, min=0.0, max=0.9, help="Dropout (embeddings, attention, blocks)")
    activation: str = param("relu", choices=("relu", "gelu"), help="Feed-forward non-linearity")
    tie_output: bool = param(True, help="Output projection shares the target embedding")
    joint_vocabulary: bool = param(False, help="One BPE vocabulary for both languages")
    vocab_size: int = param(2000, min=16, max=100_000, help="BPE vocabulary size (per side)")
    max_tokens: int = param(48, min=2, max=1000, help="Drop pairs with a side longer than this")
    val_fraction: float = param(0.1, min=0.01, max=0.5, help="Held-out share of the pairs")
    split_seed: int = param(0, min=0, max=2**31 - 1, help="Seed of the held-out split")
    batch_size: int = param(128, min=1, max=8192, help="Pairs per batch (sorted by length)")
    label_smoothing: float = param(0.1, min=0.0, max=0.9, help="Label smoothing")
    lr_factor: float = param(1.0, min=1e-4, max=100.0, help="Noam schedule factor")
    warmup_steps: int = param(2000, min=1, max=1_000_000, help="Noam warm-up steps")
    beta1: float = param(0.9, min=0.0, max=0.9999, help="Adam beta1")
    beta2: float = param(0.98, min=0.0, max=0.99999, help="Adam beta2")
    eps: float = param(1e-9, min=1e-12, max=1e-3, help="Adam epsilon")
    grad_clip: float = param(0.0, min=0.0, max=100.0, help="Gradient norm clip (0: none)")
    val_sentences: int = param(200, min=1, max=100_000, help="Held-out pairs translated for BLEU")
    preview_sentences: int = param(3, min=1, max=32, help="Held-out pairs in the previews")


@dataclass
class TranslateOptions:
    """How a sentence is translated (Explore, ``sample -o``)."""

    text: str = param("", help="English text to translate; empty: held-out sentences")
    decoding: str = param(
        "auto", choices=DECODINGS, help="auto: beam search when beams > 1, else greedy"
    )
    beams: int = param(1, min=1, max=64, help="Beam size (beam search)")
    length_penalty: float = param(0.6, min=0.0, max=5.0, help="Beam search: ((5+len)/6)^alpha")
    temperature: float = param(1.0, min=0.01, max=10.0, help="Sampling temperature")
    top_k: int = param(0, min=0, max=100_000, help="Sampling: keep the k likeliest (0: all)")
    max_len: int = param(64, min=1, max=1000, help="Most target tokens")
