"""Fine-tuning a GPT for classification: a linear head on the last token's hidden state.

The body is our GPT, from scratch or from GPT-2 weights (``pretrained``); texts are
tokenized, cut to ``block_size`` tokens and padded on the right. With causal attention
the last real token has seen the whole text and no padding, so its hidden state is
the text's summary (as in GPT-2's sequence classification). The held-out split is
stratified and fixed (seed 0), so accuracy is measured on the same texts at every
step, after a resume, and when sampling.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from studio import api
from studio.api import GPT, GPTShape

from . import tokenization
from .config import SIZES, ClassifySampleOptions
from .trainer import adamw, scheduler, step_schedule

SPLIT_SEED = 0


class GPTClassifier(nn.Module):
    def __init__(self, body: GPT, n_classes: int, dropout: float) -> None:
        super().__init__()
        self.body = body
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(body.shape.n_embd, n_classes)
        nn.init.normal_(self.head.weight, std=0.02)
        nn.init.zeros_(self.head.bias)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Class logits (B, classes) of right-padded ``ids`` with real ``lengths``."""
        hidden, _ = self.body.hidden(ids)
        last = hidden[torch.arange(ids.shape[0], device=ids.device), lengths - 1]
        return self.head(self.dropout(last))


def stratified_split(labels: list[int], val_fraction: float) -> tuple[list[int], list[int]]:
    """Indices of a seeded split that holds out ``val_fraction`` of every class."""
    g = torch.Generator().manual_seed(SPLIT_SEED)
    train: list[int] = []
    val: list[int] = []
    by_class: dict[int, list[int]] = {}
    for i, label in enumerate(labels):
        by_class.setdefault(label, []).append(i)
    for members in by_class.values():
        perm = [members[j] for j in torch.randperm(len(members), generator=g).tolist()]
        n_val = max(1, round(len(perm) * val_fraction)) if len(perm) > 1 else 0
        val += perm[:n_val]
        train += perm[n_val:]
    return sorted(train), sorted(val)


class ClassifierTrainer(api.Trainer):
    def __init__(self, config, dataset, device) -> None:
        super().__init__(config, dataset, device)
        info = dataset.info
        texts, labels, classes = info.get("texts"), info.get("labels"), info.get("classes")
        if not texts or labels is None or not classes:
            raise api.DatasetError(
                f"dataset {dataset.name or '?'} is not labelled text: drop a folder with one "
                "sub-folder of .txt files per class, or a text<TAB>label .tsv file"
            )
        self.classes = list(classes)
        self.texts = list(texts)
        train_idx, val_idx = stratified_split(list(labels), config.val_fraction)
        if not train_idx or not val_idx:
            raise api.DatasetError("too few texts to hold some out: at least 2 per class")

        if config.pretrained:
            from .gpt2_weights import load_gpt2

            body = load_gpt2(config.pretrained, dropout=config.dropout)
            self.tokenizer = tokenization.load_gpt2(config.pretrained)
        else:
            corpus = "\n".join(self.texts[i] for i in train_idx)
            self.tokenizer = tokenization.train(config.tokenizer, corpus, config.vocab_size)
            n_layer, n_head, n_embd = SIZES.get(
                config.size, (config.n_layer, config.n_head, config.n_embd)
            )
            body = GPT(
                GPTShape(
                    vocab_size=self.tokenizer.vocab_size,
                    block_size=config.block_size,
                    n_layer=n_layer,
                    n_head=n_head,
                    n_embd=n_embd,
                    dropout=config.dropout,
                    bias=config.bias,
                )
            )
        self.max_len = min(config.block_size, body.shape.block_size)
        self.model = GPTClassifier(body, len(self.classes), config.dropout).to(self.device)
        if config.freeze_body:
            for name, p in self.model.body.named_parameters():
                p.requires_grad = name.startswith("transformer.ln_f")

        ids, lengths = self.encode([self.texts[i] for i in range(len(self.texts))])
        y = torch.tensor(list(labels), dtype=torch.long)
        tr, va = torch.tensor(train_idx), torch.tensor(val_idx)
        self.dataset = api.LoadedDataset(
            kind=dataset.kind,
            train=(ids[tr], lengths[tr], y[tr]),
            val=(ids[va], lengths[va], y[va]),
            # Recorded in the run's config.json by the engine.
            info={
                **info,
                "prep": {
                    "split": "stratified",
                    "val_fraction": config.val_fraction,
                    "split_seed": SPLIT_SEED,
                    "tokenizer": config.tokenizer,
                    "classes": self.classes,  # for the run's widget (RunHandle.class_names)
                },
            },
            name=dataset.name,
        )
        self.val_index = val_idx
        self.val = tuple(t.to(self.device) for t in self.dataset.val)
        self.opt = adamw(self.model, config, self.device)
        self.sched = scheduler(self.opt, config)

    def encode(self, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """Right-padded ids (N, max_len) and lengths (N,); an empty text becomes the
        start token alone."""
        rows = [
            self.tokenizer.encode(t)[: self.max_len] or [self.tokenizer.start_id] for t in texts
        ]
        ids = torch.zeros(len(rows), self.max_len, dtype=torch.long)
        for i, row in enumerate(rows):
            ids[i, : len(row)] = torch.tensor(row, dtype=torch.long)
        return ids, torch.tensor([len(r) for r in rows], dtype=torch.long)

    # --- the engine's interface ------------------------------------------------------
    def modules(self):
        return {"model": self.model}

    def optimizers(self):
        return {"opt": self.opt}

    def schedulers(self):
        return {"lr": self.sched}

    def logits(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        width = int(lengths.max())  # no work on columns that are padding in every row
        with self.autocast():
            return self.model(ids[:, :width], lengths).float()

    def train_step(self, batch, step):
        ids, lengths, y = batch
        logits = self.logits(ids, lengths)
        loss = F.cross_entropy(logits, y)
        self.optimize(loss, self.opt, clip=self.config.grad_clip or None)
        step_schedule(self.sched, self)
        out: dict[str, Any] = {
            "loss": loss.detach(),
            "accuracy": (logits.argmax(-1) == y).float().mean().detach(),
        }
        return out  # validation: at the engine's validate_every

    @torch.no_grad()
    def predict(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Class probabilities (N, classes), in batches."""
        out = []
        for i in range(0, len(ids), 256):
            out.append(self.logits(ids[i : i + 256], lengths[i : i + 256]).softmax(-1))
        return torch.cat(out)

    def validate(self) -> dict[str, float]:
        ids, lengths, y = self.val
        probs = self.predict(ids, lengths)
        loss = F.nll_loss(probs.clamp_min(1e-12).log(), y).item()
        accuracy = (probs.argmax(-1) == y).float().mean().item()
        return {"loss": loss if math.isfinite(loss) else 50.0, "accuracy": accuracy}

    def sample(self, generator, n=None, options: ClassifySampleOptions | None = None) -> api.Text:
        """With ``options.text``: its class probabilities. Without: ``n`` held-out texts
        (drawn with ``generator``) with their predicted and true classes; the metric is
        the accuracy on the whole held-out split."""
        text = options.text if options is not None and options.text.strip() else None
        if text is not None:
            ids, lengths = self.encode([text])
            probs = self.predict(ids.to(self.device), lengths.to(self.device))[0].cpu()
            order = probs.argsort(descending=True).tolist()
            lines = [f"{self.classes[i]}: {probs[i]:.1%}" for i in order]
            return api.Text(texts=["\n".join(lines)], prompt=text)
        ids, lengths, y = self.val
        probs = self.predict(ids, lengths)
        pred = probs.argmax(-1)
        accuracy = (pred == y).float().mean().item()
        count = min(n or self.config.preview_texts, len(y))
        pick = torch.randperm(len(y), generator=generator)[:count].tolist()
        texts = []
        for i in pick:
            p, t = int(pred[i]), int(y[i])
            mark = "right" if p == t else f"wrong, it is {self.classes[t]}"
            snippet = self.texts[self.val_index[i]]
            snippet = snippet if len(snippet) <= 300 else snippet[:300] + "..."
            texts.append(f"[{self.classes[p]} {float(probs[i, p]):.0%}: {mark}]\n{snippet}")
        return api.Text(texts=texts, metrics={"accuracy": accuracy})

    def extra_state(self) -> dict[str, Any]:
        return {"tokenizer": self.tokenizer.state(), "classes": self.classes}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        if state.get("classes") not in (None, self.classes):
            raise api.DatasetError(
                f"the run was trained on classes {state['classes']}, this dataset has "
                f"{self.classes}; resume on the same dataset"
            )
        saved = state.get("tokenizer")
        if saved and saved != self.tokenizer.state():
            raise api.DatasetError(
                "the run's tokenizer differs from the one rebuilt from this dataset; "
                "resume on the same dataset"
            )
