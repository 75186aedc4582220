"""The ``waveforms`` sample kind: Qt-free and torch-free (NumPy), saved as JSON by the
base class (``to_json``/``from_json``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from studio import api


@dataclass
class Waveforms(api.Sample):
    """``values`` (waves, points): each row a prompt of ``prompt`` points (taken from
    the data) followed by what the model generated."""

    kind: ClassVar[str] = "waveforms"
    values: np.ndarray
    prompt: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"values": np.asarray(self.values, float).round(5).tolist(), "prompt": self.prompt}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Waveforms:
        values = np.asarray(data["values"], dtype=float)
        return cls(
            values=values.reshape(len(values), -1),
            prompt=int(data.get("prompt", 0)),
            metrics=data.get("metrics", {}),
        )

    def summary(self) -> str:
        waves, points = np.asarray(self.values).shape
        return f"{waves} waveforms of {points} points ({points - self.prompt} generated)"
