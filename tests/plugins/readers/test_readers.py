"""The built-in readers on real files: what they accept, what they load, and how they
answer bad input (skip with a reason, or refuse with DatasetError naming the file)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio.api import DatasetError
from studio.core.readers import best_readers

SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "data"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data is absent")


def winner(plugins, path: Path) -> str | None:
    found = best_readers(plugins.readers.values(), path)
    assert len(found) <= 1, [r.id for r in found]
    return found[0].id if found else None


def tie(plugins, path: Path) -> set[str]:
    return {r.id for r in best_readers(plugins.readers.values(), path)}


def load(plugins, path: Path):
    return best_readers(plugins.readers.values(), path)[0].load(path)


def save_image(path: Path, size=(20, 14), mode="RGB", fmt=None) -> Path:
    rng = np.random.default_rng(len(str(path)))
    shape = (size[1], size[0], 3) if mode == "RGB" else (size[1], size[0])
    Image.fromarray(rng.integers(0, 255, shape, dtype=np.uint8), mode).save(path, fmt)
    return path


@pytest.fixture
def image_classes(tmp_path) -> Path:
    root = tmp_path / "pets"
    for cls, suffix, mode in (
        ("cats", ".png", "RGB"),
        ("dogs", ".jpg", "RGB"),
        ("birds", ".bmp", "L"),
    ):
        (root / cls).mkdir(parents=True)
        for i in range(3):
            save_image(root / cls / f"{i}{suffix}", size=(16 + i * 5, 12 + i), mode=mode)
    save_image(root / "birds" / "extra.webp", fmt="WEBP")
    (root / "cats" / "empty.png").write_bytes(b"")
    (root / "cats" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
    (root / "dogs" / "notes.jpg").write_text("not an image at all")
    (root / "dogs" / "README").write_text("ignored: not an image suffix")
    return root


def test_labelled_images_load_with_bad_files_skipped_and_named(plugins, image_classes):
    assert winner(plugins, image_classes) == "image-classes"
    data = load(plugins, image_classes)
    assert data.kind == "labelled-images"
    assert data.info["classes"] == ["birds", "cats", "dogs"]
    # broken.png has a PNG signature and a cut-off body: listing reads 32 bytes a file
    # (fast enough for 100,000), so only decoding finds it, and says so by name.
    assert data.info["counts"] == {"birds": 4, "cats": 4, "dogs": 3}
    reasons = {Path(p).name: r for p, r in data.info["skipped"]}
    assert set(reasons) == {"empty.png", "notes.jpg"}
    assert "0 bytes" in reasons["empty.png"] and "not a JPG file" in reasons["notes.jpg"]
    broken = data.train.paths.index(str(image_classes / "cats" / "broken.png"))
    with pytest.raises(DatasetError, match=r"broken\.png: cannot decode"):
        data.train[broken]
    image, label = data.train[0]
    assert image.shape == (3, 64, 64) and str(image.dtype) == "torch.uint8" and label == 0
    data.train.channels, data.train.size = 1, 32  # as a greyscale model would ask
    assert data.train[5][0].shape == (1, 32, 32)


def test_a_file_deleted_after_listing_gives_a_clear_error(plugins, image_classes):
    data = load(plugins, image_classes)
    Path(data.train.paths[0]).unlink()
    with pytest.raises(DatasetError, match="cannot decode"):
        data.train[0]


def test_flat_and_two_domain_folders(plugins, tmp_path):
    flat = tmp_path / "flat"
    flat.mkdir()
    for i in range(4):
        save_image(flat / f"{i}.png")
    assert winner(plugins, flat) == "image-folder"
    assert len(load(plugins, flat).train) == 4

    cycle = tmp_path / "horse2zebra"
    for d in ("trainA", "trainB"):
        (cycle / d).mkdir(parents=True)
        save_image(cycle / d / "x.png")
        save_image(cycle / d / "y.png")
    assert winner(plugins, cycle) == "image-two-domains-named"
    data = load(plugins, cycle)
    assert data.kind == "two-domain-images" and data.info["domains"] == ["trainA", "trainB"]

    assert data.val is None and "domain_b_val" not in data.info

    # As horse2zebra is distributed: the test folders are the held-out split.
    root = tmp_path / "horse2zebra-full"
    for d, n in (("trainA", 3), ("trainB", 2), ("testA", 1), ("testB", 2)):
        (root / d).mkdir(parents=True)
        for i in range(n):
            save_image(root / d / f"{i}.png")
    assert winner(plugins, root) == "image-two-domains-named"
    data = load(plugins, root)
    assert data.info["domains"] == ["trainA", "trainB"]
    assert (len(data.train), len(data.info["domain_b"])) == (3, 2)
    assert (len(data.val), len(data.info["domain_b_val"])) == (1, 2)
    assert data.info["counts"] == {"trainA": 3, "trainB": 2, "testA": 1, "testB": 2}

    ambiguous = tmp_path / "summer-winter"
    for d in ("summer", "winter"):
        (ambiguous / d).mkdir(parents=True)
        save_image(ambiguous / d / "x.png")
    # Two classes or two domains? Equal priority: the user is asked.
    assert tie(plugins, ambiguous) == {"image-classes", "image-two-domains"}


def test_an_image_that_decompresses_to_an_absurd_size_is_refused(plugins, tmp_path):
    folder = tmp_path / "bomb"
    folder.mkdir()
    save_image(folder / "ok.png")
    Image.new("1", (10_000, 10_000)).save(folder / "bomb.png")  # 100 Mpx, 12 kB on disk
    data = load(plugins, folder)
    assert len(data.train) == 1
    assert "pixels is more than" in data.info["skipped"][0][1]


def test_empty_folders_and_unknown_files_find_no_reader(plugins, tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "file.xyz").write_bytes(b"\x00\x01")
    assert winner(plugins, tmp_path / "empty") is None
    assert winner(plugins, tmp_path / "file.xyz") is None


@needs_shared
def test_tiny_shakespeare(plugins):
    path = SHARED / "tinyshakespeare.txt"
    assert winner(plugins, path) == "text"
    data = load(plugins, path)
    assert data.info["characters"] == 1_115_394 and data.info["vocabulary"] == 65
    assert len(data.train) == 1_115_394 and chr(data.train[0]) == "F"


def test_text_encodings_and_bad_files(plugins, tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.txt").write_text("Héllo wörld, ça va ?\n" * 20, encoding="latin-1")
    (folder / "b.txt").write_text("Grüße aus Köln.\n", encoding="utf-16")
    (folder / "c.txt").write_bytes(b"\x00\x01\x02\xff" * 100)
    data = load(plugins, folder)
    assert "Héllo wörld" in data.info["text"] and "Grüße aus Köln" in data.info["text"]
    assert data.info["files"] == 2
    assert data.info["skipped"] == [(str(folder / "c.txt"), "a binary file, not text")]
    (tmp_path / "blank.txt").write_text("   \n")
    with pytest.raises(DatasetError, match="no text found"):
        load(plugins, tmp_path / "blank.txt")


@needs_shared
def test_parallel_text(plugins, tmp_path):
    path = SHARED / "eng-fra-18k.tsv"
    assert winner(plugins, path) == "text-pairs"
    data = load(plugins, path)
    assert data.info["pairs"] == 18_065 and data.train[0] == ("Go.", "Va !")
    bad = tmp_path / "bad.tsv"
    bad.write_text("one\ttwo\textra ignored\nno tab here\n\tempty source\n")
    data = load(plugins, bad)
    assert data.train.pairs == [("one", "two")] and len(data.info["skipped"]) == 2


def test_csv_tables(plugins, tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("x,y\n1,2\n3,4.5\noops,1\n5,6,7\n")
    assert winner(plugins, path) == "csv"
    data = load(plugins, path)
    assert data.info["columns"] == ["x", "y"] and data.train[0].tolist() == [[1, 2], [3, 4.5]]
    assert [s[0] for s in data.info["skipped"]] == [f"{path}:4", f"{path}:5"]
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DatasetError, match="empty"):
        load(plugins, tmp_path / "empty.csv")


def test_npy_numeric_loads_and_object_arrays_are_refused(plugins, tmp_path):
    np.save(tmp_path / "a.npy", np.arange(12, dtype=np.float32).reshape(4, 3))
    data = load(plugins, tmp_path / "a.npy")
    assert data.kind == "tensor" and data.info["shape"] == [4, 3]
    np.save(tmp_path / "obj.npy", np.array([{"x": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(DatasetError, match="unpickling runs code"):
        load(plugins, tmp_path / "obj.npy")


@needs_shared
def test_the_books_npz_is_refused_with_the_reason_and_its_json_loads(plugins):
    with pytest.raises(DatasetError, match=r"object arrays.*refused"):
        load(plugins, SHARED / "Jsb16thSeparated.npz")
    path = SHARED / "Jsb16thSeparated.json"
    assert winner(plugins, path) == "jsb-chorales"
    data = load(plugins, path)
    assert data.info["counts"] == {"train": 229, "valid": 76, "test": 77}
    assert data.train[0].shape[1] == 4 and data.val is not None


def test_malformed_chorales_are_refused(plugins, tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"train": [[[60, 64, 67]]]}))
    with pytest.raises(DatasetError, match="train piece 0"):
        load(plugins, path)


def test_a_symlink_loop_is_not_followed(plugins, tmp_path):
    from studio.core.dataset_info import count_files

    root = tmp_path / "loop"
    (root / "a").mkdir(parents=True)
    (root / "a" / "t.txt").write_text("words and more words\n")
    (root / "a" / "back").symlink_to(root, target_is_directory=True)  # a -> .. -> a ...
    save_image(root / "a" / "x.png")
    assert count_files(root)[0] == 2
    assert load(plugins, root / "a").kind in ("images", "text")
    assert plugins.readers["text"].load(root).info["files"] == 1


def write_midi(path: Path, notes: list[tuple[int, int, int]], ticks_per_beat: int = 480) -> Path:
    """notes: (pitch, start beat*4, length in 16ths)."""
    import mido

    events = []
    step = ticks_per_beat // 4
    for pitch, start, length in notes:
        events.append((start * step, mido.Message("note_on", note=pitch, velocity=80)))
        events.append(((start + length) * step, mido.Message("note_off", note=pitch)))
    events.sort(key=lambda e: e[0])
    track, now = mido.MidiTrack(), 0
    for tick, msg in events:
        track.append(msg.copy(time=tick - now))
        now = tick
    midi = mido.MidiFile(ticks_per_beat=ticks_per_beat)
    midi.tracks.append(track)
    midi.save(str(path))
    return path


def test_midi_files_become_piano_rolls(plugins, tmp_path):
    folder = tmp_path / "songs"
    folder.mkdir()
    write_midi(folder / "chord.mid", [(60, 0, 4), (64, 0, 4), (67, 4, 8)])
    (folder / "broken.mid").write_bytes(b"MThd garbage")
    assert winner(plugins, folder) == "midi"
    data = load(plugins, folder)
    roll = data.info["rolls"][0]
    assert data.kind == "music-pianoroll" and roll.shape == (12, 128)
    assert roll[:4, 60].all() and roll[:4, 64].all() and not roll[4:, 60].any()
    assert roll[4:12, 67].all()
    assert [Path(p).name for p, _ in data.info["skipped"]] == ["broken.mid"]
    assert "not a readable MIDI file" in data.info["skipped"][0][1]


def _write_musicxml(path: Path) -> None:
    from music21 import chord, note, stream

    part = stream.Part()
    part.append(note.Note("C4", quarterLength=1))  # steps 0-3
    part.append(chord.Chord(["E4", "G4"], quarterLength=2))  # steps 4-11
    part.append(note.Rest(quarterLength=1))  # steps 12-15
    part.append(note.Note("A4", quarterLength=0.25))  # step 16
    part.write("musicxml", fp=str(path))


def test_musicxml_scores_become_piano_rolls(plugins, tmp_path):
    folder = tmp_path / "scores"
    folder.mkdir()
    _write_musicxml(folder / "tune.musicxml")
    (folder / "broken.mxl").write_bytes(b"PK\x03\x04 not a zip")
    assert winner(plugins, folder) == "musicxml"
    assert winner(plugins, folder / "tune.musicxml") == "musicxml"
    data = load(plugins, folder)
    roll = data.info["rolls"][0]
    assert data.kind == "music-pianoroll" and roll.shape == (17, 128)
    assert roll[0:4, 60].all() and not roll[4:, 60].any()
    assert roll[4:12, 64].all() and roll[4:12, 67].all() and not roll[12:16].any()
    assert roll[16, 69] == 1 and roll.sum() == 4 + 8 + 8 + 1
    assert [Path(p).name for p, _ in data.info["skipped"]] == ["broken.mxl"]
    assert "not a readable MusicXML file" in data.info["skipped"][0][1]
    # A plain .xml is MusicXML only when it says so.
    (tmp_path / "other.xml").write_text("<?xml version='1.0'?><catalog/>")
    assert winner(plugins, tmp_path / "other.xml") is None


def test_a_real_bach_chorale_in_musicxml(plugins):
    from music21 import corpus

    path = Path(corpus.getWork("bwv66.6"))  # shipped inside music21: no download
    data = load(plugins, path)
    roll = data.info["rolls"][0]
    voices = roll.sum(axis=1)
    # Four-part harmony: nearly every 16th-note step has three or four notes sounding,
    # all within the range of voices (E2..A5).
    assert (voices >= 3).mean() > 0.9, np.bincount(voices)
    pitches = np.nonzero(roll.any(axis=0))[0]
    assert pitches.min() >= 40 and pitches.max() <= 81
