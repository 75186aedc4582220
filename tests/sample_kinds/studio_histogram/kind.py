"""The ``histogram`` sample kind: Qt-free and torch-free, saved as an .npz file."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np

from studio import api


@dataclass
class Histogram(api.Sample):
    kind: ClassVar[str] = "histogram"
    suffix: ClassVar[str] = ".npz"
    edges: np.ndarray  # (bins + 1,)
    counts: np.ndarray  # (bins,)

    @classmethod
    def of(cls, values: np.ndarray, bins: int = 10, lo: float = -1.0, hi: float = 5.0):
        counts, edges = np.histogram(values, bins=bins, range=(lo, hi))
        return cls(edges=edges, counts=counts, metrics={"mean": float(np.mean(values))})

    def save(self, stem: Path) -> Path:
        path = Path(stem).with_suffix(self.suffix)
        buf = io.BytesIO()
        np.savez(buf, edges=self.edges, counts=self.counts, metrics=json.dumps(self.metrics))
        path.write_bytes(buf.getvalue())
        return path

    @classmethod
    def load(cls, path: Path) -> Histogram:
        with np.load(path) as data:
            metrics = json.loads(str(data["metrics"]))
            return cls(edges=data["edges"], counts=data["counts"], metrics=metrics)
