"""The book's fully connected classifiers (chapter 2): 784-256-128-64-10 with raw
logits for multi-class, 784-256-128-32-1 for binary. Dropout, when asked for, sits
after each hidden layer; the book's binary net put it on the output (after the last
Linear), which zeroes a quarter of the logits during training (docs/classifiers.md)."""

from __future__ import annotations

import torch
from torch import nn


def book_widths(classes: int) -> tuple[int, ...]:
    """Hidden widths of the book's nets: (256, 128, 64) multi-class, (256, 128, 32) binary."""
    return (256, 128, 32) if classes == 1 else (256, 128, 64)


class MLPClassifier(nn.Module):
    """Flattened pixels -> hidden ReLU layers -> ``outputs`` logits (1: binary)."""

    def __init__(
        self, in_features: int, outputs: int, hidden: tuple[int, ...] = (), dropout: float = 0.0
    ) -> None:
        super().__init__()
        hidden = hidden or book_widths(outputs)
        layers: list[nn.Module] = [nn.Flatten()]
        width = in_features
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU()]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = h
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(width, outputs)

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """The penultimate layer (what a judge compares real and generated images on)."""
        return self.body(images)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(images))
