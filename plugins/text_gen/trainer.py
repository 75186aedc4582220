"""Training and sampling of the language models (LSTM and GPT).

One step: gather a batch of windows of the training token stream (the engine's
seeded batch order picks their start positions), cross-entropy of the next token,
AdamW with gradient clipping, a warm-up + cosine learning-rate schedule (nanoGPT's).
Validation: the mean loss (and perplexity) on fixed windows of the held-out end of
the text. Sampling: temperature, top-k, top-p, with the text streamed token by
token through ``sample_stream`` (cancelled between tokens).
"""

from __future__ import annotations

import collections
import math
import re
from collections.abc import Iterator
from typing import Any

import torch
from torch import nn

from studio import api

from . import data, tokenization
from .config import SIZES, TextSampleOptions


class WarmupCosine:
    """nanoGPT's schedule as a LambdaLR factor: linear warm-up over ``warmup`` steps,
    cosine decay to ``min_lr`` at ``decay`` steps, ``min_lr`` after. ``decay`` 0: the
    decay ends at ``run_steps``, the run's length, which the trainer keeps up to date
    (unknown, 0: no decay). A class (not a lambda) so the scheduler's state dict stays
    plain data."""

    def __init__(self, lr: float, min_lr: float, warmup: int, decay: int) -> None:
        self.lr, self.min_lr, self.warmup, self.decay = lr, min_lr, warmup, decay
        self.run_steps = 0

    def rate(self, it: int) -> float:
        if it < self.warmup:
            return self.lr * (it + 1) / (self.warmup + 1)
        end = self.decay or self.run_steps
        if not end:
            return self.lr
        if it > end:
            return self.min_lr
        ratio = (it - self.warmup) / max(1, end - self.warmup)
        coeff = 0.5 * (1.0 + math.cos(math.pi * min(1.0, ratio)))
        return self.min_lr + coeff * (self.lr - self.min_lr)

    def __call__(self, it: int) -> float:
        return self.rate(it) / self.lr if self.lr > 0 else 0.0


def adamw(
    model: nn.Module, config: Any, device: torch.device, params: list[nn.Parameter] | None = None
) -> torch.optim.AdamW:
    """AdamW with weight decay on matrices and embeddings only (not biases, norms)."""
    params = [p for p in (params or model.parameters()) if p.requires_grad]
    unique = list({id(p): p for p in params}.values())  # the tied head once
    decay = [p for p in unique if p.dim() >= 2]
    other = [p for p in unique if p.dim() < 2]
    groups = [
        {"params": decay, "weight_decay": config.weight_decay},
        {"params": other, "weight_decay": 0.0},
    ]
    betas = (getattr(config, "beta1", 0.9), getattr(config, "beta2", 0.999))
    return torch.optim.AdamW(groups, lr=config.lr, betas=betas, fused=device.type == "cuda")


def scheduler(opt: torch.optim.Optimizer, config: Any) -> torch.optim.lr_scheduler.LambdaLR:
    rule = WarmupCosine(config.lr, config.min_lr, config.warmup_steps, config.decay_steps)
    return torch.optim.lr_scheduler.LambdaLR(opt, rule)


def step_schedule(sched: torch.optim.lr_scheduler.LambdaLR, trainer: api.Trainer) -> None:
    """Step the schedule. One whose decay follows the run (``decay_steps`` 0) ends at
    the run's length as the engine gives it now (``Trainer.total_steps``): a run
    continued to more steps stretches its decay to the new end."""
    for rule in sched.lr_lambdas:
        if isinstance(rule, WarmupCosine):
            rule.run_steps = int(getattr(trainer, "total_steps", 0) or 0)
    sched.step()


def filter_logits(logits: torch.Tensor, top_k: int, top_p: float) -> torch.Tensor:
    """Keep the ``top_k`` largest logits and the smallest set whose probability reaches
    ``top_p`` (nucleus); the rest become -inf. ``logits`` is (B, V), float."""
    if top_k and top_k < logits.size(-1):
        kth = torch.topk(logits, top_k, dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p < 1.0:
        sorted_logits, order = torch.sort(logits, descending=True, dim=-1)
        cumulative = sorted_logits.softmax(-1).cumsum(-1)
        # Drop a token when the tokens before it already reach top_p (the first stays).
        drop = cumulative - sorted_logits.softmax(-1) >= top_p
        sorted_logits = sorted_logits.masked_fill(drop, float("-inf"))
        logits = torch.full_like(logits, float("-inf")).scatter(-1, order, sorted_logits)
    return logits


class StreamDecoder:
    """Turns a growing list of token ids into new text pieces. Byte-level BPE tokens may
    end inside a UTF-8 character; such a tail is held back until it completes."""

    def __init__(self, tokenizer: tokenization.TextTokenizer) -> None:
        self.tokenizer = tokenizer
        self.text = ""

    def piece(self, ids: list[int]) -> str:
        text = self.tokenizer.decode(ids)
        if text.endswith("\ufffd"):
            return ""
        new, self.text = text[len(self.text) :], text
        return new


class LMTrainer(api.Trainer):
    """What the LSTM and the GPT share: data, optimisation, validation, sampling."""

    model: nn.Module
    context: int

    def __init__(self, config, dataset, device) -> None:
        super().__init__(config, dataset, device)
        self.text = data.corpus_text(dataset)
        self._words: set[str] | None = None

    # --- set-up, called by subclasses once the tokenizer and context are known -------
    def setup_data(self, tokenizer: tokenization.TextTokenizer, context: int) -> None:
        self.tokenizer = tokenizer
        self.context = context
        train_ids, val_ids = data.split_stream(
            tokenizer.encode_array(self.text), self.config.val_fraction
        )
        starts = data.window_starts(len(train_ids), context, "training")
        data.window_starts(len(val_ids), context, "validation")
        self.train_ids = train_ids.to(self.device)
        self.val_ids = val_ids.to(self.device)
        self.offsets = torch.arange(context + 1, device=self.device)
        n_val = self.config.val_batches * self.config.batch_size
        self.val_starts = data.fixed_windows(len(val_ids), context, n_val).to(self.device)
        # The engine shuffles window start positions (see data.py).
        self.dataset = api.LoadedDataset(
            kind=self.dataset.kind,
            train=(starts,),
            # Recorded in the run's config.json by the engine: a contiguous split (the
            # last part of the text validates), so no seed is involved.
            info={
                **self.dataset.info,
                "prep": {
                    "split": "contiguous",
                    "val_fraction": self.config.val_fraction,
                    "tokenizer": getattr(self.config, "tokenizer", "char"),
                },
            },
            name=self.dataset.name,
        )

    def setup_optimizer(self) -> None:
        self.opt = adamw(self.model, self.config, self.device)
        self.sched = scheduler(self.opt, self.config)

    # --- the engine's interface ----------------------------------------------------
    def modules(self):
        return {"model": self.model}

    def optimizers(self):
        return {"opt": self.opt}

    def schedulers(self):
        return {"lr": self.sched}

    def windows(self, tokens: torch.Tensor, starts: torch.Tensor) -> tuple[torch.Tensor, ...]:
        xy = tokens[starts[:, None] + self.offsets]
        return xy[:, :-1], xy[:, 1:]

    def loss(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def train_step(self, batch, step):
        x, y = self.windows(self.train_ids, batch)
        with self.autocast():
            loss = self.loss(x, y)
        self.optimize(loss, self.opt, clip=self.config.grad_clip or None)
        step_schedule(self.sched, self)
        # Validation runs at the engine's validate_every (a run setting), not here.
        return {"loss": loss.detach()}

    @torch.no_grad()
    def validate(self) -> dict[str, float]:
        total = torch.zeros((), device=self.device)
        bs = self.config.batch_size
        chunks = self.val_starts.split(bs)
        for starts in chunks:
            x, y = self.windows(self.val_ids, starts)
            with self.autocast():
                total += self.loss(x, y).float()
        loss = float(total) / len(chunks)
        return {"loss": loss, "perplexity": math.exp(min(loss, 50.0))}

    def extra_state(self) -> dict[str, Any]:
        return {"tokenizer": self.tokenizer.state()}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        saved = state.get("tokenizer")
        if saved and saved != self.tokenizer.state():
            # The run's own tokenizer wins over one rebuilt from the text.
            tok = tokenization.from_state(saved)
            if tok.vocab_size != self.tokenizer.vocab_size:
                raise api.DatasetError(
                    "the run's tokenizer does not fit this text's; resume on the same dataset"
                )
            self.setup_data(tok, self.context)

    # --- sampling --------------------------------------------------------------------
    def next_logits(self, idx: torch.Tensor, cache: Any) -> tuple[torch.Tensor, Any]:
        raise NotImplementedError

    @torch.no_grad()
    def generate(
        self,
        prompt_ids: list[int],
        n: int,
        max_new_tokens: int,
        generator: torch.Generator,
        temperature: float = 1.0,
        top_k: int = 0,
        top_p: float = 1.0,
        cancel: api.CancelToken | None = None,
    ) -> Iterator[list[list[int]]]:
        """``n`` continuations of ``prompt_ids``: yields the new tokens of each so far,
        after every token. Every random draw comes from ``generator`` (a CPU generator:
        probabilities are moved to the CPU, so the same seed gives the same text on any
        device). ``cancel`` is checked before each token."""
        start = prompt_ids or [self.tokenizer.start_id]
        idx = torch.tensor([start] * n, dtype=torch.long, device=self.device)
        out: list[list[int]] = [[] for _ in range(n)]
        cache = None
        for _ in range(max_new_tokens):
            if cancel is not None:
                cancel.raise_if_cancelled()
            with self.autocast():
                logits, cache = self.next_logits(idx, cache)
            logits = logits.float().cpu()
            if temperature <= 0:
                nxt = logits.argmax(-1, keepdim=True)
            else:
                logits = filter_logits(logits / temperature, top_k, top_p)
                nxt = torch.multinomial(logits.softmax(-1), 1, generator=generator)
            idx = torch.cat([idx, nxt.to(self.device)], dim=1)
            for i, token in enumerate(nxt[:, 0].tolist()):
                out[i].append(token)
            yield out

    def _settings(self, options: TextSampleOptions | None) -> TextSampleOptions:
        """The options, or for the engine's previews (``None``) the run's preview
        settings from its config."""
        if options is not None:
            return options
        c = self.config
        return TextSampleOptions(
            prompt=c.prompt,
            max_new_tokens=c.preview_tokens,
            temperature=c.temperature,
            top_k=c.top_k,
            top_p=c.top_p,
        )

    def sample_stream(
        self,
        generator: torch.Generator,
        n: int | None = None,
        options: TextSampleOptions | None = None,
        cancel: api.CancelToken | None = None,
    ) -> Iterator[api.Text]:
        """``n`` texts (default 1) continuing the prompt, yielded after every token
        (prompt + text so far); the last one carries the ``known_words`` metric.
        Raises ``SamplingCancelled`` when ``cancel`` is cancelled."""
        o = self._settings(options)
        ids = self.tokenizer.encode(o.prompt) if o.prompt else []
        prompt_text = self.tokenizer.decode(ids) if ids else ""  # what the model saw
        decoders = [StreamDecoder(self.tokenizer) for _ in range(n or 1)]
        new: list[list[int]] = [[] for _ in range(n or 1)]
        steps = self.generate(
            ids,
            n or 1,
            o.max_new_tokens,
            generator,
            temperature=o.temperature,
            top_k=o.top_k,
            top_p=o.top_p,
            cancel=cancel,
        )
        for new in steps:
            # A byte-level token may end inside a character: such a tail is held back
            # until it completes, so a part never shows a broken character.
            for d, tokens in zip(decoders, new, strict=True):
                d.piece(tokens)
            yield api.Text(texts=[prompt_text + d.text for d in decoders], prompt=prompt_text)
        generated = [self.tokenizer.decode(t) for t in new]
        yield api.Text(
            texts=[prompt_text + g for g in generated],
            prompt=prompt_text,
            metrics={"known_words": self.known_words(generated)},
        )

    def sample(
        self,
        generator: torch.Generator,
        n: int | None = None,
        options: TextSampleOptions | None = None,
    ) -> api.Text:
        """``n`` texts (default 1) continuing ``options.prompt``; ``None`` takes the
        run's preview settings (prompt, preview_tokens, temperature, top-k, top-p)."""
        parts = self.sample_stream(generator, n, options)
        return collections.deque(parts, maxlen=1)[0]  # the last part is the final text

    def known_words(self, texts: list[str]) -> float:
        """Share of the generated words (3+ letters) that occur in the corpus: near 0 for
        random characters, near 1 for a model that has learned to spell."""
        if self._words is None:
            self._words = set(re.findall(r"\w{3,}", self.text))
        words = [w for t in texts for w in re.findall(r"\w{3,}", t)]
        if not words:
            return 0.0
        return sum(w in self._words for w in words) / len(words)


class GPTTrainer(LMTrainer):
    """The GPT of chapters 11-12, from scratch or continued from GPT-2 weights."""

    def __init__(self, config, dataset, device) -> None:
        super().__init__(config, dataset, device)
        from studio.api import GPT, GPTShape

        if config.pretrained:
            from .gpt2_weights import load_gpt2

            model = load_gpt2(config.pretrained, dropout=config.dropout)
            tokenizer = tokenization.load_gpt2(config.pretrained)
            context = min(config.block_size, model.shape.block_size)
        else:
            tokenizer = tokenization.train(config.tokenizer, self.text, config.vocab_size)
            n_layer, n_head, n_embd = SIZES.get(
                config.size, (config.n_layer, config.n_head, config.n_embd)
            )
            if n_embd % n_head:
                raise api.ConfigError(f"n_embd: {n_embd} is not a multiple of {n_head} heads")
            shape = GPTShape(
                vocab_size=tokenizer.vocab_size,
                block_size=config.block_size,
                n_layer=n_layer,
                n_head=n_head,
                n_embd=n_embd,
                dropout=config.dropout,
                bias=config.bias,
                gelu_tanh=config.gelu_tanh,
                tie_weights=config.tie_weights,
            )
            model = GPT(shape)
            context = config.block_size
        self.model = model.to(self.device)
        # Training and validation windows have one shape, so a compiled forward pays
        # off; sampling (a growing sequence, a cache) stays eager. The checkpoint holds
        # the plain module's weights, which the compiled one shares.
        self.forward = torch.compile(self.model) if config.compile else self.model
        self.setup_data(tokenizer, context)
        self.setup_optimizer()

    def loss(self, x, y):
        return self.forward(x, y)[1]

    def next_logits(self, idx, cache):
        return self.model.next_logits(idx, cache)


class LSTMTrainer(LMTrainer):
    """The chapter 8 LSTM language model."""

    def __init__(self, config, dataset, device) -> None:
        super().__init__(config, dataset, device)
        from .lstm_network import LSTMModel

        tokenizer = tokenization.train(config.tokenizer, self.text, config.vocab_size)
        self.model = LSTMModel(
            tokenizer.vocab_size,
            config.embed,
            config.hidden,
            config.layers,
            config.dropout,
            config.output_dropout,
        ).to(self.device)
        self.setup_data(tokenizer, config.block_size)
        self.setup_optimizer()

    def loss(self, x, y):
        return self.model(x, y)[1]

    def next_logits(self, idx, cache):
        return self.model.next_logits(idx, cache)
