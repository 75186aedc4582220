"""The latent space explorer (Qt-free): interpolation between two latent vectors and
latent vector arithmetic (a - b + c, the book's "man with glasses - man + woman").

Each latent vector comes from its own seed (``torch.randn`` with a generator seeded by
it), so a result is reproduced from the seeds shown in its captions. For the
conditional GAN each vector also has a class (for DCGAN with InfoGAN codes, a code),
and the label vectors are combined the same way as the latents (the book's chapter 5
does both).
"""

from __future__ import annotations

from typing import Any, Protocol

import torch

from studio import api

from .pixels import to_uint8


class LatentModel(Protocol):
    """What the explorer needs of a trainer (the image GANs' base trainer has it)."""

    latent_dim: int
    device: torch.device
    conditional: bool  # the generator also takes label (class or code) vectors
    label_noun: str  # "class", or "" when the label names say what they are

    def generate(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor: ...

    def label_vectors(self, spec: Any, n: int) -> torch.Tensor: ...

    def mix_caption(self, spec: Any) -> str: ...


def latent(dim: int, seed: int) -> torch.Tensor:
    """The latent vector (1, dim) of ``seed``: the same seed always gives the same one."""
    return torch.randn(1, dim, generator=torch.Generator().manual_seed(int(seed)))


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation: stays at the norm Gaussian latents have, where linear
    interpolation passes through shorter (less typical) vectors halfway."""
    a_n, b_n = a / a.norm(dim=1, keepdim=True), b / b.norm(dim=1, keepdim=True)
    omega = torch.acos((a_n * b_n).sum(1, keepdim=True).clamp(-1 + 1e-7, 1 - 1e-7))
    so = torch.sin(omega)
    return (torch.sin((1 - t) * omega) / so) * a + (torch.sin(t * omega) / so) * b


def _labels(trainer: LatentModel, spec: Any, n: int) -> torch.Tensor | None:
    if not trainer.conditional:
        return None
    return trainer.label_vectors(0 if spec is None else spec, n)


def _tag(trainer: LatentModel, name: str, seed: int, label: Any) -> str:
    if not trainer.conditional:
        return f"{name}: seed {seed}"
    caption = trainer.mix_caption(0 if label is None else label)
    noun = f"{trainer.label_noun} " if trainer.label_noun else ""
    return f"{name}: seed {seed}, {noun}{caption}"


def interpolate(
    trainer: LatentModel,
    seed_a: int = 0,
    seed_b: int = 1,
    steps: int = 8,
    label_a: Any = None,
    label_b: Any = None,
    spherical: bool = False,
) -> api.Images:
    """A strip of ``steps`` images from the latent of ``seed_a`` to that of ``seed_b``
    (classes ``label_a`` -> ``label_b`` for the conditional GAN, default the same), one
    captioned row."""
    steps = max(2, int(steps))
    za, zb = latent(trainer.latent_dim, seed_a), latent(trainer.latent_dim, seed_b)
    t = torch.linspace(0, 1, steps).unsqueeze(1)
    z = slerp(za, zb, t) if spherical else (1 - t) * za + t * zb
    labels = None
    if trainer.conditional:
        label_b = label_a if label_b is None else label_b
        ya, yb = _labels(trainer, label_a, 1), _labels(trainer, label_b, 1)
        labels = (1 - t) * ya + t * yb
    images = trainer.generate(z.to(trainer.device), labels)
    captions = [f"t={v:.2f}" for v in t.squeeze(1).tolist()]
    captions[0] = _tag(trainer, "a", seed_a, label_a)
    captions[-1] = _tag(trainer, "b", seed_b, label_b)
    return api.Images(images=to_uint8(images), labels=captions, columns=len(captions))


def arithmetic(
    trainer: LatentModel,
    seed_a: int = 0,
    seed_b: int = 1,
    seed_c: int = 2,
    label_a: Any = None,
    label_b: Any = None,
    label_c: Any = None,
) -> api.Images:
    """Four images in a captioned row: a, b, c and the image of the latent a - b + c
    (label vectors combined the same way for the conditional GAN)."""
    dim = trainer.latent_dim
    zs = [latent(dim, s) for s in (seed_a, seed_b, seed_c)]
    z = torch.cat([*zs, zs[0] - zs[1] + zs[2]])
    labels = None
    if trainer.conditional:
        ys = [_labels(trainer, spec, 1) for spec in (label_a, label_b, label_c)]
        labels = torch.cat([*ys, ys[0] - ys[1] + ys[2]])
    images = trainer.generate(z.to(trainer.device), labels)
    captions = [
        _tag(trainer, "a", seed_a, label_a),
        _tag(trainer, "b", seed_b, label_b),
        _tag(trainer, "c", seed_c, label_c),
        "a - b + c",
    ]
    return api.Images(images=to_uint8(images), labels=captions, columns=len(captions))
