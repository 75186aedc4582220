"""The Explore widget of the autoencoders: reconstructions beside their originals,
prior samples, the latent map (a click decodes the point), interpolation from a dropped
image to a held-out one and arithmetic on class means, all off the GUI thread."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from studio.testing import drop_paths, load_only, train_run

WAIT_MS = 120_000  # generous: a busy machine samples slowly


@pytest.fixture(scope="module")
def vae_run(tmp_path_factory):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        manager = load_only(["autoencoders"])
        path = tmp_path_factory.mktemp("ae-widget") / "vae"
        small = {"width": 8, "hidden": 64}
        run = train_run("vae", 40, path=path, preset="quick CPU", config=small, manager=manager)
        yield manager, run
    finally:
        torch.set_num_threads(threads)


def widget_for(qtbot, manager, run):
    from studio.api_qt import SamplingContext

    spec = manager.models["vae"]
    widget = spec.widget_factory(SamplingContext(spec, manager.resolve_run))
    qtbot.addWidget(widget)
    widget.resize(1000, 700)
    widget.show()
    widget.set_run(run.path)
    return widget


def test_explore_widget_draws_every_view(qtbot, vae_run, tmp_path):
    from PIL import Image

    manager, run = vae_run
    widget = widget_for(qtbot, manager, run)
    assert widget.show_box.currentText() == "prior samples"  # the VAE's default
    assert [row.klass.count() for row in widget.inputs] == [10, 10, 10]  # the digits

    widget.show_box.setCurrentIndex(0)
    widget.count.setValue(6)
    widget.generate()
    qtbot.waitUntil(lambda: widget.pairs.shown_pairs == 6, timeout=WAIT_MS)
    assert widget.main.currentWidget() is widget.pairs

    widget.show_box.setCurrentIndex(1)
    qtbot.waitUntil(lambda: not widget.busy, timeout=WAIT_MS)
    widget.generate()
    qtbot.waitUntil(lambda: widget.main.currentWidget() is widget.images, timeout=WAIT_MS)

    qtbot.waitUntil(lambda: widget.map_button.isEnabled(), timeout=WAIT_MS)
    widget.map_button.click()
    qtbot.waitUntil(lambda: len(widget.map.points) == 180, timeout=WAIT_MS)
    assert len(widget.map.scatters) == 10  # one colour per digit
    qtbot.waitUntil(lambda: not widget.busy, timeout=WAIT_MS)
    x, y = widget.map.points[0]
    widget.map.click_at(x, y)
    qtbot.waitUntil(lambda: widget.point.shown_captions == [f"({x:.2f}, {y:.2f})"], timeout=WAIT_MS)

    digit = np.zeros((32, 32), dtype=np.uint8)
    digit[8:24, 14:18] = 255  # a one
    Image.fromarray(digit).save(tmp_path / "one.png")
    drop_paths(widget, tmp_path / "one.png")
    assert widget.inputs[0].path.endswith("one.png")
    qtbot.waitUntil(lambda: not widget.busy, timeout=WAIT_MS)
    widget.steps.setValue(4)
    widget.interpolate_button.click()
    qtbot.waitUntil(lambda: len(widget.strip.shown_captions) == 4, timeout=WAIT_MS)
    assert widget.strip.shown_captions[0] == "a: one.png"
    assert widget.strip.shown_captions[-1].startswith("b: item 1")

    qtbot.waitUntil(lambda: not widget.busy, timeout=WAIT_MS)
    for row in widget.inputs:
        row.source.setCurrentIndex(1)  # class means: 0, 1, 2
    widget.arithmetic_button.click()
    qtbot.waitUntil(
        lambda: (
            len(widget.strip.shown_captions) == 4
            and widget.strip.shown_captions[0] == "a: class 0 (mean)"
        ),
        timeout=WAIT_MS,
    )
    assert widget.strip.shown_captions[-1] == "a - b + c"
