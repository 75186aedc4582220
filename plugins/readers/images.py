"""Image folders: labelled (one sub-folder per class), flat (unlabelled), and two
domains (CycleGAN). Files are checked at load (header only) and decoded lazily."""

from __future__ import annotations

import os
from pathlib import Path

from PIL import Image

from studio import api

from .detect import CYCLEGAN_SPLITS, image_subfolders, is_image

# A decompression bomb is refused, not decoded: 64 megapixels is far above any
# training image and far below what would exhaust memory.
MAX_PIXELS = 64_000_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


SIGNATURES = {
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".bmp": (b"BM",),
    ".webp": (b"RIFF",),
}


def _check(path: str) -> str | None:
    """Why ``path`` is not a usable image, or None. Reads 32 bytes, not the image: a
    folder of 100,000 files is checked in a second or two. What only decoding can find
    (a truncated file) is reported, with the file's name, when it is decoded."""
    try:
        fd = os.open(path, os.O_RDONLY)  # raw calls: this runs once per file listed
        try:
            head = os.read(fd, 32)
        finally:
            os.close(fd)
    except FileNotFoundError:
        return "deleted while being listed"
    except OSError as exc:
        return f"unreadable ({exc.strerror or exc})"
    if not head:
        return "empty file (0 bytes)"
    suffix = os.path.splitext(path)[1].lower()
    if not head.startswith(SIGNATURES.get(suffix, (b"",))) or (
        suffix == ".webp" and head[8:12] != b"WEBP"
    ):
        return f"not a readable image (not a {suffix[1:].upper()} file)"
    if suffix == ".png" and len(head) >= 24:
        w, h = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
        if w * h > MAX_PIXELS:
            return f"{w}x{h} pixels is more than the {MAX_PIXELS:,} allowed"
    return None


def _list_images(folder: Path) -> list[str]:
    # Plain strings, not Path objects: for 100,000 files, building and sorting Paths
    # costs more than reading them.
    out = []
    try:
        with os.scandir(folder) as it:
            for entry in it:
                if entry.name.startswith("."):
                    continue
                if entry.is_file(follow_symlinks=False) and is_image(entry.name):
                    out.append(entry.path)
    except OSError as exc:
        raise api.DatasetError(f"{folder}: cannot list the folder ({exc})") from None
    return sorted(out)


class ImageFiles:
    """Images decoded on access to uint8 tensors (C, H, W), resized to ``size`` and
    converted to ``channels`` (1 or 3); with labels when given. A map-style dataset
    (len and indexing); torch is imported only when an item is decoded, so listing and
    previewing a folder does not load it."""

    def __init__(
        self, paths: list[str], labels: list[int] | None = None, size: int = 64, channels: int = 3
    ) -> None:
        self.paths = paths
        self.labels = labels
        self.size = size
        self.channels = channels

    def __len__(self) -> int:
        return len(self.paths)

    def decode(self, index: int):
        import torch

        path = self.paths[index]
        try:
            with Image.open(path) as img:  # Pillow refuses decompression bombs here
                img = img.convert("L" if self.channels == 1 else "RGB")
                img = img.resize((self.size, self.size), Image.Resampling.BILINEAR)
                data = torch.frombuffer(bytearray(img.tobytes()), dtype=torch.uint8)
        except (OSError, ValueError, Image.DecompressionBombError) as exc:
            raise api.DatasetError(f"{path}: cannot decode the image ({exc})") from None
        return data.view(self.size, self.size, self.channels).permute(2, 0, 1).contiguous()

    def __getitem__(self, index: int):
        image = self.decode(index)
        if self.labels is None:
            return image
        return image, self.labels[index]


def _checked(paths: list[str], skipped: list[tuple[str, str]]) -> list[str]:
    good = []
    for p in paths:
        reason = _check(p)
        if reason is None:
            good.append(p)
        else:
            skipped.append((p, reason))
    return good


def load_labelled(path: Path) -> api.LoadedDataset:
    classes = image_subfolders(path)
    if len(classes) < 2:
        raise api.DatasetError(f"{path}: needs at least two class sub-folders of images")
    skipped: list[tuple[str, str]] = []
    paths, labels, counts = [], [], {}
    for label, folder in enumerate(classes):
        good = _checked(_list_images(folder), skipped)
        paths += good
        labels += [label] * len(good)
        counts[folder.name] = len(good)
    if not paths:
        raise api.DatasetError(f"{path}: no readable images ({len(skipped)} skipped)")
    return api.LoadedDataset(
        kind="labelled-images",
        train=ImageFiles(paths, labels),
        info={
            "classes": [c.name for c in classes],
            "counts": counts,
            "skipped": skipped,
            "source": str(path),
        },
        name=path.name,
    )


def load_flat(path: Path) -> api.LoadedDataset:
    skipped: list[tuple[str, str]] = []
    paths = _checked(_list_images(path), skipped)
    if not paths:
        raise api.DatasetError(f"{path}: no readable images ({len(skipped)} skipped)")
    return api.LoadedDataset(
        kind="images",
        train=ImageFiles(paths),
        info={"skipped": skipped, "source": str(path)},
        name=path.name,
    )


def load_two_domains(path: Path) -> api.LoadedDataset:
    """Two sub-folders, A and B; or a CycleGAN root (trainA, trainB, testA, testB),
    whose test folders become the held-out split of each domain."""
    subfolders = {d.name.lower(): d for d in image_subfolders(path)}
    if set(subfolders) == CYCLEGAN_SPLITS:
        domains = [subfolders["traina"], subfolders["trainb"]]
        held = [subfolders["testa"], subfolders["testb"]]
    else:
        domains, held = list(subfolders.values()), []
    if len(domains) != 2:
        raise api.DatasetError(f"{path}: needs exactly two sub-folders of images (A and B)")
    skipped: list[tuple[str, str]] = []
    a, b = (_checked(_list_images(d), skipped) for d in domains)
    if not a or not b:
        raise api.DatasetError(f"{path}: each domain needs readable images")
    val_a, val_b = (_checked(_list_images(d), skipped) for d in held) if held else ([], [])
    counts = {domains[0].name: len(a), domains[1].name: len(b)}
    info = {"domains": [d.name for d in domains], "domain_b": ImageFiles(b)}
    if val_a and val_b:
        info["domain_b_val"] = ImageFiles(val_b)
        counts |= {held[0].name: len(val_a), held[1].name: len(val_b)}
    info |= {"counts": counts, "skipped": skipped, "source": str(path)}
    return api.LoadedDataset(
        kind="two-domain-images",
        train=ImageFiles(a),
        val=ImageFiles(val_a) if val_a and val_b else None,
        info=info,
        name=path.name,
    )
