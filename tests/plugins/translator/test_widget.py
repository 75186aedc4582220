"""The Explore widget and the gallery view: the translation streams in, the beams show
with their scores, the cross-attention map follows the layer and head picked (or
shows the encoder's self-attention), clicking a target subword highlights the source
subwords it looked at; the preview view draws a saved sample."""

from __future__ import annotations

import numpy as np

from studio import api


def make_widget(qtbot, manager, numbers_below_1000):
    from studio.api_qt import SamplingContext

    spec = manager.models["translator"]

    def resolve(record):
        data = api.DatasetSpec("numbers-1000", "n", "", "text-pairs", numbers_below_1000)
        return manager.model_source(record.model), data

    widget = spec.widget_factory(SamplingContext(spec, resolve))
    qtbot.addWidget(widget)
    return widget


def test_translates_with_beams_and_shows_the_attention(qtbot, run, manager, numbers_below_1000):
    widget = make_widget(qtbot, manager, numbers_below_1000)
    widget.resize(1000, 700)
    widget.show()
    widget.set_run(run.path)
    form = widget.options_form
    form.editor("text").setPlainText("three hundred seventy-one\ntwelve")
    form.editor("beams").setValue(3)
    parts = []
    widget.show_partial = lambda sample: parts.append(sample)  # recorded, as shown
    with qtbot.waitSignal(widget.sampled, timeout=60_000) as got:
        widget.generate_button.click()
    sample = got.args[0]
    assert parts and not parts[0].final and sample.final
    assert widget.output.toPlainText() == "\n".join(sample.translations)
    assert widget.sentence.count() == 2 and widget.beams.count() == 3
    assert widget.beams.item(0).text().endswith(sample.beams[0][0][0])

    weights, _rows, columns = widget.current_weights()
    assert weights.shape == (len(sample.target_tokens[0]), len(sample.source_tokens[0]))
    assert np.allclose(weights, sample.cross_attention[0][0].mean(0))  # layer 1, mean
    widget.head.setCurrentIndex(2)  # head 2
    assert np.allclose(widget.current_weights()[0], sample.cross_attention[0][0][1])
    widget.which.setCurrentIndex(1)  # the encoder's self-attention
    enc = widget.current_weights()[0]
    assert enc.shape == (len(columns), len(columns))
    widget.which.setCurrentIndex(0)

    widget.targets.linkActivated.emit("1")  # click the second target subword
    assert widget.map.selected == 1 and widget.selected_target == 1
    assert "rgba(214,39,40" in widget.sources.text()  # its sources shaded by weight
    widget.sentence.setCurrentIndex(1)
    assert widget.current_weights()[2] == sample.source_tokens[1]
    image = widget.grab().toImage()
    assert image.width() > 500 and not image.isNull()


def test_the_gallery_view_draws_a_preview(qtbot, run):
    from studio_plugins.translator.views import TranslationView

    view = TranslationView()
    qtbot.addWidget(view)
    sample = run.load_sample(max(s for s, _ in run.sample_files()))
    view.show_sample(sample)
    assert view.choice.count() == len(sample.sources)
    assert sample.sources[0] in view.text.text()
    assert view.map.weights.shape == sample.cross_attention[0].shape[2:]
    view.choice.setCurrentIndex(1)
    assert view.map.weights.shape == sample.cross_attention[1].shape[2:]
