"""The ``translation`` sample kind: sentences, their translations and the attention
behind them. Qt-free and torch-free (NumPy).

Saved as one ``.npz`` (read back without unpickling): a JSON record (sources,
translations, references, tokens, beams, metrics) and per sentence the encoder's
self-attention (layers, heads, S, S) and the decoder's cross-attention
(layers, heads, T, S) as float16.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from studio import api


@dataclass
class Translation(api.Sample):
    """Translated sentences. ``source_tokens[i]``/``target_tokens[i]`` are the subwords
    of sentence i (the target's end with "</s>"); ``cross_attention[i]`` is
    (layers, heads, len(target_tokens[i]), len(source_tokens[i])): row t is what the
    decoder looked at when it made target token t. ``beams[i]`` lists the beam
    search's translations with their scores (empty for greedy and sampling)."""

    kind: ClassVar[str] = "translation"
    suffix: ClassVar[str] = ".npz"
    sources: list[str]
    translations: list[str]
    references: list[str] = field(default_factory=list)
    source_tokens: list[list[str]] = field(default_factory=list)
    target_tokens: list[list[str]] = field(default_factory=list)
    cross_attention: list[np.ndarray] = field(default_factory=list)
    encoder_attention: list[np.ndarray] = field(default_factory=list)
    beams: list[list[tuple[str, float]]] = field(default_factory=list)
    final: bool = True  # False: a streamed part (the translation so far, no attention)

    def to_json(self) -> dict[str, Any]:
        return {
            "sources": list(self.sources),
            "translations": list(self.translations),
            "references": list(self.references),
            "source_tokens": self.source_tokens,
            "target_tokens": self.target_tokens,
            "beams": [[[t, float(s)] for t, s in b] for b in self.beams],
            "final": self.final,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Translation:
        return cls(
            sources=list(data["sources"]),
            translations=list(data["translations"]),
            references=list(data.get("references", [])),
            source_tokens=[list(t) for t in data.get("source_tokens", [])],
            target_tokens=[list(t) for t in data.get("target_tokens", [])],
            beams=[[(t, float(s)) for t, s in b] for b in data.get("beams", [])],
            final=bool(data.get("final", True)),
            metrics=dict(data.get("metrics", {})),
        )

    def save(self, stem: Path) -> Path:
        path = Path(stem).with_suffix(self.suffix)
        record = {"kind": self.kind, "metrics": self.metrics, **self.to_json()}
        arrays = {"record": np.frombuffer(json.dumps(record).encode(), dtype=np.uint8)}
        for i, a in enumerate(self.cross_attention):
            arrays[f"cross_{i}"] = np.asarray(a, dtype=np.float16)
        for i, a in enumerate(self.encoder_attention):
            arrays[f"encoder_{i}"] = np.asarray(a, dtype=np.float16)
        buffer = io.BytesIO()
        # np.savez stamps each member with the current time; a fixed stamp makes the
        # same sample the same bytes (the contract checks compare them).
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, array in arrays.items():
                member = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
                member.compress_type = zipfile.ZIP_DEFLATED
                with archive.open(member, "w") as f:
                    np.lib.format.write_array(f, np.ascontiguousarray(array), allow_pickle=False)
        tmp = path.with_name(f".{path.name}.tmp")  # written whole, then renamed
        tmp.write_bytes(buffer.getvalue())
        os.replace(tmp, path)
        return path

    @classmethod
    def load(cls, path: Path) -> Translation:
        with np.load(Path(path), allow_pickle=False) as data:
            sample = cls.from_json(json.loads(bytes(data["record"]).decode()))
            n = len(sample.sources)
            sample.cross_attention = [
                data[f"cross_{i}"].astype(np.float32) for i in range(n) if f"cross_{i}" in data
            ]
            sample.encoder_attention = [
                data[f"encoder_{i}"].astype(np.float32) for i in range(n) if f"encoder_{i}" in data
            ]
        return sample

    def summary(self) -> str:
        """The translations, one a line (with the beams and their scores, if any), then
        their count (the CLI adds where it sampled from)."""
        lines = []
        for i, (src, out) in enumerate(zip(self.sources, self.translations, strict=True)):
            lines.append(f"{src} -> {out}")
            for text, score in self.beams[i] if i < len(self.beams) else []:
                lines.append(f"    {score:8.3f}  {text}")
        parts = [f"{k}={v:.4g}" for k, v in self.metrics.items()]
        count = f"{len(self.sources)} translation{'s' if len(self.sources) != 1 else ''}"
        lines.append(count + (f" ({', '.join(parts)})" if parts else ""))
        return "\n".join(lines)
