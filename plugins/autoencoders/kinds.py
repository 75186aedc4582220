"""The plugin's sample kinds (Qt-free, NumPy only):

- ``image-pairs`` (``ImagePairs``): images beside what the model made of them
  (originals above their reconstructions). A subclass of ``api.Images`` whose
  ``images`` are the reconstructions, so the gallery's PNG and GIF export work on it;
  saved as one PNG grid, each row of originals above its row of reconstructions.
- ``latent-map`` (``LatentMap``): the codes of held-out images in two dimensions (the
  codes themselves at latent size 2, else their first two principal components),
  with each image's class; saved as JSON.
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from studio import api

PAD = 2  # pixels between images in a saved grid (as api.Images)
CHUNK = "genai_studio"  # the PNG text chunk api.Images writes its metadata to


@dataclass
class ImagePairs(api.Images):
    """``originals`` (N, H, W, C) uint8 and their reconstructions ``images`` (the same
    shape); ``labels`` caption the pairs (e.g. the class), ``columns`` pairs a row."""

    kind: ClassVar[str] = "image-pairs"
    originals: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.originals is not None and np.shape(self.originals) != np.shape(self.images):
            raise ValueError(
                f"originals {np.shape(self.originals)} and reconstructions "
                f"{np.shape(self.images)} differ in shape"
            )

    def grid_columns(self) -> int:
        n = len(self.images)
        if self.columns:
            return max(1, min(int(self.columns), n))
        return max(1, min(n, 8))

    def grid(self, columns: int | None = None, pad: int = PAD) -> np.ndarray:
        """Rows of ``columns`` originals, each above its row of reconstructions."""
        cols = columns or self.grid_columns()
        if self.originals is None:
            return api.Images(images=self.images, columns=cols).grid(cols, pad)
        recon = np.asarray(self.images, dtype=np.uint8)
        orig = np.asarray(self.originals, dtype=np.uint8)
        rows = math.ceil(len(recon) / cols)
        blank = np.zeros((rows * cols - len(recon), *recon.shape[1:]), dtype=np.uint8)
        recon, orig = np.concatenate([recon, blank]), np.concatenate([orig, blank])
        order = [
            img
            for r in range(rows)
            for img in (*orig[r * cols : (r + 1) * cols], *recon[r * cols : (r + 1) * cols])
        ]
        return api.Images(images=np.stack(order), columns=cols).grid(cols, pad)

    def save(self, stem: Path) -> Path:
        from PIL import Image, PngImagePlugin

        path = Path(stem).with_suffix(self.suffix)
        grid = self.grid()
        img = Image.fromarray(grid[..., 0] if grid.shape[-1] == 1 else grid)
        info = PngImagePlugin.PngInfo()
        meta = {
            "kind": self.kind,
            "metrics": self.metrics,
            "labels": self.labels,
            "shape": list(np.shape(self.images)),
            "columns": self.grid_columns(),
            "pairs": self.originals is not None,
        }
        info.add_text(CHUNK, json.dumps(meta))
        buf = io.BytesIO()
        img.save(buf, format="PNG", pnginfo=info)
        _atomic_write(path, buf.getvalue())
        return path

    @classmethod
    def load(cls, path: Path) -> ImagePairs:
        from PIL import Image

        with Image.open(path) as img:
            meta = json.loads(img.text.get(CHUNK, "{}"))
            grid = np.asarray(img.convert("L" if img.mode in ("L", "1") else "RGB"))
        if grid.ndim == 2:
            grid = grid[..., None]
        n, h, w, _ = meta["shape"]
        cols = int(meta["columns"])
        pairs = bool(meta.get("pairs", True))

        def cell(row: int, col: int) -> np.ndarray:
            y, x = PAD + row * (h + PAD), PAD + col * (w + PAD)
            return grid[y : y + h, x : x + w]

        per = 2 if pairs else 1  # grid rows per row of images
        recon = [cell((i // cols) * per + per - 1, i % cols) for i in range(n)]
        orig = [cell((i // cols) * per, i % cols) for i in range(n)] if pairs else None
        return cls(
            images=np.stack(recon),
            originals=None if orig is None else np.stack(orig),
            labels=meta.get("labels"),
            columns=meta.get("columns"),
            metrics=meta.get("metrics", {}),
        )


def _atomic_write(path: Path, data: bytes) -> None:
    """Write through a temporary file and a rename: a reader never sees half a file."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


@dataclass
class LatentMap(api.Sample):
    """``points`` (N, 2): where the held-out images' codes lie; ``classes`` (N,) the
    class index of each (or None), named by ``class_names``; ``axes`` name the two
    axes ("z1", "z2" or "PC1", "PC2"); ``explained`` the share of the codes' variance
    the two axes hold (1.0 at latent size 2)."""

    kind: ClassVar[str] = "latent-map"
    points: np.ndarray
    classes: list[int] | None = None
    class_names: list[str] | None = None
    axes: tuple[str, str] = ("z1", "z2")
    explained: float = 1.0

    def to_json(self) -> dict[str, Any]:
        return {
            "points": np.asarray(self.points, dtype=float).round(5).tolist(),
            "classes": None if self.classes is None else [int(c) for c in self.classes],
            "class_names": self.class_names,
            "axes": list(self.axes),
            "explained": float(self.explained),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LatentMap:
        return cls(
            points=np.asarray(data["points"], dtype=float).reshape(-1, 2),
            classes=data.get("classes"),
            class_names=data.get("class_names"),
            axes=tuple(data.get("axes", ("z1", "z2"))),
            explained=float(data.get("explained", 1.0)),
            metrics=data.get("metrics", {}),
        )
