"""Text-to-image: after a short training the prompt steers the picture (the digit asked
for is drawn far more often at guidance 3 than at guidance 0), images stream and stop,
the Explore widget streams a typed prompt then shows its scores and measures its
sampler, the CLI samples with typed options, a CLIP file scores, ranks and lends its
text encoder, a folder of captioned images trains, and the book preset is the listing."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from PIL import Image

from studio import api
from studio.testing import sample_run, stream_run, train_run

# The 8x8 digits (their own size), a two-level U-Net with cross-attention at the lower
# level, batch 32: STEPS take about 35 CPU-seconds. Measured through the engine with
# the 8x8 digit judge (training seeds 0-2, 40 images, DDIM 10 steps), the share of the
# asked digit at guidance 0 / 3: after 400 steps 0.10 / 0.50, 0.05 / 0.525,
# 0.025 / 0.525; after 350 only 0.15 / 0.30, 0.10 / 0.375, 0.025 / 0.475 (seed 0 a
# hair above the old bound of +0.15).
SMALL = {
    "image_size": 8,
    "widths": "16,32",
    "attention_from": 1,
    "text_width": 32,
    "lr": 3e-3,
    "warmup": 20,
    "batch_size": 32,
    "preview_per_prompt": 2,
}
STEPS = 400
FAST = {"steps": 10, "sampler": "ddim"}


# One torch thread for the module, and the diffusion plugin alone (conftest.py).
pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def trained(manager, tmp_path_factory):
    path = tmp_path_factory.mktemp("t2i") / "run"
    return train_run("text-to-image", STEPS, path=path, config=SMALL, manager=manager)


def test_guidance_steers_the_samples_towards_the_digit_asked_for(trained, manager):
    shares = {
        g: sample_run(trained, n=40, options={**FAST, "guidance": g}, manager=manager).metrics[
            "asked_digit"
        ]
        for g in (0.0, 3.0)
    }
    assert shares[3.0] >= 0.35, shares
    assert shares[3.0] >= shares[0.0] + 0.25, shares


def test_the_preview_grid_has_a_row_per_class_and_a_seed_gives_the_same_images(trained, manager):
    grid = {**FAST, "images": 20}  # no prompt: each class in turn, a row each
    preview = sample_run(trained, options=grid, manager=manager)
    assert preview.images.shape == (20, 8, 8, 1) and preview.columns == 2
    assert preview.labels[:3] == ["a handwritten zero", "a handwritten zero", "a handwritten one"]
    again = sample_run(trained, options=grid, manager=manager)
    assert np.array_equal(preview.images, again.images)


def test_images_stream_as_they_denoise_and_stop_cancels(trained, manager):
    options = {"prompt": "a handwritten seven", "steps": 6, "stream_every": 2, "images": 3}
    parts = list(stream_run(trained, options=options, manager=manager))
    assert [p.metrics.get("step") for p in parts] == [2.0, 4.0, None]
    assert all(p.images.shape == (3, 8, 8, 1) for p in parts)
    final = parts[-1]
    assert "asked_digit" in final.metrics and final.metrics["unknown_words"] == 0
    assert final.labels is None  # one prompt for every image: the widget shows it once
    cancel = api.CancelToken()
    stream = stream_run(trained, options=options, cancel=cancel, manager=manager)
    next(stream)
    cancel.cancel()
    with pytest.raises(api.SamplingCancelled):
        next(stream)
    odd = sample_run(
        trained, options={**FAST, "prompt": "a purple seven", "images": 1}, manager=manager
    )
    assert odd.metrics["unknown_words"] == 1


def test_the_widget_streams_a_prompt_shows_its_scores_and_measures(qtbot, trained, manager):
    from studio.api_qt import SamplingContext

    spec = manager.models["text-to-image"]
    widget = spec.widget_factory(SamplingContext(spec, manager.resolve_run))
    qtbot.addWidget(widget)
    widget.resize(900, 700)
    widget.show()
    widget.set_run(trained.path)
    assert "a handwritten seven" in widget.prompt.placeholderText()
    widget.options_form.set_values({"steps": 4, "stream_every": 1, "images": 3})
    parts = []
    widget.view.show_sample = lambda sample, show=widget.view.show_sample: (
        parts.append(sample.metrics.get("step")),
        show(sample),
    )
    widget.prompt.setText("a handwritten seven")
    shown = []
    widget.sampled.connect(shown.append)
    widget.prompt.returnPressed.emit()
    qtbot.waitUntil(lambda: not widget.busy, timeout=180_000)
    assert shown, widget.status.text()
    # Three steps streamed, then the final images (as the last part, and as the result).
    assert parts[:3] == [1.0, 2.0, 3.0] and parts[3:] and set(parts[3:]) == {None}
    assert widget.view.shown_columns >= 1 and widget.progress.text() == "“a handwritten seven”"
    assert "drawn as the digit asked for" in widget.scores.text()

    # Measure: the chosen sampler at 4 steps and at 50, 6 images each, off the GUI thread.
    bar = widget.measure
    head = "DDIM 4 steps at guidance 3 for “a handwritten seven”"
    assert bar.line.text() == f"{head}: not measured yet."
    bar.count.setValue(6)
    bar.button.click()
    assert bar.busy and not widget.generate_button.isEnabled()
    qtbot.waitUntil(lambda: not bar.busy, timeout=180_000)
    line = bar.line.text()
    figures = (
        r"[0-9.e+-]+ s/image, asked digit drawn (\d+)%, judge recognised \d+%,"
        r" Frechet to real 7s \d+"
    )
    short = r"[0-9.e+-]+ s/image, \d+%, \d+%, \d+"
    found = re.fullmatch(
        rf"{head}: {figures} — 50 steps: {short} \(6 images, seed 0, checkpoint at step {STEPS}\)",
        line,
    )
    assert found, line
    same = sample_run(
        trained, n=6, options={"prompt": "a handwritten seven", "steps": 4}, manager=manager
    )
    assert int(found[1]) == round(100 * same.metrics["asked_digit"])  # the samples' own share


def test_the_cli_samples_with_the_typed_options(trained, tmp_path, capsys):
    from studio.cli import main

    out = tmp_path / "seven.png"
    args = ["sample", "--run-dir", str(trained.path), "--out", str(out)]
    options = ["-o", "prompt=a handwritten seven", "-o", "guidance=3", "-o", "steps=50"]
    assert main([*args, *options, "-o", "sampler=ddim", "-o", "images=4"]) == 0
    assert Image.open(out).size[0] >= 8
    capsys.readouterr()
    assert main([*args, "-o", "guidance=-1"]) == 2
    torch.set_num_threads(1)  # the CLI picks its own thread count
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("genai-studio-cli: error:") and "guidance" in err[0]


def test_a_clip_file_scores_ranks_and_lends_its_text_encoder(manager, tmp_path):
    from studio.core import config as cfg
    from studio_plugins.diffusion.clip_config import CLIPConfig
    from studio_plugins.diffusion.clip_trainer import CLIPTrainer

    clip_cfg = {"batch_size": 32, "image_size": 8, "image_width": 8, "text_width": 32}
    clip_trainer = CLIPTrainer(cfg.build(CLIPConfig, clip_cfg), api.load_digits(), "cpu")
    clip = tmp_path / "clip.safetensors"
    manager.exporters["clip-safetensors"].export(clip_trainer, clip)  # untrained will do
    config = {**SMALL, "batch_size": 16, "clip": str(clip), "clip_text_encoder": True}
    run = train_run("text-to-image", 2, path=tmp_path / "t2i", config=config, manager=manager)
    options = {**FAST, "steps": 3, "prompt": "a handwritten two", "images": 6, "rank": True}
    ranked = sample_run(run, options=options, manager=manager)
    scores = [float(x) for x in ranked.labels]
    assert scores == sorted(scores, reverse=True)
    assert ranked.metrics["clip_score"] == pytest.approx(np.mean(scores), abs=0.5)
    assert "text" not in {k.split(".")[0] for k in _weights(run)}  # frozen, not saved
    with pytest.raises(api.ConfigError, match=r"^clip_text_encoder: give the clip file"):
        train_run("text-to-image", 1, config={**SMALL, "clip_text_encoder": True}, manager=manager)


def _weights(run) -> list[str]:
    from safetensors import safe_open

    newest = sorted((run.path / "checkpoints").iterdir())[-1]
    with safe_open(str(newest / "model.safetensors"), "pt") as fh:
        return list(fh.keys())


def test_a_folder_of_captioned_images_trains_and_samples(manager, tmp_path):
    folder = tmp_path / "shapes"
    folder.mkdir()
    for i in range(8):
        pixels = np.zeros((8, 8), np.uint8)
        pixels[: 4 + i % 4, 2:6] = 255
        Image.fromarray(pixels).save(folder / f"{i}.png")
        (folder / f"{i}.txt").write_text("a white bar" if i % 2 else "a tall white bar")
    from studio_plugins.readers.captions import load_captions  # as a drop reads it

    data = load_captions(folder)
    run = train_run(
        "text-to-image", 2, dataset=data, config={**SMALL, "batch_size": 4}, manager=manager
    )
    preview = sample_run(run, manager=manager, options={**FAST, "steps": 2, "images": 4})
    # The distinct captions in the order of the files (0.png is the tall one).
    assert preview.labels == ["a tall white bar", "a tall white bar", "a white bar", "a white bar"]
    assert "asked_digit" not in preview.metrics  # no digits: no judge


def test_the_book_preset_is_the_books_listing_and_bad_settings_are_one_line(manager):
    book = manager.models["text-to-image"].presets["book"]
    # docs/text-to-image.md: the book's chapter 15 U-Net and training loop.
    assert book == {
        "batch_size": 4,
        "lr": 1e-4,
        "beta1": 0.95,
        "beta2": 0.999,
        "weight_decay": 1e-5,
        "warmup": 300,
        "decay_steps": 204_800,
        "image_size": 64,
        "widths": "128,256,512,1024",
        "attention_from": 3,
        "layers": 2,
        "loss": "l1",
        "schedule": "cosine",
        "prediction": "eps",
        "steps": 204_800,
    }
    with pytest.raises(api.ConfigError, match=r"^image_size: 12 must be divisible by 8"):
        train_run(
            "text-to-image",
            1,
            config={**SMALL, "widths": "8,8,8,8", "image_size": 12},
            manager=manager,
        )
    with pytest.raises(api.ConfigError, match=r"^widths: 'a,b'"):
        train_run("text-to-image", 1, config={**SMALL, "widths": "a,b"}, manager=manager)


def test_the_pooled_caption_path_starts_as_the_plain_unet():
    import copy

    from studio_plugins.diffusion.t2i_network import denoise, text_unet
    from studio_plugins.diffusion.unet import UNet

    torch.manual_seed(0)
    plain = UNet(1, (16, 32), (False, True), 1, heads=2, context_dim=8)
    wrapped = text_unet(copy.deepcopy(plain), pooled_caption=True)
    x, t = torch.randn(2, 1, 8, 8), torch.tensor([3, 500])
    states = torch.randn(2, 4, 8)
    pad = torch.tensor([[False, False, True, True], [False] * 4])
    with torch.no_grad():
        assert torch.allclose(
            denoise(wrapped, x, t, states, pad), plain(x, t, states, ~pad), atol=1e-5
        )
        torch.nn.init.normal_(wrapped.time_mlp.caption[-1].weight)
        changed = denoise(wrapped, x, t, states, pad)
    assert not torch.allclose(changed, plain(x, t, states, ~pad), atol=1e-3)
    assert wrapped.time_mlp.pooled is None  # the caption is held for one call only
