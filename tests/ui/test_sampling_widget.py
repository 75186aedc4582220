"""SamplingWidget keeps the 1.0 way working: options from ``sample_options()`` and
``request_sample(seed, n, **options)`` reach a 1.0 trainer as keywords; a folder that
is not a run is said so; the run handle and the busy flag are public."""

from __future__ import annotations

import pytest

from studio.core import config as cfg
from studio.core.session import TrainSettings, create_engine


@pytest.fixture
def old_run(toy, tmp_path):
    from studio import api

    base = toy.trainer_class()

    class KeywordTrainer(base):
        def sample(self, generator, n=None, value=0, **unused):
            return api.Numbers(values=[int(value)] * (n or 3))

    manager = toy.manager(KeywordTrainer)
    source = manager.model_source("toy")
    settings = TrainSettings(steps=2, device="cpu", sample_every=0, checkpoint_every=0)
    config = cfg.build(source.spec.config_class, {})
    create_engine(source, manager.dataset("toy-data"), config, settings, tmp_path / "r").run()
    return manager, source.spec, tmp_path / "r"


def test_a_1_0_widget_passes_keyword_options(qtbot, old_run, tmp_path):
    from studio.api_qt import SamplingContext, SamplingWidget

    manager, spec, path = old_run

    class OldWidget(SamplingWidget):
        def sample_options(self):
            return {"value": 7}

        def show_sample(self, sample):
            self.shown = sample

    widget = OldWidget(SamplingContext(spec, manager.resolve_run))
    qtbot.addWidget(widget)
    assert widget.options_form is None and widget.current_options() == {"value": 7}
    widget.set_run(tmp_path / "nothing")
    assert "Cannot sample" in widget.status.text() and widget.run is None
    assert not widget.generate_button.isEnabled()
    widget.set_run(path)
    assert widget.run.path == path and not widget.busy
    with qtbot.waitSignal(widget.sampled, timeout=60_000) as blocker:
        widget.generate_button.click()
    assert blocker.args[0].values == [7, 7, 7] and widget.shown.values == [7, 7, 7]
    with qtbot.waitSignal(widget.sampled, timeout=60_000) as blocker:
        widget.request_sample(seed=1, n=2, value=3)
    assert blocker.args[0].values == [3, 3]
    assert "checkpoint at step 2" in widget.status.text()


def test_a_failing_sample_is_reported_and_the_widget_recovers(qtbot, toy, tmp_path):
    from studio.api_qt import SamplingContext, SamplingWidget

    base = toy.trainer_class()

    class Broken(base):
        def sample(self, generator, n=None):
            raise RuntimeError("no sample today")

    manager = toy.manager(Broken)
    source = manager.model_source("toy")
    settings = TrainSettings(steps=2, device="cpu", sample_every=0, checkpoint_every=0)
    config = cfg.build(source.spec.config_class, {})
    create_engine(source, manager.dataset("toy-data"), config, settings, tmp_path / "r").run()

    failures = []

    class Widget(SamplingWidget):
        def show_sample(self, sample):
            pass

        def sample_failed(self, message):
            failures.append(message)
            super().sample_failed(message)

    widget = Widget(SamplingContext(source.spec, manager.resolve_run))
    qtbot.addWidget(widget)
    widget.set_run(tmp_path / "r")
    widget.generate_button.click()
    qtbot.waitUntil(lambda: bool(failures), timeout=60_000)
    assert failures == ["RuntimeError: no sample today"]
    assert widget.status.text() == "Could not sample: RuntimeError: no sample today"
    assert widget.generate_button.isEnabled() and not widget.busy
