"""Sampling options of the image GANs (dataclasses: the Explore controls, the CLI's
``sample -o NAME=VALUE`` and ``--help-sample`` are generated from them).

Torch-free: the hook module names these classes in its model specs. The fully
connected GAN takes ``ExploreOptions``; DCGAN and the conditional GAN take
``LabelOptions``, which add a class (for DCGAN, an InfoGAN code) and a mix of two. A
class is given by name or by index (``-o label=3``); which names a run has is only
known from its data (or its number of codes), so the trainer checks them when it
samples, with a message naming the option.
"""

from __future__ import annotations

from dataclasses import dataclass

from studio.api import param

EXPLORE_MODES = ("none", "interpolate", "arithmetic")
MAX_SEED = 2**31 - 1


@dataclass
class ExploreOptions:
    """A batch of images, or the latent space explorer's strip or sum."""

    explore: str = param(
        "none",
        choices=EXPLORE_MODES,
        help=(
            "none: a batch of images; interpolate: a strip from the latent of seed a to "
            "that of seed b; arithmetic: a, b, c and the image of a - b + c"
        ),
    )
    seed_a: int = param(0, min=0, max=MAX_SEED, help="Explorer: latent a is drawn from this seed")
    seed_b: int = param(1, min=0, max=MAX_SEED, help="Explorer: latent b is drawn from this seed")
    seed_c: int = param(
        2, min=0, max=MAX_SEED, help="Explorer (arithmetic): latent c is drawn from this seed"
    )
    steps: int = param(8, min=2, max=64, help="Explorer (interpolate): images in the strip")
    spherical: bool = param(
        False,
        help="Explorer (interpolate): along the sphere Gaussian latents live near (slerp)",
    )


@dataclass
class LabelOptions(ExploreOptions):
    """``ExploreOptions`` and the class (or code) of the images, for the models that
    take one. Empty means: every class in turn (a batch), the first class (explorer)."""

    label: str = param(
        "", help="Class (DCGAN: code) of every image, by name or index; empty: each in turn"
    )
    mix_with: str = param(
        "", help="A second class mixed with label (the book's label interpolation)"
    )
    mix: float = param(
        0.5, min=0.0, max=1.0, help="Weight of label in the mix; mix_with gets the rest"
    )
    label_a: str = param("", help="Explorer: class of latent a (empty: the first class)")
    label_b: str = param(
        "",
        help="Explorer: class of latent b (empty: interpolate: a's class; arithmetic: the first)",
    )
    label_c: str = param("", help="Explorer (arithmetic): class of latent c (empty: the first)")


LABEL_FIELDS = ("label", "mix_with", "label_a", "label_b", "label_c")
"""The options that name a class; a model without classes refuses them when set."""
