"""CLIP learns which caption goes with which digit after a short training (retrieval
well above chance, an untrained one at chance), searches the data by caption, captions
a dropped image (also through its Explore widget), exports itself, and answers bad
options in one line."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from studio import api
from studio.testing import drop_paths, sample_run, train_run
from studio_plugins.diffusion.clip_network import contrastive_loss, targets

# 16x16 digits and narrow encoders: 40 steps take about 3 CPU-seconds. Over seeds 0-2
# the held-out zero-shot accuracy after 40 steps was 0.68, 0.77, 0.88 (chance 0.1);
# after one step 0.09, 0.17, 0.13.
SMALL = {"batch_size": 64, "image_size": 16, "image_width": 16, "text_width": 32, "embed_dim": 32}
STEPS = 40


# One torch thread for the module, and the diffusion plugin alone (conftest.py).
pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def trained(manager, tmp_path_factory):
    return train_run(
        "clip", STEPS, path=tmp_path_factory.mktemp("clip") / "run", config=SMALL, manager=manager
    )


def digits_16() -> tuple[np.ndarray, torch.Tensor]:
    """The digits as the model sees them, as uint8 (N, 16, 16, 1), and their labels."""
    data = api.prepare_images(api.load_digits(), 16, 1)
    images, labels = data.train
    return ((images.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).permute(
        0, 2, 3, 1
    ).numpy(), labels


def test_the_symmetric_loss_is_clips_and_class_targets_count_every_match():
    image, text = F.normalize(torch.randn(6, 8), dim=1), F.normalize(torch.randn(6, 8), dim=1)
    loss, logits = contrastive_loss(image, text, torch.tensor(10.0))
    n = torch.arange(6)
    expected = (F.cross_entropy(logits, n) + F.cross_entropy(logits.T, n)) / 2  # CLIP's pseudocode
    assert torch.allclose(loss, expected)
    spread = targets(torch.tensor([0, 1, 0, 2, 1, 0]), 6, torch.device("cpu"))
    assert torch.allclose(spread.sum(1), torch.ones(6)) and spread[0, 2] == spread[0, 5] == 1 / 3


def test_retrieval_is_well_above_chance_after_a_short_training(trained, manager, tmp_path):
    scores = sample_run(trained, manager=manager).metrics
    assert scores["chance"] == pytest.approx(0.1)
    assert scores["zero_shot_accuracy"] >= 0.4, scores  # 0.68-0.88 measured
    assert scores["text_to_image_precision"] >= 0.4, scores
    untrained = train_run("clip", 1, path=tmp_path / "one", config=SMALL, manager=manager)
    assert sample_run(untrained, manager=manager).metrics["zero_shot_accuracy"] < 0.3


def test_a_caption_finds_its_digit_and_an_image_finds_its_caption(trained, manager, tmp_path):
    pixels, labels = digits_16()
    found = sample_run(
        trained, manager=manager, options={"caption": "a handwritten seven", "top": 8}
    )
    assert len(found.images) == 8 and float(found.labels[0]) >= float(found.labels[-1])
    flat = pixels.reshape(len(pixels), -1)
    found_labels = [
        int(labels[np.flatnonzero((flat == im.reshape(-1)).all(1))[0]]) for im in found.images
    ]
    assert found_labels.count(7) >= 4, found_labels  # images of the data, mostly sevens

    right = 0
    for digit in range(10):
        index = int(torch.nonzero(labels == digit)[0])
        path = tmp_path / f"{digit}.png"
        Image.fromarray(pixels[index, :, :, 0]).resize((64, 64)).save(path)  # any size
        best = sample_run(trained, manager=manager, options={"image": str(path), "top": 3})
        first = best.labels[0].splitlines()[0]  # "0.83  a handwritten seven"
        right += asked(first) == digit
    assert right >= 4, right  # chance: 1 in 10


def test_the_widget_searches_by_caption_and_captions_a_dropped_image(
    qtbot, trained, manager, tmp_path
):
    from studio.api_qt import SamplingContext

    spec = manager.models["clip"]
    widget = spec.widget_factory(SamplingContext(spec, manager.resolve_run))
    qtbot.addWidget(widget)
    widget.resize(900, 700)
    widget.show()
    widget.set_run(trained.path)
    widget.caption.setText("a handwritten seven")
    with qtbot.waitSignal(widget.sampled, timeout=180_000):
        widget.caption.returnPressed.emit()
    assert len(widget.view.shown_captions) == 8 and not widget.captions.isVisible()
    assert "closest to “a handwritten seven”" in widget.hint.text()

    image = tmp_path / "mine.png"
    Image.fromarray(np.full((20, 20), 200, np.uint8)).save(image)
    widget.options_form.set_values({"top": 4})
    with qtbot.waitSignal(widget.sampled, timeout=180_000):
        drop_paths(widget, image)
    assert widget.captions.isVisible() and widget.captions.count() == 4
    assert "mine.png" in widget.hint.text()
    first = widget.captions.item(0).text()  # "0.12  the digit 7"
    assert float(first.split()[0]) >= float(widget.captions.item(3).text().split()[0])


def asked(line: str) -> int | None:
    from studio_plugins.diffusion.text_tokens import asked_digit

    return asked_digit(line.split("  ", 1)[1])


def test_export_round_trip_and_bad_options(trained, manager, tmp_path, capsys):
    from studio.cli import main
    from studio_plugins.diffusion.clip_export import load_clip

    path = tmp_path / "clip.safetensors"
    args = ["export", "--run-dir", str(trained.path), "--format", "clip-safetensors"]
    assert main([*args, "--out", str(path)]) == 0
    torch.set_num_threads(1)  # the CLI picks its own thread count
    loaded = load_clip(path)
    digits = api.prepare_images(api.load_digits(), 16, 1).train[0][:20]
    seven = torch.tensor([loaded.tokenizer.encode("a handwritten seven")] * 20)
    scores = loaded.score(digits, seven)  # 100 x cosine, at least 0
    assert scores.shape == (20,) and (scores >= 0).all() and (scores <= 100).all()
    # The exported model answers as the run does: the same best image for a caption.
    found = sample_run(
        trained, manager=manager, options={"caption": "a handwritten seven", "top": 1}
    )
    every = api.prepare_images(api.load_digits(), 16, 1).train[0]
    best = int(loaded.score(every, seven[:1].expand(len(every), -1)).argmax())
    as_uint8 = ((every[best, 0].clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).numpy()
    assert np.array_equal(found.images[0, :, :, 0], as_uint8)

    (tmp_path / "junk.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(api.ConfigError, match=r"^clip: cannot read junk"):
        load_clip(tmp_path / "junk.safetensors")
    with pytest.raises(api.ConfigError, match=r"^image: no such image file"):
        sample_run(trained, manager=manager, options={"image": str(tmp_path / "none.png")})
    (tmp_path / "text.png").write_text("not an image")
    with pytest.raises(api.ConfigError, match=r"^image: cannot read text\.png"):
        sample_run(trained, manager=manager, options={"image": str(tmp_path / "text.png")})
