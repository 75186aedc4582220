"""The classifier's sample kind, ``classification``: a report on held-out images (the
confusion matrix, and the misclassified examples with their class probabilities) or
the classification of one image. Qt-free; saved as JSON (images as base64 bytes)."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from studio import api


@dataclass
class ClassifierReport(api.Sample):
    """``confusion[t][p]``: how many held-out images of class t were predicted p.
    ``images`` (uint8 N x H x W x C) are examples: the misclassified ones (``true`` !=
    ``predicted``), or an image given to classify (``true`` is -1); ``probs`` holds each
    example's class probabilities."""

    kind: ClassVar[str] = "classification"
    class_names: list[str]
    confusion: list[list[int]]
    images: np.ndarray = field(default_factory=lambda: np.zeros((0, 1, 1, 1), np.uint8))
    true: list[int] = field(default_factory=list)
    predicted: list[int] = field(default_factory=list)
    probs: list[list[float]] = field(default_factory=list)

    # --- the figures the widget shows ------------------------------------------
    def matrix(self) -> np.ndarray:
        return np.asarray(self.confusion, dtype=np.int64).reshape(
            len(self.class_names), len(self.class_names)
        )

    def accuracy(self) -> float:
        m = self.matrix()
        return float(np.trace(m) / max(1, m.sum()))

    def per_class(self) -> list[dict[str, float]]:
        """Per class: its accuracy (= recall), precision and support (images)."""
        m = self.matrix()
        out = []
        for k in range(len(m)):
            support, said = int(m[k].sum()), int(m[:, k].sum())
            out.append(
                {
                    "recall": m[k, k] / support if support else float("nan"),
                    "precision": m[k, k] / said if said else float("nan"),
                    "support": support,
                }
            )
        return out

    def examples_in(self, true: int, predicted: int) -> list[int]:
        """Indices of the examples of one cell of the matrix."""
        return [
            i
            for i, (t, p) in enumerate(zip(self.true, self.predicted, strict=True))
            if t == true and p == predicted
        ]

    # --- files -------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        imgs = np.ascontiguousarray(self.images, dtype=np.uint8)
        return {
            "class_names": list(self.class_names),
            "confusion": [[int(v) for v in row] for row in self.confusion],
            "shape": list(imgs.shape),
            "images": base64.b64encode(imgs.tobytes()).decode("ascii"),
            "true": [int(v) for v in self.true],
            "predicted": [int(v) for v in self.predicted],
            "probs": [[round(float(p), 5) for p in row] for row in self.probs],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ClassifierReport:
        raw = base64.b64decode(data.get("images", ""))
        images = np.frombuffer(raw, dtype=np.uint8).reshape(data.get("shape", [0, 1, 1, 1]))
        return cls(
            class_names=list(data["class_names"]),
            confusion=data["confusion"],
            images=images.copy(),
            true=list(data.get("true", [])),
            predicted=list(data.get("predicted", [])),
            probs=data.get("probs", []),
            metrics=data.get("metrics", {}),
        )

    def summary(self) -> str:
        if self.true and self.true[0] < 0:
            best = int(np.argmax(self.probs[0]))
            return f"classified as {self.class_names[best]} ({self.probs[0][best]:.1%})"
        return f"held-out accuracy {self.accuracy():.1%} on {int(self.matrix().sum())} images"
