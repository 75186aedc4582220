"""The dataset layer's shared preparation: resize, channels, [-1, 1], seeded split,
and a file that fails to decode mid-run replaced rather than ending the run."""

from __future__ import annotations

import pytest
import torch
from PIL import Image

from studio import api
from studio.core.prepare import PreparedImages, prepare_images, skipped_items


def _labelled(n: int = 20) -> api.LoadedDataset:
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (n, 1, 8, 8), dtype=torch.uint8, generator=g)
    labels = torch.arange(n) % 2
    return api.LoadedDataset(
        kind="labelled-images", train=(images, labels), info={"classes": ["a", "b"]}
    )


def test_tensor_images_are_resized_converted_scaled_and_split_with_a_recorded_seed():
    out = prepare_images(_labelled(), size=16, channels=3, val_fraction=0.25, seed=7)
    images, labels = out.train
    assert labels.tolist() == sorted(labels.tolist(), key=lambda _: 0)  # kept, in order
    assert images.shape == (15, 3, 16, 16) and images.dtype == torch.float32
    assert images.min() >= -1 and images.max() <= 1
    assert out.val[0].shape == (5, 3, 16, 16)
    assert out.info["classes"] == ["a", "b"]
    assert out.info["prep"] == {
        "size": 16,
        "channels": 3,
        "range": [-1.0, 1.0],
        "val_fraction": 0.25,
        "split_seed": 7,
    }
    again = prepare_images(_labelled(), size=16, channels=3, val_fraction=0.25, seed=7)
    assert torch.equal(again.val[1], out.val[1])  # the same seed gives the same split
    other = prepare_images(_labelled(), size=16, channels=3, val_fraction=0.25, seed=8)
    assert not torch.equal(other.val[0], out.val[0])


def test_black_and_white_map_to_minus_one_and_one():
    images = torch.tensor([0, 255], dtype=torch.uint8).view(2, 1, 1, 1).expand(2, 1, 4, 4)
    out = prepare_images(api.LoadedDataset(kind="images", train=(images,)), 4, 1)
    assert out.train[0][0].unique().tolist() == [-1.0]
    assert out.train[0][1].unique().tolist() == [1.0]


def test_other_kinds_are_refused_with_a_message():
    data = api.LoadedDataset(kind="text", train=(torch.zeros(3),), name="corpus")
    with pytest.raises(api.DatasetError, match="corpus holds text, not images"):
        prepare_images(data, 8, 1)


def test_a_file_that_fails_to_decode_is_replaced_and_recorded(tmp_path):
    from studio_plugins.readers.images import load_flat

    for i in range(4):
        Image.new("RGB", (20, 10), (60 * i, 0, 0)).save(tmp_path / f"{i}.png")
    good = (tmp_path / "1.png").read_bytes()
    (tmp_path / "1.png").write_bytes(good[: len(good) // 2])  # header intact, data cut
    loaded = load_flat(tmp_path)
    assert len(loaded) == 4  # the header check passes: only decoding finds it
    out = prepare_images(loaded, size=8, channels=1)
    assert isinstance(out.train, PreparedImages)
    items = [out.train[i] for i in range(4)]
    assert all(x.shape == (1, 8, 8) for x in items)
    assert torch.equal(items[1], items[2])  # item 1 was replaced by the next good one
    skipped = skipped_items(out)
    assert list(skipped) == [1] and "1.png" in skipped[1]


def test_file_images_are_split_by_seed(tmp_path):
    from studio_plugins.readers.images import load_labelled

    for cls in ("cats", "dogs"):
        (tmp_path / cls).mkdir()
        for i in range(5):
            Image.new("L", (12, 12), 20 * i).save(tmp_path / cls / f"{i}.png")
    out = prepare_images(load_labelled(tmp_path), 8, 3, val_fraction=0.2, seed=1)
    assert len(out.train) == 8 and len(out.val) == 2
    image, label = out.train[0]
    assert image.shape == (3, 8, 8) and label in (0, 1)
