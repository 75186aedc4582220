"""CycleGAN's sampling options (a dataclass: the Explore controls, ``sample -o
NAME=VALUE`` and ``--help-sample`` are generated from it). Torch-free."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from studio.api import param

DIRECTIONS = ("both", "A->B", "B->A")
SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp")  # image files a folder is read for


@dataclass
class TranslateOptions:
    """What to translate: images of the run's data (drawn with the seed), one image
    file, or every image of a folder (written to another folder)."""

    direction: str = param(
        "both",
        choices=DIRECTIONS,
        help="A->B, B->A, or both (a dropped image or a folder: both means A->B)",
    )
    images: int = param(8, min=1, max=256, help="Data images translated each way")
    image: str = param("", help="An image file to translate (instead of data images)")
    folder: str = param("", help="Translate every image in this folder, to out_folder")
    out_folder: str = param(
        "", help="Where the translated folder goes (empty: beside it, named <folder>-A2B)"
    )


def output_folder(options: TranslateOptions) -> Path:
    """Where a folder's translations go: ``out_folder``, or ``<folder>-A2B`` (or
    ``-B2A``) beside the folder."""
    if options.out_folder:
        return Path(options.out_folder).expanduser()
    source = Path(options.folder).expanduser()
    tag = "B2A" if options.direction == "B->A" else "A2B"
    return source.with_name(f"{source.name}-{tag}")
