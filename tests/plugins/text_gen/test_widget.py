"""The text sampling widget streams tokens into its view while they are generated (off
the GUI thread), stops on request, and renders offscreen without looking broken."""

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


def test_widget_streams_tokens_and_stops(qtbot, plugins, tmp_path):
    from studio.api_qt import SamplingContext

    source = train_tiny(plugins, tmp_path / "r")
    widget = source.spec.widget_factory(SamplingContext(source.spec, plugins.resolve_run))
    qtbot.addWidget(widget)
    widget.resize(900, 600)
    widget.show()
    assert not widget.generate_button.isEnabled()  # no run yet
    widget.set_run(tmp_path / "r")
    widget.prompt.setPlainText("The ")
    widget.max_tokens.setValue(4096)  # far more than arrives before Stop
    widget.temperature.setValue(1.0)

    pieces: list[str] = []
    widget.token_arrived.connect(lambda i, piece: pieces.append(piece))
    with qtbot.waitSignal(widget.token_arrived, timeout=30_000):
        widget.generate_button.click()
    assert widget.stop_button.isEnabled() and not widget.generate_button.isEnabled()
    qtbot.waitUntil(lambda: len(pieces) >= 20, timeout=30_000)
    streamed = widget.view.toPlainText()
    assert streamed.startswith("The ") and len(streamed) > len("The ") + 10
    with qtbot.waitSignal(widget.sampled, timeout=30_000) as blocker:
        widget.stop_button.click()
    sample = blocker.args[0]
    text = sample.texts[0]
    assert text.startswith("The ")
    assert len(text) < len("The ") + 4096  # stopped early (a character per token)
    assert "The " + "".join(pieces) == text  # the stream is exactly the final text
    assert widget.view.toPlainText() == text
    assert "Stopped" in widget.status.text()
    assert widget.generate_button.isEnabled() and not widget.stop_button.isEnabled()
    widget.grab().save(str(tmp_path / "widget.png"))
    assert (tmp_path / "widget.png").stat().st_size > 1000


def test_same_seed_same_text_in_the_widget(qtbot, plugins, tmp_path):
    from studio.api_qt import SamplingContext

    source = train_tiny(plugins, tmp_path / "r", "lstm")
    widget = source.spec.widget_factory(SamplingContext(source.spec, plugins.resolve_run))
    qtbot.addWidget(widget)
    widget.set_run(tmp_path / "r")
    widget.max_tokens.setValue(40)
    widget.seed.setValue(5)
    texts = []
    for _ in range(2):
        with qtbot.waitSignal(widget.sampled, timeout=30_000) as blocker:
            widget.generate_button.click()
        texts.append(blocker.args[0].texts[0])
    assert texts[0] == texts[1] and len(texts[0]) == 40


def test_classifier_widget_classifies_a_typed_text(qtbot, plugins, tmp_path):
    from studio.api_qt import SamplingContext

    source = plugins.model_source("gpt-classifier")
    config = cfg.build(source.spec.config_class, {"size": "nano", "block_size": 32})
    settings = TrainSettings(steps=3, device="cpu", sample_every=0, checkpoint_every=0)
    dataset = plugins.dataset(source.spec.default_dataset)
    create_engine(source, dataset, config, settings, tmp_path / "r").run()
    widget = source.spec.widget_factory(SamplingContext(source.spec, plugins.resolve_run))
    qtbot.addWidget(widget)
    widget.set_run(tmp_path / "r")
    widget.text.setPlainText("Return a new list of the items.")
    with qtbot.waitSignal(widget.sampled, timeout=30_000):
        widget.generate_button.click()
    shown = widget.view.toPlainText().splitlines()
    assert sorted(line.split(":")[0] for line in shown) == ["docstring", "reference"]
    widget.text.setPlainText("")
    widget.count.setValue(3)
    with qtbot.waitSignal(widget.sampled, timeout=30_000) as blocker:
        widget.generate_button.click()
    assert len(blocker.args[0].texts) == 3
    assert "Held-out accuracy" in widget.status.text()
