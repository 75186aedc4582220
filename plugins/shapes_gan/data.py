"""The two embedded datasets of chapter 3, generated in code, and the measures of how
well generated samples follow them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from studio import api

if TYPE_CHECKING:  # pragma: no cover
    import torch

X_MAX = 50.0
BASE = 1.08
WIDTH = 100  # one-hot width: integers 0..99
MULTIPLE = 5


def curve(x: np.ndarray) -> np.ndarray:
    return BASE ** np.asarray(x, dtype=float)


def reference_curve(points: int = 400) -> np.ndarray:
    x = np.linspace(0.0, X_MAX, points)
    return np.stack([x, curve(x)], axis=1)


def load_exponential_curve(n: int = 2048, seed: int = 0) -> api.LoadedDataset:
    """``n`` points (x, 1.08^x) with x uniform in [0, 50], as in the book."""
    import torch

    g = torch.Generator().manual_seed(seed)
    x = X_MAX * torch.rand(n, generator=g)
    data = torch.stack([x, BASE**x], dim=1)
    return api.LoadedDataset(
        kind="points2d",
        train=(data,),
        info={"reference": reference_curve().tolist(), "x_range": [0.0, X_MAX]},
        name="exponential-curve",
    )


def load_multiples_of_5(n: int = 2000, seed: int = 0) -> api.LoadedDataset:
    """``n`` one-hot vectors (100 wide) of integers that are multiples of 5 (0, 5, ..., 95)."""
    import torch

    g = torch.Generator().manual_seed(seed)
    values = MULTIPLE * torch.randint(0, WIDTH // MULTIPLE, (n,), generator=g)
    onehot = torch.nn.functional.one_hot(values, WIDTH).float()
    return api.LoadedDataset(
        kind="onehot-numbers",
        train=(onehot,),
        info={"width": WIDTH, "rule": f"multiples of {MULTIPLE}"},
        name="multiples-of-5",
    )


# The curve is about 95 units long: 1,500 vertices put them 0.06 apart, so the
# nearest-vertex distance overstates the true one by at most 0.03.
_DENSE = reference_curve(1500)


def distance_to_curve(points: np.ndarray) -> np.ndarray:
    """Distance of each point to the curve segment x in [0, 50] (nearest dense vertex)."""
    pts = np.asarray(points, dtype=float).reshape(-1, 2)
    out = np.empty(len(pts))
    for start in range(0, len(pts), 512):  # bounded memory for many points
        chunk = pts[start : start + 512]
        d2 = ((chunk[:, None, :] - _DENSE[None]) ** 2).sum(-1)
        out[start : start + len(chunk)] = np.sqrt(d2.min(axis=1))
    return out


def curve_metrics(points: np.ndarray) -> dict[str, float]:
    """How well points follow the data distribution.

    - ``mean_distance``: mean distance of generated points to the curve (fidelity);
    - ``coverage_distance``: mean distance from points spread along the curve (x
      uniform, as the data) to the nearest generated point (a collapsed generator
      that puts every point in one place scores badly here).
    """
    pts = np.asarray(points, dtype=float).reshape(-1, 2)
    truth = reference_curve(200)
    d = np.sqrt(((truth[:, None, :] - pts[None]) ** 2).sum(-1)).min(axis=1)
    return {
        "mean_distance": float(distance_to_curve(pts).mean()),
        "coverage_distance": float(d.mean()),
        # the book's stopping measure: mean squared error of y against 1.08^x
        "book_mse": float(((pts[:, 1] - curve(pts[:, 0])) ** 2).mean()),
    }


def points_of(dataset: api.LoadedDataset) -> torch.Tensor:
    """The (N, 2) points of a ``points2d`` dataset or of a two-column numeric table."""
    points = dataset.train[0]
    if dataset.kind == "table" and (points.dim() != 2 or points.shape[1] != 2):
        columns = dataset.info.get("columns") or []
        raise api.DatasetError(
            f"{dataset.name or 'the table'}: the shape GAN learns 2-D points, so the "
            f"table needs exactly two numeric columns (x, y), not "
            f"{len(columns) or points.shape[-1]}"
        )
    return points.float()


def nearest_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """For each row of ``a``, the distance to the nearest row of ``b`` (chunked)."""
    out = np.empty(len(a))
    for start in range(0, len(a), 512):
        chunk = a[start : start + 512]
        d2 = ((chunk[:, None, :] - b[None]) ** 2).sum(-1)
        out[start : start + len(chunk)] = np.sqrt(d2.min(axis=1))
    return out


def data_metrics(points: np.ndarray, data_points: np.ndarray) -> dict[str, float]:
    """``curve_metrics`` against the user's own points instead of the known curve."""
    pts = np.asarray(points, dtype=float).reshape(-1, 2)
    truth = np.asarray(data_points, dtype=float).reshape(-1, 2)
    return {
        "mean_distance": float(nearest_distances(pts, truth).mean()),
        "coverage_distance": float(nearest_distances(truth, pts).mean()),
    }


def number_metrics(values: list[int]) -> dict[str, float]:
    vals = np.asarray(values)
    return {
        "share_multiples_of_5": float((vals % MULTIPLE == 0).mean()) if len(vals) else 0.0,
        "distinct": float(len(set(vals.tolist()))),
        # the book's stopping measure: mean squared remainder of the numbers mod 5
        "book_mod5_mse": float(((vals % MULTIPLE) ** 2).mean()) if len(vals) else 0.0,
    }
