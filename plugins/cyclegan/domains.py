"""The embedded data: two image domains made from the embedded digits, with a rule
that says what a correct translation is, so that learning can be measured.

- Domain A: the digits as they are, white strokes on black.
- Domain B: digits drawn dark on light paper ruled with diagonal stripes:
  ``b = (1 - a) * paper``, where ``paper`` is 1 between the stripes and
  ``1 - STRIPE_DEPTH`` on them (stripes 3 pixels wide every 6, at 45 degrees, on the
  32x32 grid).

A translation from A to B must invert the picture and rule the paper, one from B to A
must remove the stripes and invert back; neither may change the digit. The rule is
known, so a translated image can be compared with its true counterpart
(``render_b``, ``derender_b``) and its digit read by the digit judge.

The domains are drawn from disjoint halves of the digits (a seeded split): no digit
image appears in both, so the training data is unpaired, as CycleGAN expects. A tenth
is held out and rendered in both domains, with its labels, for the measurements.
"""

from __future__ import annotations

import functools
from typing import Any

from studio import api

STRIPE_DEPTH = 0.25
STRIPE_WIDTH = 3  # pixels on the 32x32 grid; the period is twice this
SIZE = 32
HELD_OUT = 0.1
DOMAINS = ["A: white on black", "B: dark on striped paper"]
RULE = "digit-domains"  # info["rule"]: which rule the data follows


def paper(size: int = SIZE) -> Any:
    """The striped paper, (1, 1, size, size) float in [1 - STRIPE_DEPTH, 1]; drawn at 32x32
    and resized like the images are, so the rule holds at any size."""
    import torch
    import torch.nn.functional as F

    y, x = torch.meshgrid(torch.arange(SIZE), torch.arange(SIZE), indexing="ij")
    stripes = ((x + y) // STRIPE_WIDTH % 2).float()
    sheet = (1 - STRIPE_DEPTH * stripes).view(1, 1, SIZE, SIZE)
    if size != SIZE:
        sheet = F.interpolate(sheet, size=(size, size), mode="bilinear", antialias=True)
    return sheet


def render_b(a: Any) -> Any:
    """Domain A images (N, C, S, S) in [-1, 1] -> their true domain B counterparts."""
    unit = (a.float() + 1) / 2
    return ((1 - unit) * paper(a.shape[-1]).to(a.device)) * 2 - 1


def derender_b(b: Any) -> Any:
    """Domain B images in [-1, 1] -> the domain A images they were drawn from (the rule
    undone; clamped, as a translated image may leave the range the rule reaches)."""
    unit = (b.float() + 1) / 2
    return (1 - unit / paper(b.shape[-1]).to(b.device)).clamp(0, 1) * 2 - 1


def to_uint8(images: Any) -> Any:
    """Images in [-1, 1] -> uint8 0..255, the same shape."""
    import torch

    return ((images.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)


@functools.lru_cache(maxsize=1)
def _split() -> dict[str, Any]:
    import torch

    images, labels = api.load_digits(SIZE).train
    x = images.float() / 127.5 - 1
    perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))
    n_held = round(len(x) * HELD_OUT)
    held, rest = perm[:n_held], perm[n_held:]
    a_idx, b_idx = rest[: len(rest) // 2], rest[len(rest) // 2 :]
    return {
        "a": to_uint8(x[a_idx]),
        "b": to_uint8(render_b(x[b_idx])),
        "held_a": to_uint8(x[held]),
        "held_b": to_uint8(render_b(x[held])),
        "labels_a": labels[a_idx],
        "labels_b": labels[b_idx],
        "labels_held": labels[held],
    }


def held_out() -> tuple[Any, Any, Any]:
    """The held-out digits in both domains, (N, 1, 32, 32) float in [-1, 1] each, and
    their labels: image i of A and image i of B are the same digit image."""
    s = _split()
    return s["held_a"].float() / 127.5 - 1, s["held_b"].float() / 127.5 - 1, s["labels_held"]


def load_digit_domains() -> api.LoadedDataset:
    """Kind ``two-domain-images``, as the two-domain readers give it: ``train`` is
    domain A (uint8 (N, 1, 32, 32)), ``info["domain_b"]`` domain B; ``val`` and
    ``info["domain_b_val"]`` the held-out digits; labels for the measurements."""
    s = _split()
    return api.LoadedDataset(
        kind="two-domain-images",
        train=(s["a"],),
        val=(s["held_a"],),
        info={
            "domains": list(DOMAINS),
            "domain_b": (s["b"],),
            "domain_b_val": (s["held_b"],),
            "labels_a": s["labels_a"],
            "labels_b": s["labels_b"],
            "labels_val": s["labels_held"],
            "rule": RULE,
            "source": "scikit-learn digits.csv.gz, drawn in two styles",
        },
        name="digit-domains",
    )
