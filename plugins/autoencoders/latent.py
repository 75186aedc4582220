"""Operations on codes (Qt-free): encode in batches, class means, a 2-D map by PCA and
back, interpolation and arithmetic. Codes are the encoder's means throughout.
"""

from __future__ import annotations

from collections.abc import Callable

import torch


def in_batches(
    fn: Callable[[torch.Tensor], torch.Tensor],
    inputs: torch.Tensor,
    device: torch.device,
    batch: int = 256,
) -> torch.Tensor:
    """``fn`` (an encoder or a decoder) over ``inputs`` in batches, on ``device``;
    the outputs on the CPU."""
    parts = [
        fn(inputs[i : i + batch].to(device)).float().cpu() for i in range(0, len(inputs), batch)
    ]
    return torch.cat(parts)


def class_means(codes: torch.Tensor, labels: torch.Tensor, classes: int) -> torch.Tensor:
    """(classes, D): the mean code of each class (zeros for a class with no image)."""
    out = torch.zeros(classes, codes.shape[1])
    out.index_add_(0, labels, codes)
    counts = torch.bincount(labels, minlength=classes).clamp(min=1).unsqueeze(1)
    return out / counts


class Plane:
    """Two axes through the codes: at latent size 2 the codes themselves, else their
    first two principal components (each pointed so that its largest entry is
    positive, so the same codes always give the same map)."""

    def __init__(self, codes: torch.Tensor) -> None:
        dim = codes.shape[1]
        self.center = codes.mean(0) if dim > 2 else torch.zeros(dim)
        if dim <= 2:
            self.axes = torch.eye(dim)[:2] if dim == 2 else torch.eye(1)
            self.names = ("z1", "z2") if dim == 2 else ("z1", "-")
            self.explained = 1.0
            return
        centred = codes - self.center
        _, s, vh = torch.linalg.svd(centred, full_matrices=False)
        axes = vh[:2]
        sign = torch.sign(axes.gather(1, axes.abs().argmax(1, keepdim=True)))
        self.axes = axes * sign
        self.names = ("PC1", "PC2")
        var = s.pow(2)
        self.explained = float(var[:2].sum() / var.sum().clamp(min=1e-12))

    def project(self, codes: torch.Tensor) -> torch.Tensor:
        """(N, D) codes -> (N, 2) points (the second is 0 at latent size 1)."""
        xy = (codes - self.center) @ self.axes.T
        if xy.shape[1] == 1:
            xy = torch.cat([xy, torch.zeros_like(xy)], 1)
        return xy

    def lift(self, x: float, y: float) -> torch.Tensor:
        """The code (1, D) at point (x, y) of the plane."""
        xy = torch.tensor([[x, y]], dtype=torch.float32)[:, : len(self.axes)]
        return self.center.unsqueeze(0) + xy @ self.axes


def interpolation(a: torch.Tensor, b: torch.Tensor, steps: int) -> tuple[torch.Tensor, list[float]]:
    """``steps`` codes from a to b on the straight line, and their weights t."""
    t = torch.linspace(0, 1, steps).unsqueeze(1)
    return (1 - t) * a + t * b, [float(v) for v in t.squeeze(1)]


def arithmetic(a: torch.Tensor, b: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    """(4, D): a, b, c and a - b + c (the book's "man with glasses - woman with glasses
    + woman without glasses")."""
    return torch.cat([a, b, c, a - b + c])
