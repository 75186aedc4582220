"""The music plugin's pieces that need no training: the piano-roll kind's files (JSON,
MIDI, WAV), the MIDI reader and MuseGAN's data round trips, miditok's event tokens,
the metrics, the presets against the book's listings, the GPT's key/value cache, and
playback without a sound device."""

from __future__ import annotations

import json
import wave
from pathlib import Path

import numpy as np
import pytest
import torch

from studio import api
from studio_plugins.music import chorales, config, events, metrics, playback
from studio_plugins.music.midi_io import read_midi
from studio_plugins.music.pianoroll import PianoRoll
from studio_plugins.music.synth import RATE, render

JSB = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "Jsb16thSeparated.json"
NOTES = np.array(
    [
        [0, 72, 0.0, 0.5, 90],
        [1, 60, 0.0, 1.0, 64],
        [0, 74, 0.5, 1.0, 100],
        [1, 67, 1.25, 2.0, 40],
    ]
)


def jsb_dataset() -> api.LoadedDataset:
    if not JSB.is_file():
        pytest.skip(f"the JSB chorales are not at {JSB}")
    from studio_plugins.readers.music import load_chorales

    return load_chorales(JSB)


def test_pianoroll_writes_json_midi_and_wav_by_suffix(tmp_path):
    roll = PianoRoll(notes=NOTES, tracks=["a", "b"], bar_seconds=1.0, metrics={"in_key": 0.5})
    back = PianoRoll.load(roll.save(tmp_path / "step_0000001"))
    assert np.allclose(back.notes, NOTES) and back.tracks == ["a", "b"]
    assert back.metrics == {"in_key": 0.5} and back.bar_seconds == 1.0

    midi = roll.save(tmp_path / "piece.mid")
    assert midi.suffix == ".mid" and midi.read_bytes()[:4] == b"MThd"
    notes, names = read_midi(midi)
    assert len(names) == 2
    assert np.allclose(
        notes[:, 1:4], NOTES[np.lexsort((NOTES[:, 1], NOTES[:, 2]))][:, 1:4], atol=1e-3
    )
    assert np.array_equal(notes[:, 4], NOTES[np.lexsort((NOTES[:, 1], NOTES[:, 2]))][:, 4])

    wav = roll.save(tmp_path / "piece.wav")
    with wave.open(str(wav)) as w:
        assert w.getframerate() == RATE and w.getnchannels() == 1
        frames = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    assert 2.0 * RATE < len(frames) < 2.6 * RATE  # the piece (2 s) and a short tail
    assert np.abs(frames).max() > 20000  # normalised, not silent


def test_synth_plays_the_right_pitch():
    audio = render(np.array([[0, 69, 0.0, 1.0, 100]]))  # A4: 440 Hz
    spectrum = np.abs(np.fft.rfft(audio[: RATE // 2]))
    assert abs(np.argmax(spectrum) * 2 - 440) <= 2  # bins of 2 Hz over half a second


def test_midi_reader_reads_what_the_kind_writes(tmp_path):
    """The readers plugin's MIDI reader (what a dropped folder goes through) gets the
    notes of an exported piece back on its 16th-note grid (120 bpm: a step is 0.125 s)."""
    from studio_plugins.readers.midi import load_midi

    PianoRoll(notes=NOTES, tracks=["a", "b"]).save(tmp_path / "piece.mid")
    roll = load_midi(tmp_path).info["rolls"][0]
    for _, pitch, a, b, _ in NOTES:
        assert roll[round(a / 0.125) : round(b / 0.125), int(pitch)].all()
    assert roll.sum() == sum(round((b - a) / 0.125) for _, _, a, b, _ in NOTES)


def test_chorales_become_the_books_2_bar_pieces_and_back():
    data = jsb_dataset()
    train = chorales.windows(chorales.pieces_of(data, "train"), "first")
    assert train.shape == (229, 4, 2, 16)  # one per training chorale, as the book
    assert (train[:, :, 0, 0] >= 0).all()  # starts where every voice sounds
    hot = chorales.one_hot(train)
    assert hot.shape == (229, 4, 2, 16, 84) and set(np.unique(hot)) == {-1.0, 1.0}
    back, sounding = chorales.ints_from_output(hot), train >= 0
    assert np.array_equal(back[sounding], train[sounding])
    notes, bar, piece = chorales.notes_of(train[:1])
    assert piece == 2 * bar and notes[:, 3].max() <= piece + 1e-9
    # A held pitch is one note: the soprano's notes cover its 32 steps exactly once.
    soprano = notes[notes[:, 0] == 0]
    assert np.isclose((soprano[:, 3] - soprano[:, 2]).sum(), piece)


def test_voices_of_a_merged_roll():
    roll = np.zeros((3, 128), dtype=np.uint8)
    roll[0, [48, 60, 64, 67]] = 1
    roll[1, [50, 70]] = 1
    roll[2, 62] = 1
    assert chorales.voices_from_roll(roll).tolist() == [
        [67, 64, 60, 48],
        [70, -1, -1, 50],
        [62, -1, -1, -1],
    ]


def test_events_are_the_books_388_and_round_trip():
    names = events.names()
    kinds = [n.split("_")[0] for n in names]
    counts = {k: kinds.count(k) for k in set(kinds)}
    assert counts == {
        "NoteOn": 128,
        "NoteOff": 128,
        "TimeShift": 100,
        "Velocity": 32,
        "PAD": 1,
        "EOS": 1,
    }
    notes = NOTES.copy()
    notes[:, 0] = 0
    ids = events.encode(notes)
    back, form = events.decode(ids)
    assert form["matched_note_offs"] == 1.0
    order = np.lexsort((notes[:, 1], notes[:, 2]))
    assert np.allclose(back[:, 1:4], notes[order][:, 1:4], atol=0.011)  # 10 ms shifts
    assert np.abs(back[:, 4] - notes[order][:, 4]).max() <= 4  # 32 velocity bins
    # A silence longer than the longest shift (1 s) is several shifts.
    assert np.isclose(events.seconds_of(events.encode(np.array([[0, 60, 0, 3.5, 80]]))), 3.5)


def test_decode_is_lenient_with_generated_streams():
    ids = list(np.random.default_rng(0).integers(2, events.vocab_size(), 400))
    notes, form = events.decode(ids)
    assert 0.0 <= form["matched_note_offs"] <= 1.0
    assert (notes[:, 3] > notes[:, 2]).all()


def test_metrics_on_known_grids():
    grid = np.zeros((1, 2, 2, 16, 128), dtype=bool)
    grid[0, 0, 0, :, 60] = True  # C all of bar 1, track 0
    grid[0, 0, 0, :8, 66] = True  # F# (out of C major) for half of it
    grid[0, 1, :, :, 64] = True  # E in both bars, track 1
    m = metrics.music_metrics(grid, tonic=0)
    assert m["empty_bars"] == 0.25  # track 0, bar 2
    assert np.isclose(m["in_key"], (16 + 32) / (16 + 8 + 32))
    assert np.isclose(m["pitch_classes_per_bar"], (2 + 1 + 1) / 3)
    assert np.isclose(m["polyphony"], (8 * 3 + 8 * 2 + 16 * 1) / 32)
    hist = metrics.pitch_class_histogram(grid)
    assert metrics.estimate_key(hist) in (0, 7)  # C or G major both hold C, E (and F#: G)


def test_book_presets_are_the_listings():
    """The values docs/music.md states for the book's listings (ch13MuseGAN.ipynb and
    ch14MusicTransformer.ipynb): presets cannot drift from them."""
    musegan = {
        "z_dim": 32,
        "hid_channels": 1024,
        "hid_features": 1024,
        "critic_channels": 128,
        "critic_features": 1024,
        "batch_size": 64,
        "lr": 1e-3,
        "beta1": 0.5,
        "beta2": 0.9,
        "critic_steps": 5,
        "gp_weight": 10.0,
        "windows": "first",
        "epochs": 500,
    }
    assert {k: config.MUSEGAN_BOOK[k] for k in musegan} == musegan
    transformer = {
        "n_layer": 6,
        "n_head": 8,
        "n_embd": 512,
        "block_size": 2048,
        "dropout": 0.1,
        "lr": 1e-4,
        "grad_clip": 1.0,
        "batch_size": 2,
    }
    assert {k: config.TRANSFORMER_BOOK[k] for k in transformer} == transformer
    docs = (Path(__file__).resolve().parents[3] / "docs" / "music.md").read_text()
    for needle in ("betas (0.5, 0.9)", "batch 64", "500 epochs", "6 layers, 8 heads, 512"):
        assert needle in docs


def test_gpt_cache_gives_the_logits_of_the_whole_prefix():
    torch.manual_seed(0)
    model = api.GPT(api.GPTShape(vocab_size=390, block_size=32, n_layer=2, n_head=2, n_embd=32))
    model.eval()
    idx = torch.randint(0, 390, (1, 20))
    with torch.no_grad():
        full = model(idx)[0][:, -1]
        _, past = model.next_logits(idx[:, :-1], None)
        cached, _ = model.next_logits(idx, past)
    assert torch.allclose(full, cached, atol=1e-5)


def test_no_sound_device_is_a_message(monkeypatch):
    monkeypatch.setenv("GENAI_STUDIO_AUDIO", "none")
    player = playback.Player()
    with pytest.raises(playback.PlaybackUnavailable, match="save"):
        player.play(np.zeros(100, dtype=np.float32), RATE)
    assert not player.playing


def test_sample_json_is_plain(tmp_path):
    path = PianoRoll(notes=NOTES, tracks=["a", "b"]).save(tmp_path / "s")
    data = json.loads(path.read_text())
    assert data["kind"] == "pianoroll" and len(data["notes"]) == 4
