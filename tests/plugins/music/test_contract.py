"""The music models pass the standard plugin checks (load, forms, train, checkpoint,
sample, resume) on the JSB chorales with tiny networks; the piano-roll view draws
tracks, bars and the playhead and says so when there is no sound device; the Explore
widget streams a Transformer sample into it."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio import api
from studio.testing import check_plugin_contract

pytestmark = pytest.mark.studio_plugins("music", "readers")

JSB = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "Jsb16thSeparated.json"
TINY = {
    "musegan": {
        "hid_channels": 32,
        "hid_features": 32,
        "critic_channels": 8,
        "critic_features": 16,
        "batch_size": 8,
        "critic_steps": 2,
    },
    "music-transformer": {
        "n_layer": 1,
        "n_head": 2,
        "n_embd": 32,
        "block_size": 32,
        "batch_size": 4,
        "val_batches": 1,
        "preview_events": 20,
    },
}


def jsb_spec() -> api.DatasetSpec:
    if not JSB.is_file():
        pytest.skip(f"the JSB chorales are not at {JSB}")
    from studio_plugins.readers.music import load_chorales

    return api.DatasetSpec("jsb-test", "JSB", "", "music-chorales", lambda: load_chorales(JSB))


@pytest.mark.parametrize("model", sorted(TINY))
def test_contract(model, studio_manager, tmp_path, monkeypatch):
    # A tiny preset for this test only (the checks build every preset's config too).
    monkeypatch.setitem(studio_manager.models[model].presets, "test tiny", TINY[model])
    report = check_plugin_contract(
        studio_manager, model, tmp_path, steps=2, dataset=jsb_spec(), preset="test tiny"
    )
    assert report.sample.kind == "pianoroll" and len(report.sample.notes) > 0
    assert "in_key" in report.sample.metrics


def test_the_view_draws_tracks_bars_and_playhead(studio_manager, qtbot, monkeypatch):
    from studio_plugins.music.chorales import notes_of, random_ints
    from studio_plugins.music.pianoroll import PianoRoll

    monkeypatch.setenv("GENAI_STUDIO_AUDIO", "none")  # as on a machine with no sound
    notes, bar, piece = notes_of(random_ints(2))
    sample = PianoRoll(
        notes=notes,
        tracks=["soprano", "alto", "tenor", "bass"],
        bar_seconds=bar,
        piece_seconds=piece,
        metrics={"in_key": 0.5},
    )
    view = studio_manager.sample_views["pianoroll"].factory()
    qtbot.addWidget(view)
    view.resize(800, 400)
    view.show_sample(sample)
    image = view.canvas.grab().toImage()
    colors = {image.pixelColor(x, y).name() for x in range(0, 800, 3) for y in range(0, 300, 3)}
    assert {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e"} <= colors  # four tracks
    assert "#555555" in colors  # the line where the second piece starts
    assert "in key: 0.5" in view.caption.text() and "soprano" in view.legend.text()
    view.play()
    assert "No sound output" in view.status.text()  # a message, not an exception
    assert view.canvas.playhead is None
    view.canvas.playhead = 1.0
    image = view.canvas.grab().toImage()
    x = int(1.0 * view.canvas.width() / sample.duration)
    assert any(image.pixelColor(x, y).name() == "#e00000" for y in range(0, 200))
