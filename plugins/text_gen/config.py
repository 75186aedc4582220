"""Hyper-parameters of the text models (dataclasses: the UI form and CLI flags).

Torch-free: the hook module imports this at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass

from studio.api import param

TOKENIZERS = ("char", "word", "bpe", "book-words-ch8", "book-words-ch12")
_TOKENIZER_HELP = (
    "Tokens: characters, words, BPE, or the book's words (lower case, punctuation "
    "split off: chapter 8's or chapter 12's rule)"
)
# name -> (layers, heads, width): minGPT's names for the small ones, nanoGPT's
# shakespeare_char model, GPT-2 small. "custom" uses the three fields below it.
SIZES: dict[str, tuple[int, int, int]] = {
    "nano": (3, 3, 48),
    "micro": (4, 4, 128),
    "mini": (6, 6, 192),
    "shakespeare": (6, 6, 384),
    "gpt2-small": (12, 12, 768),
}
SIZE_CHOICES = ("custom", *SIZES)
# Fields used only for some values of others (the form greys them out otherwise).
CUSTOM_SIZE = {"size": "custom"}
TRAINED_VOCAB = {"tokenizer": tuple(t for t in TOKENIZERS if t != "char")}

# Runs written before 1.1 stored the model's own validation cadence; the engine's
# validate_every replaces it (the key is mapped there when such a run resumes).
MOVED_TO_ENGINE = {"val_every": "validate_every"}

# 0 ties the schedule to the run's length: changing Steps moves the decay's end with it.
_DECAY_HELP = (
    "Cosine decay ends at this step (0: at the run's last step, so it follows Steps; "
    "a run continued to more steps stretches it)"
)


# Fields the GPT and the classifier (and, for the vocabulary, the LSTM) share. Each
# class gets its own field objects: dataclasses write each field's name into it.
def _n_layer() -> int:
    return param(4, min=1, max=96, help="Transformer blocks (size custom)", active_when=CUSTOM_SIZE)


def _n_head() -> int:
    return param(4, min=1, max=64, help="Attention heads (size custom)", active_when=CUSTOM_SIZE)


def _n_embd() -> int:
    return param(
        128,
        min=8,
        max=8192,
        help="Width (size custom; a multiple of heads)",
        active_when=CUSTOM_SIZE,
    )


def _vocab_size(default: int) -> int:
    return param(
        default,
        min=64,
        max=100_000,
        help="Vocabulary size (word, BPE and the book's word tokens)",
        active_when=TRAINED_VOCAB,
    )


_PRETRAINED_HELP = (
    "Folder of a GPT-2 checkpoint in the Hugging Face layout (config.json, "
    "model.safetensors, vocab.json, merges.txt) to start from; empty: from scratch"
)


@dataclass
class GPTConfig:
    """A decoder-only Transformer (chapters 11-12), from scratch or from GPT-2 weights."""

    moved_to_engine = MOVED_TO_ENGINE  # not a field: no annotation

    size: str = param("micro", choices=SIZE_CHOICES, help="Model size; custom: the 3 below")
    n_layer: int = _n_layer()
    n_head: int = _n_head()
    n_embd: int = _n_embd()
    block_size: int = param(64, min=2, max=4096, help="Context length in tokens")
    dropout: float = param(0.0, min=0.0, max=0.9, help="Dropout (attention, residual, MLP)")
    bias: bool = param(False, help="Biases in Linear and LayerNorm layers (GPT-2 has them)")
    tie_weights: bool = param(
        True, help="The output layer shares the token embedding's weights (GPT-2 does)"
    )
    gelu_tanh: bool = param(
        False, help="GELU's tanh approximation (GPT-2's and the book's) instead of the exact one"
    )
    tokenizer: str = param("char", choices=TOKENIZERS, help=_TOKENIZER_HELP)
    vocab_size: int = _vocab_size(2000)
    pretrained: str = param("", help=_PRETRAINED_HELP)
    compile: bool = param(False, help="torch.compile the training forward (GPU; slow start)")
    batch_size: int = param(12, min=1, max=4096, help="Sequences per step")
    lr: float = param(1e-3, min=1e-7, max=1.0, help="Peak AdamW learning rate")
    min_lr: float = param(1e-4, min=0.0, max=1.0, help="Learning rate at the end of the decay")
    warmup_steps: int = param(100, min=0, max=1_000_000, help="Linear warm-up steps")
    decay_steps: int = param(0, min=0, max=10_000_000, help=_DECAY_HELP)
    beta1: float = param(0.9, min=0.0, max=0.9999, help="AdamW beta1")
    beta2: float = param(0.99, min=0.0, max=0.99999, help="AdamW beta2")
    weight_decay: float = param(0.1, min=0.0, max=10.0, help="AdamW weight decay (matrices)")
    grad_clip: float = param(1.0, min=0.0, max=100.0, help="Gradient norm clip (0: none)")
    val_fraction: float = param(0.1, min=0.01, max=0.5, help="Held-out end of the text")
    val_batches: int = param(20, min=1, max=1000, help="Batches in a validation estimate")
    prompt: str = param("", help="Prompt of the preview samples (empty: start of a line)")
    preview_tokens: int = param(200, min=1, max=4096, help="Tokens in each preview sample")
    temperature: float = param(0.8, min=0.0, max=5.0, help="Preview temperature (0: greedy)")
    top_k: int = param(0, min=0, max=100_000, help="Preview top-k (0: all tokens)")
    top_p: float = param(1.0, min=0.01, max=1.0, help="Preview nucleus top-p (1: all)")


@dataclass
class LSTMConfig:
    """The chapter 8 LSTM language model."""

    moved_to_engine = MOVED_TO_ENGINE

    tokenizer: str = param("char", choices=TOKENIZERS, help=_TOKENIZER_HELP)
    vocab_size: int = _vocab_size(5000)
    embed: int = param(128, min=4, max=4096, help="Embedding size")
    hidden: int = param(256, min=4, max=8192, help="LSTM hidden size")
    layers: int = param(3, min=1, max=16, help="Stacked LSTM layers")
    dropout: float = param(0.2, min=0.0, max=0.9, help="Dropout between and after the LSTMs")
    output_dropout: bool = param(
        True, help="Dropout also before the output layer (the book has it only between LSTMs)"
    )
    block_size: int = param(100, min=2, max=4096, help="Sequence length per training window")
    batch_size: int = param(32, min=1, max=4096, help="Sequences per step")
    lr: float = param(2e-3, min=1e-7, max=1.0, help="Peak Adam learning rate")
    min_lr: float = param(2e-4, min=0.0, max=1.0, help="Learning rate at the end of the decay")
    warmup_steps: int = param(50, min=0, max=1_000_000, help="Linear warm-up steps")
    decay_steps: int = param(0, min=0, max=10_000_000, help=_DECAY_HELP)
    beta1: float = param(0.9, min=0.0, max=0.9999, help="Adam beta1")
    beta2: float = param(0.999, min=0.0, max=0.99999, help="Adam beta2")
    weight_decay: float = param(0.0, min=0.0, max=10.0, help="Weight decay (matrices)")
    grad_clip: float = param(1.0, min=0.0, max=100.0, help="Gradient norm clip (0: none)")
    val_fraction: float = param(0.1, min=0.01, max=0.5, help="Held-out end of the text")
    val_batches: int = param(20, min=1, max=1000, help="Batches in a validation estimate")
    prompt: str = param("", help="Prompt of the preview samples (empty: start of a line)")
    preview_tokens: int = param(200, min=1, max=4096, help="Tokens in each preview sample")
    temperature: float = param(0.8, min=0.0, max=5.0, help="Preview temperature (0: greedy)")
    top_k: int = param(0, min=0, max=100_000, help="Preview top-k (0: all tokens)")
    top_p: float = param(1.0, min=0.01, max=1.0, help="Preview nucleus top-p (1: all)")


@dataclass
class ClassifierConfig:
    """A GPT body with a classification head on its last token (fine-tuning)."""

    moved_to_engine = MOVED_TO_ENGINE

    pretrained: str = param("", help=_PRETRAINED_HELP)
    size: str = param("micro", choices=SIZE_CHOICES, help="Model size; custom: the 3 below")
    n_layer: int = _n_layer()
    n_head: int = _n_head()
    n_embd: int = _n_embd()
    block_size: int = param(128, min=2, max=4096, help="Tokens per text (longer: cut)")
    dropout: float = param(0.1, min=0.0, max=0.9, help="Dropout")
    bias: bool = param(False, help="Biases in Linear and LayerNorm layers (GPT-2 has them)")
    tokenizer: str = param("char", choices=TOKENIZERS, help="Tokens (from scratch only)")
    vocab_size: int = _vocab_size(2000)
    freeze_body: bool = param(False, help="Train only the head (and the final LayerNorm)")
    batch_size: int = param(32, min=1, max=4096, help="Texts per step")
    lr: float = param(1e-3, min=1e-7, max=1.0, help="Peak AdamW learning rate")
    min_lr: float = param(1e-4, min=0.0, max=1.0, help="Learning rate at the end of the decay")
    warmup_steps: int = param(30, min=0, max=1_000_000, help="Linear warm-up steps")
    decay_steps: int = param(0, min=0, max=10_000_000, help=_DECAY_HELP)
    weight_decay: float = param(0.01, min=0.0, max=10.0, help="AdamW weight decay (matrices)")
    grad_clip: float = param(1.0, min=0.0, max=100.0, help="Gradient norm clip (0: none)")
    val_fraction: float = param(0.2, min=0.05, max=0.5, help="Held-out share of each class")
    preview_texts: int = param(6, min=1, max=100, help="Held-out texts shown in each preview")


@dataclass
class TextSampleOptions:
    """How a language model is sampled (the Explore controls, ``sample -o``). The
    engine's previews use the run's preview settings instead."""

    prompt: str = param("", help="Text to continue (empty: start of a line)")
    max_new_tokens: int = param(200, min=1, max=4096, help="How many tokens to generate")
    temperature: float = param(
        0.8,
        min=0.0,
        max=5.0,
        help="Higher: more surprising text; 0: always the likeliest token (greedy "
        "decoding, which tends to repeat itself)",
    )
    top_k: int = param(0, min=0, max=100_000, help="Sample among the k likeliest tokens (0: all)")
    top_p: float = param(
        1.0, min=0.001, max=1.0, help="Sample among the likeliest tokens that make up this share"
    )


@dataclass
class ClassifySampleOptions:
    """What the classifier shows: one text's class probabilities, or held-out examples."""

    text: str = param("", help="Text to classify (empty: held-out examples)")
