"""A small digit classifier trained on the real digits, used to judge generated ones
(the learning tests, the benches and the health monitor of image generators). Plugins
reach it as ``studio.api.judge``; ``digit_judge()`` is one judge per process, trained
on the embedded digits. Qt-free.

Scores, on images in [-1, 1] of shape (N, 1, 32, 32):

- ``digit_accuracy`` (unconditional models): the share of samples the classifier
  assigns to some digit with probability >= ``threshold`` (0.9). A real digit almost
  always passes (about 0.97 on held-out real digits); noise, blobs and half-formed
  strokes do not. Confident garbage is possible for any classifier, so the tests also
  check that an untrained generator scores low and that the samples cover many classes.
- ``label_accuracy`` (conditional models): the share of samples whose recognised class
  (the classifier's arg-max) is the class that was asked for.
- ``classes_covered``: how many of the ten digits are recognised (confidently) in at
  least 2% of the samples: mode collapse shows as a small number.
- ``code_purity`` (DCGAN with InfoGAN codes): the share of samples recognised as the
  digit most often recognised for their code: 1.0 when every code is one digit.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


class DigitClassifier(nn.Module):
    """Two conv layers and a linear head. Images are first averaged down to 16x16: the
    digits were 8x8 to begin with, so nothing is lost and training takes seconds."""

    def __init__(self, classes: int = 10) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 8x8
            nn.Conv2d(32, 64, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 4x4
            nn.Flatten(),
            nn.Linear(64 * 4 * 4, 128),
            nn.ReLU(),
            nn.Linear(128, classes),
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """(N, 1, S, S) images in [-1, 1], any S a multiple of 16 -> (N, classes) logits."""
        return self.net(F.adaptive_avg_pool2d(images, 16))


@dataclass
class TrainedJudge:
    model: DigitClassifier
    held_out_accuracy: float  # on real digits it never saw
    held_out_confident: float  # share of held-out real digits passing the threshold


def _shift(images: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """Random shifts of up to 1 pixel, so that the classifier does not depend on the
    exact placement of the real digits (generated ones are never placed exactly so)."""
    dx, dy = (int(v) for v in torch.randint(-1, 2, (2,), generator=g))
    return torch.roll(images, shifts=(dy, dx), dims=(2, 3))


def train_judge(
    images: torch.Tensor,
    labels: torch.Tensor,
    epochs: int = 15,
    seed: int = 0,
    held_out: float = 0.2,
    threshold: float = 0.9,
) -> TrainedJudge:
    """Train on real digits (N, 1, 32, 32) in [-1, 1]; a seeded share is held out and
    scored. Uses its own generator: the global RNGs are left alone."""
    g = torch.Generator().manual_seed(seed)
    n = len(images)
    perm = torch.randperm(n, generator=g)
    n_val = int(n * held_out)
    val, train = perm[:n_val], perm[n_val:]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)  # initial weights and dropout
        model = DigitClassifier(int(labels.max()) + 1)
        opt = torch.optim.Adam(model.parameters(), lr=2e-3)
        total = epochs * -(-len(train) // 64)
        # Linear decay to zero: the last epochs settle the weights, so the classifier
        # is confident on real digits (the threshold below means something).
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda i: 1 - i / total)
        model.train()
        for _ in range(epochs):
            order = train[torch.randperm(len(train), generator=g)]
            for i in range(0, len(order), 64):
                idx = order[i : i + 64]
                loss = F.cross_entropy(model(_shift(images[idx], g)), labels[idx])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                sched.step()
    model.eval()
    probs = predict(model, images[val])
    acc = float((probs.argmax(1) == labels[val]).float().mean()) if n_val else 1.0
    confident = float((probs.max(1).values >= threshold).float().mean()) if n_val else 1.0
    return TrainedJudge(model, acc, confident)


@torch.no_grad()
def predict(model: DigitClassifier, images: torch.Tensor) -> torch.Tensor:
    """Class probabilities (N, classes) of images in [-1, 1]."""
    model.eval()
    x = images.detach().float().cpu()
    if x.shape[1] == 3:  # a colour model trained on digits: judge the luma
        x = (x * torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)).sum(1, keepdim=True)
    return torch.cat([F.softmax(model(x[i : i + 256]), 1) for i in range(0, len(x), 256)])


def score(
    model: DigitClassifier,
    images: torch.Tensor,
    requested: torch.Tensor | None = None,
    threshold: float = 0.9,
) -> dict[str, float]:
    """The scores described in the module docstring, for generated ``images``."""
    probs = predict(model, images)
    conf, cls = probs.max(1)
    confident = conf >= threshold
    counts = torch.bincount(cls[confident], minlength=probs.shape[1]).float()
    out = {
        "digit_accuracy": float(confident.float().mean()),
        "mean_confidence": float(conf.mean()),
        "classes_covered": float((counts >= 0.02 * len(images)).sum()),
    }
    if requested is not None:
        out["label_accuracy"] = float((cls == requested.cpu()).float().mean())
    return out


def code_purity(model: DigitClassifier, images: torch.Tensor, codes: torch.Tensor) -> float:
    """The share of ``images`` recognised as the digit most often recognised among the
    images of the same code (``codes``: (N,) code indices)."""
    cls = predict(model, images).argmax(1)
    codes = codes.cpu()
    agree = sum(int(torch.bincount(cls[codes == c]).max()) for c in codes.unique())
    return agree / max(len(images), 1)


def images_from_uint8(images) -> torch.Tensor:
    """``api.Images.images`` (N, H, W, C) uint8 -> (N, C, H, W) float in [-1, 1]."""
    x = torch.as_tensor(images).permute(0, 3, 1, 2).float()
    return x / 127.5 - 1


@functools.lru_cache(maxsize=1)
def digit_judge(seed: int = 0) -> TrainedJudge:
    """A judge trained on the embedded digits at 32x32 (seconds on a CPU), once per
    process: every test and bench that judges digits shares it."""
    from studio.core.digits import load_digits
    from studio.core.prepare import prepare_images

    images, labels = prepare_images(load_digits(32), 32, 1).train
    return train_judge(images, labels, seed=seed)
