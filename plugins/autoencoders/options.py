"""Sampling options of the autoencoder and the VAE (dataclasses: the Explore controls,
the CLI's ``sample -o NAME=VALUE`` and ``--help-sample`` are generated from them).

``show`` picks what is drawn. Interpolation and arithmetic work on codes of three
inputs a, b and c; each is an image file (``file_a``), else the mean code of a class
(``class_a``, labelled data), else a held-out image by index (``item_a``). Codes are
always the encoder's means (the book's arithmetic uses sampled codes: see the docs).
"""

from __future__ import annotations

from dataclasses import dataclass

from studio.api import param

SHOW = ("reconstruct", "prior", "interpolate", "arithmetic", "map", "decode")
MAX_ITEM = 10**7
_DECODE = {"show": "decode"}  # the fields only ``show=decode`` uses (the form greys them)


@dataclass
class AEOptions:
    show: str = param(
        "reconstruct",
        choices=SHOW,
        help=(
            "reconstruct: held-out images beside their reconstructions; prior: new images "
            "from random codes; interpolate: a strip from a to b; arithmetic: a - b + c; "
            "map: the held-out codes in 2-D; decode: the image of a point of the map"
        ),
    )
    items: int = param(
        16,
        min=1,
        max=1024,
        help="reconstruct, prior: how many images",
        active_when={"show": ("reconstruct", "prior")},
    )
    item_a: int = param(0, min=0, max=MAX_ITEM, help="Input a: a held-out image, by index")
    item_b: int = param(1, min=0, max=MAX_ITEM, help="Input b: a held-out image, by index")
    item_c: int = param(2, min=0, max=MAX_ITEM, help="Input c: a held-out image, by index")
    class_a: str = param("", help="Input a: the mean code of this class (instead of item_a)")
    class_b: str = param("", help="Input b: the mean code of this class (instead of item_b)")
    class_c: str = param("", help="Input c: the mean code of this class (instead of item_c)")
    file_a: str = param("", help="Input a: an image file (instead of class_a and item_a)")
    file_b: str = param("", help="Input b: an image file (instead of class_b and item_b)")
    file_c: str = param("", help="Input c: an image file (instead of class_c and item_c)")
    steps: int = param(
        8,
        min=2,
        max=64,
        help="interpolate: images in the strip",
        active_when={"show": "interpolate"},
    )
    map_x: float = param(
        0.0, min=-1e6, max=1e6, help="decode: x of the point on the map", active_when=_DECODE
    )
    map_y: float = param(
        0.0, min=-1e6, max=1e6, help="decode: y of the point on the map", active_when=_DECODE
    )


@dataclass
class VAEOptions(AEOptions):
    """The VAE's options: the same, drawing from the prior by default."""

    show: str = param(
        "prior",
        choices=SHOW,
        help=(
            "prior: new images from codes drawn from N(0, 1); reconstruct: held-out images "
            "beside their reconstructions; interpolate: a strip from a to b; arithmetic: "
            "a - b + c; map: the held-out codes in 2-D; decode: the image of a point of the map"
        ),
    )
