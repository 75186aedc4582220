"""Sample types: what a trainer's ``sample()`` returns, what the gallery renders,
what ``samples/step_NNNNNNN.*`` holds. Qt-free and torch-free (NumPy only).

Each type writes itself to a file (``save(stem)``) and reads itself back
(``load(path)``). Sample kinds are plugin contributions (``SampleKindSpec``): the four
defined here (points, numbers, text, images) are registered by the built-in plugin
``studio_plugins.samples``, a third party registers its own the same way, and
``load_sample`` picks the type from the file among the kinds it is given (the plugin
manager's ``sample_kinds``). Images are written as PNG grids (Pillow) with a
``genai_studio`` text chunk, everything else as JSON with a ``kind`` key.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from studio.core.atomic import atomic_write_bytes

if TYPE_CHECKING:  # pragma: no cover
    from studio.core.contributions import SampleKindSpec

# Every Sample subclass defined in this process, by kind: what ``load_sample`` reads
# when it is given no registry (scripts and 1.0 code). The app passes the plugin
# manager's registry instead, so a disabled plugin's kind is not read.
SAMPLE_KINDS: dict[str, type[Sample]] = {}
PNG_CHUNK = "genai_studio"  # the PNG text chunk holding a sample's kind and metadata


@dataclass
class Sample:
    """Base class. ``metrics`` are named scalars about the sample (e.g. the share of
    valid outputs) that the engine also logs to ``metrics.jsonl`` under ``sample/``."""

    kind: ClassVar[str] = "generic"
    suffix: ClassVar[str] = ".json"
    metrics: dict[str, float] = field(default_factory=dict, kw_only=True)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        SAMPLE_KINDS[cls.kind] = cls

    def to_json(self) -> dict[str, Any]:
        """The sample's fields as JSON values (``save`` adds ``kind`` and ``metrics``)."""
        raise NotImplementedError

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Sample:
        """The sample from what ``to_json`` wrote (``data["metrics"]`` holds its metrics)."""
        raise NotImplementedError

    def save(self, stem: Path) -> Path:
        """Write to ``stem`` + this type's suffix, atomically; returns the path written.

        The default writes JSON (``to_json`` plus ``kind`` and ``metrics``); a kind
        with another file format overrides ``save`` and ``load`` together."""
        path = Path(stem).with_suffix(self.suffix)
        payload = {"kind": self.kind, "metrics": self.metrics, **self.to_json()}
        atomic_write_bytes(path, json.dumps(payload).encode())
        return path

    @classmethod
    def load(cls, path: Path) -> Sample:
        """Read back what ``save`` wrote (the default reads the JSON file)."""
        return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")))

    def summary(self) -> str:
        """One line for logs and the CLI."""
        parts = [f"{k}={v:.4g}" for k, v in self.metrics.items()]
        return f"{self.kind} sample" + (f" ({', '.join(parts)})" if parts else "")


@dataclass
class Points(Sample):
    """A set of 2-D points, optionally drawn over a reference curve."""

    kind: ClassVar[str] = "points"
    points: np.ndarray  # (N, 2) float
    reference: np.ndarray | None = None  # (M, 2) float, e.g. the true curve
    x_label: str = "x"
    y_label: str = "y"
    reference_style: str = "line"  # "line" (a curve) or "points" (data points)

    def to_json(self) -> dict[str, Any]:
        ref = None if self.reference is None else np.asarray(self.reference).tolist()
        return {
            "points": np.asarray(self.points, dtype=float).tolist(),
            "reference": ref,
            "x_label": self.x_label,
            "y_label": self.y_label,
            "reference_style": self.reference_style,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Points:
        ref = data.get("reference")
        return cls(
            points=np.asarray(data["points"], dtype=float).reshape(-1, 2),
            reference=None if ref is None else np.asarray(ref, dtype=float).reshape(-1, 2),
            x_label=data.get("x_label", "x"),
            y_label=data.get("y_label", "y"),
            reference_style=data.get("reference_style", "line"),
            metrics=data.get("metrics", {}),
        )


@dataclass
class Numbers(Sample):
    """Generated integers, with an optional rule they should follow (for display)."""

    kind: ClassVar[str] = "numbers"
    values: list[int]
    rule: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"values": [int(v) for v in self.values], "rule": self.rule}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Numbers:
        return cls(
            values=list(data["values"]), rule=data.get("rule", ""), metrics=data.get("metrics", {})
        )


@dataclass
class Text(Sample):
    """Generated text (one or more samples)."""

    kind: ClassVar[str] = "text"
    texts: list[str]
    prompt: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"texts": list(self.texts), "prompt": self.prompt}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Text:
        return cls(
            texts=list(data["texts"]),
            prompt=data.get("prompt", ""),
            metrics=data.get("metrics", {}),
        )


@dataclass
class Images(Sample):
    """A batch of images, uint8, shape (N, H, W, C) with C in {1, 3}; saved as a PNG grid.

    ``labels`` (one per image) are shown as captions; ``columns`` is how many images a
    row holds (``None``: a square-ish grid), e.g. ``columns=len(images)`` for an
    interpolation strip."""

    kind: ClassVar[str] = "images"
    suffix: ClassVar[str] = ".png"
    images: np.ndarray
    labels: list[str] | None = None
    columns: int | None = None

    def grid_columns(self) -> int:
        """The columns the grid is laid out in: ``columns``, else about sqrt(N)."""
        n = len(self.images)
        if self.columns:
            return max(1, min(int(self.columns), n))
        return max(1, math.ceil(math.sqrt(n)))

    def grid(self, columns: int | None = None, pad: int = 2) -> np.ndarray:
        """The batch tiled into one (H, W, C) uint8 image, ``columns`` wide (default:
        ``grid_columns()``)."""
        imgs = np.asarray(self.images, dtype=np.uint8)
        n, h, w, c = imgs.shape
        cols = columns or self.grid_columns()
        rows = math.ceil(n / cols)
        out = np.zeros((rows * (h + pad) + pad, cols * (w + pad) + pad, c), dtype=np.uint8)
        for i in range(n):
            r, col = divmod(i, cols)
            y, x = pad + r * (h + pad), pad + col * (w + pad)
            out[y : y + h, x : x + w] = imgs[i]
        return out

    def save(self, stem: Path) -> Path:
        import io

        from PIL import Image, PngImagePlugin

        path = Path(stem).with_suffix(self.suffix)
        grid = self.grid()
        img = Image.fromarray(grid[..., 0] if grid.shape[-1] == 1 else grid)
        info = PngImagePlugin.PngInfo()
        n, h, w, c = np.asarray(self.images).shape
        meta = {
            "kind": self.kind,
            "metrics": self.metrics,
            "labels": self.labels,
            "shape": [n, h, w, c],
            "columns": self.grid_columns(),
        }
        info.add_text(PNG_CHUNK, json.dumps(meta))
        buf = io.BytesIO()
        img.save(buf, format="PNG", pnginfo=info)
        atomic_write_bytes(path, buf.getvalue())
        return path

    @classmethod
    def load(cls, path: Path) -> Images:
        """Read a PNG written by ``save`` (or any PNG, as one image)."""
        return cls.load_png(path)

    @classmethod
    def load_png(cls, path: Path) -> Images:
        """The batch back from its PNG grid, cut along the columns it was saved with."""
        from PIL import Image

        with Image.open(path) as img:
            meta = json.loads(img.text.get(PNG_CHUNK, "{}")) if hasattr(img, "text") else {}
            grid = np.asarray(img.convert("L" if img.mode in ("L", "1") else "RGB"))
        if grid.ndim == 2:
            grid = grid[..., None]
        shape = meta.get("shape")
        if not shape:  # a plain PNG: one image
            return cls(images=grid[None], metrics=meta.get("metrics", {}))
        n, h, w, _c = shape
        # Files written before ``columns`` existed were laid out about sqrt(N) wide.
        cols = int(meta.get("columns") or max(1, math.ceil(math.sqrt(n))))
        pad = 2
        imgs = np.stack(
            [
                grid[
                    pad + (i // cols) * (h + pad) : pad + (i // cols) * (h + pad) + h,
                    pad + (i % cols) * (w + pad) : pad + (i % cols) * (w + pad) + w,
                ]
                for i in range(n)
            ]
        )
        return cls(
            images=imgs,
            labels=meta.get("labels"),
            columns=meta.get("columns"),
            metrics=meta.get("metrics", {}),
        )


class SampleFormatError(ValueError):
    """A sample file is missing, unreadable or of an unknown kind."""


class UnknownSampleKind(SampleFormatError):
    """A readable sample file whose kind no registered plugin provides (its plugin is
    disabled or not installed). ``kind`` is the kind the file names ("" if none could
    be told) and ``metrics`` what the file says of it, for a generic view."""

    def __init__(self, message: str, kind: str, metrics: Mapping[str, float] | None = None):
        super().__init__(message)
        self.kind = kind
        self.metrics = dict(metrics or {})


KindRegistry = Mapping[str, "SampleKindSpec | type[Sample]"]


def _classes(kinds: KindRegistry | None) -> dict[str, type[Sample]]:
    if kinds is None:
        return {k: c for k, c in SAMPLE_KINDS.items() if c is not Sample}
    return {k: v if isinstance(v, type) else v.sample_class for k, v in kinds.items()}


def file_kind(path: Path) -> tuple[str, dict[str, Any]]:
    """The kind a sample file names, and its metrics, without decoding it: the
    ``kind`` key of a JSON file, the ``genai_studio`` chunk of a PNG (``images`` for a
    plain PNG), else ``("", {})``. ``OSError``/``ValueError`` if it cannot be read."""
    path = Path(path)
    if path.suffix == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        return str(data.get("kind", "")), dict(data.get("metrics") or {})
    if path.suffix == ".png":
        from PIL import Image

        with Image.open(path) as img:
            text = getattr(img, "text", {}).get(PNG_CHUNK)
        meta = json.loads(text) if text else {}
        return str(meta.get("kind", "images")), dict(meta.get("metrics") or {})
    return "", {}


def load_sample(path: Path, kinds: KindRegistry | None = None, prefer: str = "") -> Sample:
    """Read a sample file written by a kind's ``save``.

    ``kinds`` maps a kind to its ``SampleKindSpec`` (or class): the plugin manager's
    ``sample_kinds``, so that only the kinds of enabled plugins are read. ``None``
    reads every kind defined in this process. The kind is the one the file names
    (JSON ``kind`` key, PNG ``genai_studio`` chunk), else the one kind whose suffix
    the file has (``prefer``, the run's model's kind, settles a suffix two kinds
    share). Raises ``UnknownSampleKind`` for a kind not in ``kinds`` and
    ``SampleFormatError`` for a missing or unreadable file.
    """
    path = Path(path)
    classes = _classes(kinds)
    try:
        kind, metrics = file_kind(path)
    except (OSError, ValueError) as exc:
        raise SampleFormatError(f"{path.name}: cannot read sample ({exc})") from exc
    if not kind:  # a format of its own (.wav, .mid...): the kind with that suffix
        by_suffix = [k for k, c in classes.items() if c.suffix == path.suffix]
        if prefer in by_suffix:
            by_suffix = [prefer]
        if len(by_suffix) != 1:
            raise UnknownSampleKind(
                f"{path.name}: no registered sample kind reads {path.suffix or 'this'} files",
                "",
            )
        kind = by_suffix[0]
    cls = classes.get(kind)
    if cls is None:
        raise UnknownSampleKind(
            f"{path.name}: sample kind {kind!r} is not provided by any enabled plugin",
            kind,
            metrics,
        )
    try:
        return cls.load(path)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SampleFormatError(f"{path.name}: cannot read {kind} sample ({exc})") from exc


def progress_gif(
    frames: list[tuple[int, Images]], path: Path, frame_ms: int = 400, scale: int | None = None
) -> Path:
    """An animated GIF of image samples over training, one frame per step, each with
    its step written under the grid; the last frame is held longer. Returns the path."""
    from PIL import Image, ImageDraw

    if not frames:
        raise ValueError("no image samples to animate")
    grids = [(step, sample.grid()) for step, sample in frames]
    h = max(g.shape[0] for _, g in grids)
    w = max(g.shape[1] for _, g in grids)
    scale = scale or max(1, min(4, 384 // max(h, w)))
    images = []
    for step, grid in grids:
        mode = "L" if grid.shape[-1] == 1 else "RGB"
        img = Image.fromarray(grid[..., 0] if mode == "L" else grid, mode).convert("RGB")
        img = img.resize((img.width * scale, img.height * scale), Image.Resampling.NEAREST)
        frame = Image.new("RGB", (w * scale, h * scale + 18), "white")
        frame.paste(img, (0, 0))
        ImageDraw.Draw(frame).text((4, h * scale + 3), f"step {step:,}", fill="black")
        images.append(frame)
    durations = [frame_ms] * (len(images) - 1) + [frame_ms * 4]
    path = Path(path)
    images[0].save(
        path, save_all=True, append_images=images[1:], duration=durations, loop=0, optimize=True
    )
    return path
