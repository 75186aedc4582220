"""CycleGAN's Explore widget and triple view, on the shared short run: Generate shows
triples each way, a dropped image is shown beside its translation and round trip, a
folder is translated to disk with the progress bar following; the gallery's view
draws the run's previews."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio.testing import drop_paths
from studio_plugins.cyclegan import domains

from .test_cyclegan import write_digits


@pytest.fixture
def widget(qtbot, cyclegan_manager, cyclegan_run):
    from studio.api_qt import SamplingContext

    spec = cyclegan_manager.models["cyclegan"]
    w = spec.widget_factory(SamplingContext(spec, cyclegan_manager.resolve_run))
    qtbot.addWidget(w)
    w.resize(1100, 800)
    w.show()
    assert not w.drop_area.isEnabled() and not w.folder_button.isEnabled()
    w.set_run(cyclegan_run.path)
    assert w.drop_area.isEnabled() and w.folder_button.isEnabled()
    return w


def test_generate_drop_and_translate_a_folder(qtbot, widget, tmp_path):
    # The options the drop area and the folder button set are not shown as fields.
    assert widget.options_form.editor("direction").isVisible()
    assert not widget.options_form.editor("folder").isVisible()
    with qtbot.waitSignal(widget.sampled, timeout=60_000):
        widget.generate_button.click()
    assert widget.view.shown_rows == ["A", "A->B", "A->B->A", "B", "B->A", "B->A->B"]
    assert "cycle error" in widget.view.caption.text()

    held_a, held_b, _ = domains.held_out()
    write_digits(tmp_path / "one", held_b[:1], ["zebra.png"])
    widget.source_domain.setCurrentIndex(1)  # the dropped image is from B
    with qtbot.waitSignal(widget.sampled, timeout=60_000):
        drop_paths(widget.drop_area, tmp_path / "one" / "zebra.png")
    assert [c.text() for c in widget.pair_captions] == ["B", "B->A", "B->A->B"]
    assert all(not p.pixmap().isNull() for p in widget.pair_images)

    write_digits(tmp_path / "many", held_a[:12], [f"{i}.png" for i in range(12)])
    widget.source_domain.setCurrentIndex(0)
    with qtbot.waitSignal(widget.sampled, timeout=60_000):
        widget.translate_folder(tmp_path / "many")
    assert (widget.progress.value(), widget.progress.maximum()) == (12, 12)
    out = Path(f"{tmp_path / 'many'}-A2B")
    assert len(list(out.glob("*.png"))) == 12
    assert str(out) in widget.folder_status.text() and "12 images" in widget.folder_status.text()


def test_gallery_view_draws_the_previews(qtbot, cyclegan_manager, cyclegan_run):
    view = cyclegan_manager.sample_views["image-triples"].factory()
    qtbot.addWidget(view)
    view.show_sample(cyclegan_run.load_sample(20))
    assert view.shown_rows == ["A", "A->B", "A->B->A", "B", "B->A", "B->A->B"]
    assert view.label.pixmap().width() > 300
