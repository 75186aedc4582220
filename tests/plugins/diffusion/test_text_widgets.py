"""The Explore widgets of text-to-image and CLIP, on short runs: a prompt typed and
Enter streams images then shows the final ones with their scores; a caption typed in
CLIP's widget shows the closest images, a dropped image its best captions."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from studio.testing import drop_paths, load_only, train_run

SMALL_T2I = {"image_size": 8, "widths": "16,32", "attention_from": 0, "text_width": 16}
SMALL_CLIP = {"batch_size": 32, "image_size": 8, "image_width": 8, "text_width": 16}


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """One torch thread for the module (its runs are trained once, module-scoped): on a
    busy machine, tiny networks spin-wait on several threads' synchronisation."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def manager():
    return load_only(["diffusion"])


def make_widget(qtbot, manager, model_id: str, run_path):
    from studio.api_qt import SamplingContext

    spec = manager.models[model_id]
    widget = spec.widget_factory(SamplingContext(spec, manager.resolve_run))
    qtbot.addWidget(widget)
    widget.resize(900, 700)
    widget.show()
    widget.set_run(run_path)
    return widget


def test_a_prompt_streams_its_images_then_shows_the_scores(qtbot, manager, tmp_path):
    run = train_run("text-to-image", 2, path=tmp_path / "t2i", config=SMALL_T2I, manager=manager)
    widget = make_widget(qtbot, manager, "text-to-image", run.path)
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


def test_clip_searches_by_caption_and_captions_a_dropped_image(qtbot, manager, tmp_path):
    run = train_run("clip", 2, path=tmp_path / "clip", config=SMALL_CLIP, manager=manager)
    widget = make_widget(qtbot, manager, "clip", run.path)
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
