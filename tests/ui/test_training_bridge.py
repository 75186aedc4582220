"""The training update that crosses from the training thread to the GUI: one frozen,
typed batch of what the engine reported, in order."""

from __future__ import annotations

import dataclasses

import pytest

from studio.core.listener import EngineEvent, SampleAt, StateChange, TrainingUpdate
from studio.ui.training_bridge import _Collector


def test_the_collector_batches_callbacks_into_one_frozen_update():
    sent: list[TrainingUpdate] = []
    collector = _Collector(sent.append)
    collector.on_start(0, 100, "cpu")  # a start is sent at once
    [start] = sent
    assert start.events == (EngineEvent("training on cpu", "INFO"),)
    assert start.step == 0 and start.total == 100 and start.metrics == ()
    collector.on_sample(1, "a sample")
    collector.on_event("checkpoint written", "INFO")
    collector.on_event("training failed at step 2: boom\nTraceback...", "ERROR")
    collector.on_metrics({"step": 1, "loss": 0.5})
    collector.on_metrics({"step": 2, "loss": 0.4})
    collector.on_state("failed", 2, "boom")  # a state change is sent at once
    update = sent[-1]
    assert update.metrics[-1] == {"step": 2, "loss": 0.4}
    assert update.samples == (SampleAt(1, "a sample"),)
    assert update.states == (StateChange("failed", 2, "boom"),)
    assert [e.level for e in update.errors] == ["ERROR"]
    assert update.step == 2 and update.total == 100
    # Everything reported was sent once, in order, across the updates.
    rows = [row["step"] for u in sent for row in u.metrics]
    assert rows == [1, 2]
    with pytest.raises(dataclasses.FrozenInstanceError):
        update.step = 3  # type: ignore[misc]
    assert isinstance(update.metrics, tuple) and isinstance(update.events, tuple)


def test_an_update_with_nothing_new_says_so():
    update = TrainingUpdate()
    assert update.step is None and update.rate == 0.0 and update.errors == ()
