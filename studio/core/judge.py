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

On the judge's penultimate layer (``features``: 128 values an image), real and
generated images are compared as distributions (docs/health.md):

- ``frechet_distance``: the Frechet distance between two Gaussians fitted to the
  features (FID's formula, on this judge's features rather than Inception's: comparable
  between runs judged by the same judge, not with published FIDs);
- ``precision_recall``: Kynkaanniemi et al. (2019): precision is the share of
  generated samples inside the real manifold (within the distance of some real
  sample to its k-th nearest real neighbour), recall the share of real samples inside
  the generated manifold. Low precision: unrealistic samples; low recall: missing modes.
- ``diversity``: the mean distance between two samples' features; ``Judge`` reports it
  as a share of the real images' own (near 0: the samples are all alike).

``Judge`` bundles a model with real images' features: what the health monitor
attaches to a run (``load_judge("digits")``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """The penultimate layer: (N, 128) after the hidden ReLU."""
        return self.net[:-1](F.adaptive_avg_pool2d(images, 16))


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
    # enable_grad: it may be first asked for inside a no-grad preview of a run
    with torch.random.fork_rng(devices=[]), torch.enable_grad():
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
    x = _inputs(images)
    return torch.cat([F.softmax(model(x[i : i + 256]), 1) for i in range(0, len(x), 256)])


def _inputs(images: torch.Tensor) -> torch.Tensor:
    x = images.detach().float().cpu()
    if x.shape[1] == 3:  # a colour model trained on digits: judge the luma
        x = (x * torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)).sum(1, keepdim=True)
    return x


@torch.no_grad()
def features(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """The judge's penultimate-layer features (N, D) of images in [-1, 1] (float64).
    ``model`` has a ``features`` method (``DigitClassifier``, the classifier plugin's
    networks)."""
    model.eval()
    x = _inputs(images)
    parts = [model.features(x[i : i + 256]).double() for i in range(0, len(x), 256)]
    return torch.cat(parts) if parts else torch.zeros(0, 1, dtype=torch.float64)


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


def for_judge(images: torch.Tensor) -> torch.Tensor:
    """Images (N, C, S, S) in [-1, 1] of any size as the judge reads them: 32x32
    (bilinear, antialiased), clamped, on the CPU. Generated images and the real ones
    they are compared with (``digit_judge(size=S)``) take this same path."""
    x = images.detach().float().clamp(-1, 1).cpu()
    if x.shape[-1] != 32:
        x = F.interpolate(x, size=(32, 32), mode="bilinear", antialias=True)
    return x


def real_digits(size: int = 32) -> tuple[torch.Tensor, torch.Tensor]:
    """The embedded digits as a model of ``size`` x ``size`` sees them (resized by
    ``prepare_images``, as for training), brought back to 32x32 by ``for_judge``: the
    judge's reference for that model's samples. Images (N, 1, 32, 32), labels (N,)."""
    from studio.core.digits import load_digits
    from studio.core.prepare import prepare_images

    images, labels = prepare_images(load_digits(32), size, 1).train
    return for_judge(images), labels


def digit_judge(seed: int = 0, size: int = 32) -> TrainedJudge:
    """A judge trained on the embedded digits (seconds on a CPU), once per process:
    every test and bench that judges digits shares it.

    ``size``: the resolution of the images it will judge. A model trained at 8x8 can
    at best draw the digits as they look at 8x8 (blurred once brought back to 32x32):
    a judge trained at 32x32 recognises only 84% of those real digits, so samples are
    judged by a judge trained on real digits at their own resolution."""
    return _trained_judge(seed, size)


@functools.lru_cache(maxsize=4)
def _trained_judge(seed: int, size: int) -> TrainedJudge:
    images, labels = real_digits(size)
    return train_judge(images, labels, seed=seed)


def _sqrt_psd(m: torch.Tensor) -> torch.Tensor:
    """The square root of a symmetric positive semi-definite matrix."""
    w, v = torch.linalg.eigh(m)
    return (v * w.clamp(min=0).sqrt()) @ v.T


def frechet_distance(real_feats: torch.Tensor, fake_feats: torch.Tensor) -> float:
    """||mu_r - mu_f||^2 + Tr(C_r + C_f - 2 (C_r^1/2 C_f C_r^1/2)^1/2): the Frechet
    distance between Gaussians fitted to two sets of features (N, D). The trace of the
    root is taken through symmetric eigendecompositions, stable when the covariances are
    singular (fewer samples than dimensions)."""
    r, f = real_feats.double(), fake_feats.double()
    mu_r, mu_f = r.mean(0), f.mean(0)
    c_r, c_f = torch.atleast_2d(torch.cov(r.T)), torch.atleast_2d(torch.cov(f.T))
    s_r = _sqrt_psd(c_r)
    middle = s_r @ c_f @ s_r
    root_trace = torch.linalg.eigvalsh((middle + middle.T) / 2).clamp(min=0).sqrt().sum()
    value = (mu_r - mu_f).pow(2).sum() + c_r.trace() + c_f.trace() - 2 * root_trace
    return max(0.0, float(value))


def _kth_radius(feats: torch.Tensor, k: int) -> torch.Tensor:
    """Each sample's distance to its k-th nearest neighbour in its own set."""
    d = torch.cdist(feats, feats)
    k = min(k, len(feats) - 1)
    return d.kthvalue(k + 1, dim=1).values  # the first is the sample itself (0)


def precision_recall(
    real_feats: torch.Tensor,
    fake_feats: torch.Tensor,
    k: int = 3,
    real_radii: torch.Tensor | None = None,
) -> tuple[float, float]:
    """Improved precision and recall (Kynkaanniemi et al., 2019) of generated features
    against real ones: precision, the share of generated samples within the k-NN
    radius of some real sample; recall, the share of real samples within the k-NN
    radius of some generated sample. ``real_radii``: the real set's radii, when the
    caller keeps them (they depend only on the real set)."""
    r, f = real_feats.double(), fake_feats.double()
    if len(r) < 2 or len(f) < 2:
        return 0.0, 0.0
    d = torch.cdist(f, r)  # (fake, real)
    radii = _kth_radius(r, k) if real_radii is None else real_radii
    precision = (d <= radii[None, :]).any(1).double().mean()
    recall = (d <= _kth_radius(f, k)[:, None]).any(0).double().mean()
    return float(precision), float(recall)


def diversity(feats: torch.Tensor) -> float:
    """The mean distance between the features of two different samples."""
    n = len(feats)
    if n < 2:
        return 0.0
    return float(torch.cdist(feats.double(), feats.double()).sum() / (n * (n - 1)))


class Judge:
    """A classifier and real images' features: scores generated images for the health
    monitor (``score_images``). ``real_images`` (N, C, H, W) in [-1, 1]."""

    def __init__(
        self, model: nn.Module, real_images: torch.Tensor, threshold: float = 0.9, k: int = 3
    ) -> None:
        self.model = model
        self.threshold = threshold
        self.k = k
        self.real_features = features(model, real_images)
        self.real_radii = _kth_radius(self.real_features, k)
        self.real_diversity = diversity(self.real_features[:1000]) or 1.0

    def score_images(self, images) -> dict[str, float]:
        """Scores of a batch of generated images: uint8 (N, H, W, C) as in
        ``api.Images``, or a float tensor (N, C, H, W) in [-1, 1]."""
        x = images if isinstance(images, torch.Tensor) else images_from_uint8(images)
        probs = predict(self.model, x)
        conf, cls = probs.max(1)
        confident = conf >= self.threshold
        counts = torch.bincount(cls[confident], minlength=probs.shape[1]).float()
        fake = features(self.model, x)
        precision, recall = precision_recall(self.real_features, fake, self.k, self.real_radii)
        return {
            "recognised": float(confident.float().mean()),
            "classes_covered": float((counts >= 0.02 * len(x)).sum()),
            "frechet": frechet_distance(self.real_features, fake),
            "precision": precision,
            "recall": recall,
            "diversity": diversity(fake) / self.real_diversity,
        }


@functools.lru_cache(maxsize=4)
def _digits_judge(size: int = 32) -> Judge:
    real = real_digits(size)[0]
    # 1,000 real images: enough for stable statistics, and the k-NN radii stay cheap.
    g = torch.Generator().manual_seed(0)
    pick = torch.randperm(len(real), generator=g)[:1000]
    return Judge(digit_judge(size=size).model, real[pick])


def load_judge(name: str, resolve: Any = None, size: int = 32) -> Judge:
    """The judge the ``judge`` engine setting names: ``digits`` (built in, trained on
    the embedded digits at ``size``, see ``digit_judge``), or the folder of a trained
    run whose trainer offers a judge (``judge() -> (network, real images)``: the
    ``classifier`` model's runs), loaded through ``resolve`` (RunRecord ->
    (ModelSource, DatasetSpec), the plugin manager's ``resolve_run``).
    ``ConfigError`` (one line) otherwise."""
    from studio.core.config import ConfigError

    if name.strip().lower() == "digits":
        return _digits_judge(size)
    path = Path(name).expanduser()
    if not (path / "config.json").is_file():
        raise ConfigError(f"judge: {name!r} is neither 'digits' nor the folder of a classifier run")
    if resolve is None:
        raise ConfigError(f"judge: {name}: a run as judge needs the app's plugins to load it")
    from studio.core.run_sampler import RunSampler

    sampler = RunSampler(path, resolve)
    make = getattr(sampler.trainer(), "judge", None)
    if make is None:
        raise ConfigError(f"judge: {name} is a {sampler.record.model} run, not a classifier")
    network, real = make()
    return Judge(network, real)
