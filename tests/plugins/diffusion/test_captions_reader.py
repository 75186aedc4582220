"""The image+caption reader on real files: both layouts, what it wins over, and how it
answers bad input (skipped and named, or one DatasetError naming the path)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio.api import DatasetError
from studio.core.readers import best_readers


def save_image(path: Path, seed: int = 0) -> Path:
    pixels = np.random.default_rng(seed).integers(0, 255, (12, 10, 3), dtype=np.uint8)
    Image.fromarray(pixels, "RGB").save(path)
    return path


def winner(plugins, path: Path) -> str | None:
    found = best_readers(plugins.readers.values(), path)
    assert len(found) <= 1, [r.id for r in found]
    return found[0].id if found else None


def test_a_folder_of_images_with_caption_files(plugins, tmp_path):
    folder = tmp_path / "pets"
    folder.mkdir()
    save_image(folder / "cat.png", 1)
    (folder / "cat.txt").write_text("\ufeffA black cat\non a mat\n", encoding="utf-8")
    save_image(folder / "dog.png", 2)
    (folder / "dog.txt").write_text("a dog", encoding="utf-8")
    save_image(folder / "bird.png", 3)  # no caption: skipped and named
    save_image(folder / "fish.png", 4)
    (folder / "fish.txt").write_text("   \n", encoding="utf-8")  # empty: skipped
    (folder / "broken.png").write_bytes(b"not a png")
    (folder / "broken.txt").write_text("a broken file", encoding="utf-8")
    assert winner(plugins, folder) == "captioned-images"  # not the image folder or text
    data = plugins.readers["captioned-images"].load(folder)
    assert data.kind == "captioned-images"
    assert [Path(p).name for p in data.train.paths] == ["cat.png", "dog.png"]
    assert data.info["captions"] == ["A black cat on a mat", "a dog"]
    reasons = {Path(p).name: why for p, why in data.info["skipped"]}
    assert reasons["bird.png"] == "no caption (bird.txt is missing)"
    assert "empty" in reasons["fish.png"] and "not a PNG file" in reasons["broken.png"]
    assert data.train[0].shape == (3, 64, 64)  # decoded on access, as other image readers


def test_a_csv_of_file_and_caption_alone_or_in_its_folder(plugins, tmp_path):
    folder = tmp_path / "shapes"
    (folder / "img").mkdir(parents=True)
    save_image(folder / "img" / "a.png", 1)
    save_image(folder / "img" / "b.png", 2)
    save_image(tmp_path / "secret.png", 3)
    table = folder / "captions.csv"
    table.write_text(
        "image,text\n"
        'img/a.png,"a red square, small"\n'
        "img/b.png,a blue circle\n"
        "img/missing.png,gone\n"
        "../secret.png,outside\n"
        "/etc/passwd.png,absolute\n"
        "img/a.png,\n"
        "notes.doc,not an image\n"
        "just one cell\n",
        encoding="utf-8",
    )
    for path in (table, folder):
        assert winner(plugins, path) == "captioned-images"  # over the numeric CSV reader
        data = plugins.readers["captioned-images"].load(path)
        assert [Path(p).name for p in data.train.paths] == ["a.png", "b.png"]
        assert data.info["captions"] == ["a red square, small", "a blue circle"]
        reasons = [why for _, why in data.info["skipped"]]
        assert reasons == [
            "img/missing.png does not exist",
            "../secret.png is outside the CSV's folder",
            "/etc/passwd.png is outside the CSV's folder",
            "empty caption",
            "notes.doc is not an image file name",
            "needs a file and a caption",
        ]
    headerless = tmp_path / "plain.csv"
    headerless.write_text("shapes/img/b.png,a blue circle\n", encoding="utf-8")
    assert plugins.readers["captioned-images"].load(headerless).info["captions"] == [
        "a blue circle"
    ]


def test_numeric_csvs_and_plain_image_folders_are_left_to_their_readers(plugins, tmp_path):
    numbers = tmp_path / "points.csv"
    numbers.write_text("x,y\n1,2\n3,4\n", encoding="utf-8")
    assert winner(plugins, numbers) == "csv"
    images = tmp_path / "flat"
    images.mkdir()
    save_image(images / "a.png")
    (images / "notes.txt").write_text("not the caption of any image", encoding="utf-8")
    found = {r.id for r in best_readers(plugins.readers.values(), images)}
    assert "captioned-images" not in found and "image-folder" in found


def test_nothing_usable_is_one_clear_error(plugins, tmp_path):
    table = tmp_path / "captions.csv"
    table.write_text("file,caption\nmissing.png,a cat\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"captions\.csv: no image with a caption \(1 skipped"):
        plugins.readers["captioned-images"].load(table)
    bad = tmp_path / "latin.csv"
    bad.write_bytes("file,caption\na.png,caf\xe9\n".encode("latin-1"))
    with pytest.raises(DatasetError, match="not UTF-8"):
        plugins.readers["captioned-images"].load(bad)
