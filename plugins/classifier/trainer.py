"""Training and reporting of the chapter 2 classifiers.

The data (any labelled images: the embedded digits, class folders) is resized, put in
[-1, 1] and split once, by ``split_seed``, into train / validation / test parts held
as tensors. The engine trains on the first; ``validate`` (logged as ``val/loss`` and
``val/accuracy``, what early stopping watches) reads the second in evaluation mode;
the previews report on the third, never trained on or stopped on: ``sample/accuracy``
is the held-out accuracy. A binary task keeps two classes, relabelled 0 and 1.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from studio import api

from .config import ClassifyOptions
from .conv_network import ConvClassifier
from .mlp_network import MLPClassifier
from .report import ClassifierReport

EVAL_BATCH = 512


def _as_tensors(part: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """(images, labels) of a prepared part: tensors already, or decoded item by item."""
    if part is None:
        return torch.zeros(0), torch.zeros(0, dtype=torch.int64)
    if isinstance(part, tuple):
        if len(part) < 2:
            raise api.DatasetError("the classifier needs labelled images (class folders)")
        return part[0].float(), part[1].long()
    items = [part[i] for i in range(len(part))]
    if not items or not isinstance(items[0], (tuple, list)):
        raise api.DatasetError("the classifier needs labelled images (class folders)")
    return torch.stack([it[0] for it in items]).float(), torch.tensor([int(it[1]) for it in items])


def _pick_class(spec: str, names: list[str]) -> int:
    spec = spec.strip()
    if spec in names:
        return names.index(spec)
    if spec.isdigit() and int(spec) < len(names):
        return int(spec)
    raise api.ConfigError(f"binary_classes: {spec!r} is not one of {', '.join(names)}")


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """(N, C, H, W) in [-1, 1] -> (N, H, W, C) uint8."""
    x = ((images.detach().float().cpu().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return x.permute(0, 2, 3, 1).numpy()


class JudgeNetwork(nn.Module):
    """A trained classifier as a judge of generated images (docs/health.md): any size
    and channel count in, resized and converted to what the classifier was trained on;
    a binary classifier's logit becomes two class scores."""

    def __init__(self, net: nn.Module, size: int, channels: int, binary: bool) -> None:
        super().__init__()
        self.net, self.size, self.channels, self.binary = net, size, channels, binary

    def _fit(self, images: torch.Tensor) -> torch.Tensor:
        x = images.float()
        if x.shape[1] != self.channels:
            x = x.mean(1, keepdim=True) if self.channels == 1 else x[:, :1].expand(-1, 3, -1, -1)
        if x.shape[-1] != self.size or x.shape[-2] != self.size:
            x = F.interpolate(x, size=(self.size, self.size), mode="bilinear", antialias=True)
        return x

    def features(self, images: torch.Tensor) -> torch.Tensor:
        return self.net.features(self._fit(images))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        logits = self.net(self._fit(images))
        return torch.cat([torch.zeros_like(logits), logits], 1) if self.binary else logits


class ClassifierTrainer(api.Trainer):
    def __init__(self, config: Any, dataset: api.LoadedDataset, device: torch.device) -> None:
        prepared = api.prepare_images(dataset, config.image_size, config.channels)
        images, labels = _as_tensors(prepared.train)
        if prepared.val is not None:  # a reader's own split joins the pool we split
            vi, vl = _as_tensors(prepared.val)
            images, labels = torch.cat([images, vi]), torch.cat([labels, vl])
        names = [str(c) for c in dataset.info.get("classes") or []]
        if not names:
            names = [str(i) for i in range(int(labels.max()) + 1 if len(labels) else 0)]
        self.binary = config.task == "binary"
        if self.binary:
            parts = [p for p in config.binary_classes.split(",") if p.strip()]
            if len(parts) != 2:
                raise api.ConfigError("binary_classes: give two classes, e.g. 0,9")
            a, b = (_pick_class(p, names) for p in parts)
            keep = (labels == a) | (labels == b)
            images, labels = images[keep], (labels[keep] == b).long()
            names = [names[a], names[b]]
        if len(labels) < 3:
            raise api.DatasetError("the classifier needs at least 3 labelled images")
        self.class_names = names
        train, val, test = self._split(images, labels, config)
        info = dict(prepared.info, classes=names)
        split = api.LoadedDataset(kind=dataset.kind, train=train, val=val, info=info)
        super().__init__(config, split, device)
        self.test = test
        outputs = 1 if self.binary else len(names)
        if config.architecture == "conv":
            self.net: nn.Module = ConvClassifier(
                config.channels, config.image_size, outputs, config.dropout
            )
        else:
            pixels = config.channels * config.image_size**2
            self.net = MLPClassifier(pixels, outputs, dropout=config.dropout)
        self.net.to(self.device)
        self.opt = torch.optim.Adam(self.net.parameters(), lr=config.lr)

    @staticmethod
    def _split(images, labels, config):
        """A seeded split into train, validation and test parts."""
        n = len(labels)
        perm = torch.randperm(n, generator=torch.Generator().manual_seed(config.split_seed))
        n_test = round(n * config.test_fraction)
        n_val = round(n * config.val_fraction)
        test, val, train = perm[:n_test], perm[n_test : n_test + n_val], perm[n_test + n_val :]
        part = lambda idx: (images[idx], labels[idx]) if len(idx) else None  # noqa: E731
        return part(train), part(val), part(test)

    def modules(self) -> dict[str, nn.Module]:
        return {"net": self.net}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"opt": self.opt}

    def loss(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Binary: sigmoid + BCE on one logit (as one stable call); else cross-entropy."""
        if self.binary:
            return F.binary_cross_entropy_with_logits(logits.squeeze(1), labels.float())
        return F.cross_entropy(logits, labels)

    def train_step(self, batch: Any, step: int) -> dict[str, torch.Tensor]:
        images, labels = batch
        with self.autocast():
            loss = self.loss(self.net(images), labels)
        self.optimize(loss, self.opt)
        return {"loss": loss.detach()}

    # --- evaluation (the engine calls these in evaluation mode, without gradients) ---
    @torch.no_grad()
    def probabilities(self, images: torch.Tensor) -> torch.Tensor:
        """(N, classes) class probabilities (two columns for a binary task)."""
        out = []
        for i in range(0, len(images), EVAL_BATCH):
            logits = self.net(images[i : i + EVAL_BATCH].to(self.device)).float()
            if self.binary:
                p = torch.sigmoid(logits[:, 0])
                out.append(torch.stack([1 - p, p], 1).cpu())
            else:
                out.append(F.softmax(logits, 1).cpu())
        return torch.cat(out) if out else torch.zeros(0, len(self.class_names))

    @torch.no_grad()
    def _loss_over(self, part) -> float:
        images, labels = part
        total = 0.0
        for i in range(0, len(labels), EVAL_BATCH):
            logits = self.net(images[i : i + EVAL_BATCH].to(self.device)).float()
            y = labels[i : i + EVAL_BATCH].to(self.device)
            total += float(self.loss(logits, y)) * len(y)
        return total / len(labels)  # the mean over every image, not over batches

    def validate(self) -> dict[str, float]:
        if self.dataset.val is None:
            return {}
        probs = self.probabilities(self.dataset.val[0])
        acc = float((probs.argmax(1) == self.dataset.val[1]).float().mean())
        return {"loss": self._loss_over(self.dataset.val), "accuracy": acc}

    def sample(self, generator: torch.Generator, n: int | None = None, options: Any = None):
        opts = options if isinstance(options, ClassifyOptions) else ClassifyOptions()
        if opts.image:
            return self.classify_file(opts.image)
        part = self.test or self.dataset.val or self.dataset.train
        images, labels = part
        k = len(self.class_names)
        probs = self.probabilities(images)
        pred = probs.argmax(1)
        confusion = torch.bincount(labels * k + pred, minlength=k * k).view(k, k)
        wrong = (pred != labels).nonzero().flatten()[: n if n is not None else opts.examples]
        report = ClassifierReport(
            class_names=self.class_names,
            confusion=confusion.tolist(),
            images=to_uint8(images[wrong]),
            true=labels[wrong].tolist(),
            predicted=pred[wrong].tolist(),
            probs=probs[wrong].tolist(),
        )
        per_class = report.per_class()
        precisions = [c["precision"] for c in per_class if c["support"]]
        report.metrics = {
            "accuracy": report.accuracy(),
            "mean_precision": float(np.nanmean(precisions)) if precisions else 0.0,
            "worst_class_accuracy": float(min(c["recall"] for c in per_class if c["support"])),
        }
        return report

    def judge(self) -> tuple[nn.Module, torch.Tensor]:
        """This classifier as a judge (``judge=RUN_DIR``): its network on the CPU, and
        the held-out real images its figures compare generated ones with."""
        parts = [p[0] for p in (self.test, self.dataset.val) if p is not None]
        real = torch.cat(parts) if parts else self.dataset.train[0][:1000]
        net = JudgeNetwork(self.net, self.config.image_size, self.config.channels, self.binary)
        return net.cpu().eval(), real

    def classify_file(self, path: str) -> ClassifierReport:
        """The class probabilities of one image file (what Explore does with a drop)."""
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(path) as im:
                im = im.convert("L" if self.config.channels == 1 else "RGB")
                arr = np.asarray(im, dtype=np.uint8)
        except (OSError, UnidentifiedImageError) as exc:
            raise api.ConfigError(f"image: cannot read {path}: {exc}") from None
        x = torch.from_numpy(arr.copy())
        x = x.unsqueeze(0) if x.ndim == 2 else x.permute(2, 0, 1)
        size = self.config.image_size
        x = F.interpolate(x.unsqueeze(0).float() / 127.5 - 1, size=(size, size), mode="area")
        probs = self.probabilities(x)
        k = len(self.class_names)
        report = ClassifierReport(
            class_names=self.class_names,
            confusion=[[0] * k for _ in range(k)],
            images=to_uint8(x),
            true=[-1],
            predicted=[int(probs[0].argmax())],
            probs=probs.tolist(),
        )
        report.metrics = {"confidence": float(probs[0].max())}
        return report
