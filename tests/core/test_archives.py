"""Archives are unpacked safely: escaping paths, links, bombs and damage are refused
with a message naming the archive, and nothing is left behind."""

from __future__ import annotations

import io
import tarfile
import zipfile

import pytest

from studio.core.archives import archive_stem, extract, is_archive
from studio.core.errors import DatasetError


def make_zip(path, members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_zip_with_one_top_folder_returns_that_folder(tmp_path):
    arc = make_zip(tmp_path / "faces.zip", {"faces/a/1.png": b"x", "faces/b/2.png": b"y"})
    assert is_archive(arc) and archive_stem(arc) == "faces"
    root = extract(arc, tmp_path / "out")
    assert root == tmp_path / "out" / "faces"
    assert (root / "a" / "1.png").read_bytes() == b"x"


def test_tar_gz_round_trip(tmp_path):
    arc = tmp_path / "text.tar.gz"
    with tarfile.open(arc, "w:gz") as tf:
        data = b"hello"
        info = tarfile.TarInfo("corpus.txt")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    assert archive_stem(arc) == "text"
    root = extract(arc, tmp_path / "out")
    assert (root / "corpus.txt").read_bytes() == b"hello"


@pytest.mark.parametrize("name", ["../evil.txt", "/etc/evil", "a/../../evil", "C:\\\\evil"])
def test_members_that_escape_are_refused(tmp_path, name):
    arc = make_zip(tmp_path / "bad.zip", {"ok.txt": b"1", name: b"2"})
    with pytest.raises(DatasetError, match="outside its folder"):
        extract(arc, tmp_path / "out")
    assert not (tmp_path / "out").exists() and not (tmp_path / "evil.txt").exists()
    assert not list(tmp_path.glob(".out.partial"))


def test_tar_links_are_refused(tmp_path):
    arc = tmp_path / "links.tar"
    with tarfile.open(arc, "w") as tf:
        link = tarfile.TarInfo("passwd")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        tf.addfile(link)
    with pytest.raises(DatasetError, match="is a link"):
        extract(arc, tmp_path / "out")


def test_a_zip_bomb_is_refused_before_anything_is_written(tmp_path):
    arc = make_zip(tmp_path / "bomb.zip", {"zeros.bin": b"\0" * (50 * 1024**2)})
    assert arc.stat().st_size < 200_000
    with pytest.raises(DatasetError, match="decompression bomb"):
        extract(arc, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_an_absurd_total_size_is_refused(tmp_path):
    arc = make_zip(
        tmp_path / "big.zip",
        {f"{i}.txt": b"abcdefgh" * 1000 for i in range(5)},
        compression=zipfile.ZIP_STORED,
    )
    with pytest.raises(DatasetError, match="more than the"):
        extract(arc, tmp_path / "out", limit_bytes=10_000)


def test_damaged_and_empty_archives(tmp_path):
    (tmp_path / "junk.zip").write_bytes(b"PK\x03\x04 definitely not a zip")
    with pytest.raises(DatasetError, match="not a readable zip"):
        extract(tmp_path / "junk.zip", tmp_path / "o1")
    (tmp_path / "junk.tar.gz").write_bytes(b"\x1f\x8b garbage")
    with pytest.raises(DatasetError, match=r"junk\.tar\.gz"):
        extract(tmp_path / "junk.tar.gz", tmp_path / "o2")
    with pytest.raises(DatasetError, match="empty"):
        extract(make_zip(tmp_path / "empty.zip", {}), tmp_path / "o3")
