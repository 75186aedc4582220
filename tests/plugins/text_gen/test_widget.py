"""The text sampling widgets: controls generated from the models' sampling options, text
streamed into the view while it is generated (off the GUI thread), Stop that cancels
and keeps the text so far, and offscreen rendering that does not look broken."""

from __future__ import annotations

from studio.core import config as cfg
from studio.core.session import TrainSettings, create_engine


def train_tiny(plugins, path, model="gpt"):
    source = plugins.model_source(model)
    small = {
        "gpt": {"size": "nano", "block_size": 32, "batch_size": 4},
        "lstm": {"embed": 16, "hidden": 32, "layers": 1, "block_size": 32, "batch_size": 4},
    }
    config = cfg.build(source.spec.config_class, small[model])
    settings = TrainSettings(steps=3, device="cpu", sample_every=0, checkpoint_every=0)
    create_engine(source, plugins.dataset("python-docs"), config, settings, path).run()
    return source


def make_widget(qtbot, plugins, source):
    from studio.api_qt import SamplingContext

    widget = source.spec.widget_factory(SamplingContext(source.spec, plugins.resolve_run))
    qtbot.addWidget(widget)
    return widget


def test_controls_come_from_the_sampling_options(qtbot, plugins, tmp_path):
    from studio.api import RunHandle

    source = train_tiny(plugins, tmp_path / "r", "lstm")
    widget = make_widget(qtbot, plugins, source)
    form = widget.options_form
    assert form is not None
    assert [i.name for i in form.infos] == [
        "prompt",
        "max_new_tokens",
        "temperature",
        "top_k",
        "top_p",
    ]
    assert widget.run is None and not widget.generate_button.isEnabled()
    widget.set_run(tmp_path / "r")
    assert isinstance(widget.run, RunHandle) and widget.run.model_id == "lstm"
    assert widget.run.config.hidden == 32 and widget.run.checkpoint_steps() == [3]
    form.editor("prompt").setPlainText("The ")
    form.editor("temperature").setValue(0.0)
    options = widget.current_options()
    assert (options.prompt, options.temperature) == ("The ", 0.0)


def test_widget_streams_text_and_stop_keeps_it(qtbot, plugins, tmp_path):
    source = train_tiny(plugins, tmp_path / "r")
    widget = make_widget(qtbot, plugins, source)
    widget.resize(900, 600)
    widget.show()
    widget.set_run(tmp_path / "r")
    form = widget.options_form
    form.editor("prompt").setPlainText("The ")
    form.editor("max_new_tokens").setValue(4096)  # far more than arrives before Stop
    form.editor("temperature").setValue(1.0)
    widget.seed.setValue(7)

    finals = []
    widget.sampled.connect(finals.append)
    widget.generate_button.click()
    assert widget.busy and widget.stop_button.isEnabled()
    assert not widget.generate_button.isEnabled()
    # Parts arrive on the GUI thread while the model is still generating.
    qtbot.waitUntil(lambda: len(widget.view.toPlainText()) >= len("The ") + 20, timeout=60_000)
    assert widget.busy
    widget.stop_button.click()
    qtbot.waitUntil(lambda: not widget.busy, timeout=60_000)
    stopped = widget.view.toPlainText()
    assert stopped.startswith("The ") and len(stopped) < len("The ") + 4096
    assert "Stopped" in widget.status.text() and not finals  # cancelled: no final sample
    assert widget.generate_button.isEnabled() and not widget.stop_button.isEnabled()
    widget.grab().save(str(tmp_path / "widget.png"))
    assert (tmp_path / "widget.png").stat().st_size > 1000

    # The same seed again, to the end: what was streamed before Stop is its beginning.
    form.editor("max_new_tokens").setValue(len(stopped) + 20)  # a character per token
    with qtbot.waitSignal(widget.sampled, timeout=60_000) as blocker:
        widget.generate_button.click()
    text = blocker.args[0].texts[0]
    assert text.startswith(stopped) and widget.view.toPlainText() == text


def test_same_seed_same_text_in_the_widget(qtbot, plugins, tmp_path):
    source = train_tiny(plugins, tmp_path / "r", "lstm")
    widget = make_widget(qtbot, plugins, source)
    widget.set_run(tmp_path / "r")
    widget.options_form.editor("max_new_tokens").setValue(40)
    widget.seed.setValue(5)
    texts = []
    for _ in range(2):
        with qtbot.waitSignal(widget.sampled, timeout=60_000) as blocker:
            widget.generate_button.click()
        texts.append(blocker.args[0].texts[0])
    assert texts[0] == texts[1] and len(texts[0]) == 40
    assert "step 3" in widget.status.text()


def test_a_view_that_raises_says_the_sample_failed(qtbot, plugins, tmp_path):
    source = train_tiny(plugins, tmp_path / "r", "lstm")
    widget = make_widget(qtbot, plugins, source)
    widget.set_run(tmp_path / "r")
    widget.options_form.editor("max_new_tokens").setValue(5)

    def broken(sample):
        raise ValueError("the view broke")

    widget.show_sample = broken
    widget.show_partial = lambda sample: None
    widget.generate_button.click()
    qtbot.waitUntil(lambda: not widget.busy, timeout=60_000)
    assert "the view broke" in widget.status.text()
    assert "Sample from the checkpoint" not in widget.status.text()
    assert widget.generate_button.isEnabled()


def test_classifier_widget_classifies_a_typed_text(qtbot, plugins, tmp_path):
    source = plugins.model_source("gpt-classifier")
    config = cfg.build(source.spec.config_class, {"size": "nano", "block_size": 32})
    settings = TrainSettings(steps=3, device="cpu", sample_every=0, checkpoint_every=0)
    dataset = plugins.dataset(source.spec.default_dataset)
    create_engine(source, dataset, config, settings, tmp_path / "r").run()
    widget = make_widget(qtbot, plugins, source)
    widget.set_run(tmp_path / "r")
    assert widget.run.class_names == ["docstring", "reference"]
    widget.options_form.editor("text").setPlainText("Return a new list of the items.")
    with qtbot.waitSignal(widget.sampled, timeout=60_000):
        widget.generate_button.click()
    shown = widget.view.toPlainText().splitlines()
    assert sorted(line.split(":")[0] for line in shown) == ["docstring", "reference"]
    widget.options_form.editor("text").setPlainText("")
    widget.count.setValue(3)
    with qtbot.waitSignal(widget.sampled, timeout=60_000) as blocker:
        widget.generate_button.click()
    assert len(blocker.args[0].texts) == 3
    assert "Held-out accuracy" in widget.status.text()


def test_closing_the_widget_while_it_streams_cancels_the_sample(qtbot, plugins, tmp_path):
    source = train_tiny(plugins, tmp_path / "r", "lstm")
    widget = make_widget(qtbot, plugins, source)
    widget.set_run(tmp_path / "r")
    widget.options_form.editor("max_new_tokens").setValue(4096)
    widget.generate_button.click()
    qtbot.waitUntil(lambda: len(widget.view.toPlainText()) > 5, timeout=60_000)
    worker = widget._worker  # the test looks inside: no public way to reach it
    assert worker is not None and worker.is_running
    widget.deleteLater()
    qtbot.waitUntil(lambda: worker.abort_requested, timeout=60_000)
    qtbot.waitUntil(lambda: not worker.is_running, timeout=60_000)  # ended, nothing shown
