"""Translating image files: one dropped image, or every image of a folder written to
another folder (PNG files of the model's size, named as their sources), streamed as
triple samples so that a progress bar can follow and Stop can end it. Qt-free: the
trainer's ``sample_stream`` runs this on a worker thread (Explore) or in the CLI.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch

from studio import api

from .options import SUFFIXES, output_folder

CHUNK = 8  # images translated at a time; a part is streamed after each chunk
FAILED_LIST = "not-translated.txt"


def read_image(path: str | Path, size: int, channels: int) -> torch.Tensor:
    """An image file as (1, channels, size, size) in [-1, 1]; a ``DatasetError``
    naming the file when it cannot be read."""
    from PIL import Image

    try:
        with Image.open(path) as img:
            img = img.convert("L" if channels == 1 else "RGB")
            img = img.resize((size, size), Image.Resampling.BILINEAR)
            data = torch.frombuffer(bytearray(img.tobytes()), dtype=torch.uint8)
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise api.DatasetError(f"{Path(path).name}: cannot read the image ({exc})") from None
    image = data.view(size, size, channels).permute(2, 0, 1).float() / 127.5 - 1
    return image.unsqueeze(0)


def write_image(image: torch.Tensor, path: Path) -> None:
    """(C, H, W) in [-1, 1] -> a PNG file."""
    from PIL import Image

    pixels = ((image.float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).cpu()
    array = pixels.permute(1, 2, 0).numpy()
    Image.fromarray(array[..., 0] if array.shape[-1] == 1 else array).save(path)


def folder_images(folder: Path) -> list[Path]:
    """The image files directly in ``folder``, sorted by name (hidden files left out)."""
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in SUFFIXES
    )


def translate_folder(trainer: Any, options: Any, cancel: api.CancelToken | None) -> Iterator[Any]:
    """Translate every image of ``options.folder`` (A->B, or B->A when asked) into the
    output folder. Yields a triple sample of each chunk, whose metrics say how far it
    is (``done``, ``total``, ``failed``); files that cannot be read are skipped and
    listed with the reason in ``not-translated.txt`` in the output folder."""
    source = Path(options.folder).expanduser()
    if not source.is_dir():
        raise api.ConfigError(f"folder: {source} is not a folder")
    direction = "B->A" if options.direction == "B->A" else "A->B"
    out = output_folder(options)
    if out.resolve() == source.resolve():
        raise api.ConfigError("out_folder: must not be the folder translated (it would overwrite)")
    files = folder_images(source)
    if not files:
        raise api.ConfigError(f"folder: {source} holds no images ({', '.join(SUFFIXES)})")
    out.mkdir(parents=True, exist_ok=True)
    stems = [p.stem for p in files]
    # a.png and a.jpg would both become a.png: such files keep their whole name
    names = {p: f"{p.stem if stems.count(p.stem) == 1 else p.name}.png" for p in files}
    size, channels = trainer.config.image_size, trainer.config.channels
    failed: list[str] = []
    done = 0
    last = None
    for start in range(0, len(files), CHUNK):
        if cancel is not None:
            cancel.raise_if_cancelled()
        chunk, images = [], []
        for path in files[start : start + CHUNK]:
            try:
                images.append(read_image(path, size, channels))
                chunk.append(path)
            except api.DatasetError as exc:
                failed.append(str(exc))
        if images:
            batch = torch.cat(images)
            translated, _ = trainer.translate(batch, direction)
            for path, image in zip(chunk, translated, strict=True):
                write_image(image, out / names[path])
            last = trainer.triples([(direction, batch)])
        done += len(files[start : start + CHUNK])
        if failed:
            (out / FAILED_LIST).write_text("\n".join(failed) + "\n", encoding="utf-8")
        if last is not None:
            last.metrics.update({"done": done, "total": len(files), "failed": len(failed)})
            yield last
    if last is None:
        raise api.DatasetError(f"{source}: none of its {len(files)} images could be read")
