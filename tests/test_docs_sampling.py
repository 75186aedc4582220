"""docs/sampling.md's snippets, run: they make a complete 1.1 plugin (typed options, a
streaming trainer, a widget on the run handle) that trains, streams, cancels and
samples in the widget."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "sampling.md"


def snippets() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def load(monkeypatch):
    from studio.plugins import PluginManager

    blocks = snippets()
    assert len(blocks) == 5
    hook = types.ModuleType("walk_plugin")
    monkeypatch.setitem(sys.modules, "walk_plugin", hook)  # dataclasses look it up
    exec(compile("".join(blocks[:3]), str(DOC), "exec"), hook.__dict__)
    widget = types.ModuleType("walk_widget")
    exec(compile(blocks[3], str(DOC), "exec"), widget.__dict__)
    monkeypatch.setitem(sys.modules, "walk_widget", widget)
    manager = PluginManager()
    manager.register(hook, "walk_plugin")
    assert manager.records["walk_plugin"].ok, manager.records["walk_plugin"].errors
    return manager, blocks


def test_the_snippets_train_stream_cancel_and_sample(tmp_path, monkeypatch):
    manager, blocks = load(monkeypatch)
    namespace: dict = {}
    exec(compile(blocks[4], str(DOC), "exec"), namespace)
    namespace["check_walk"](tmp_path, manager)


def test_the_snippet_widget_streams_the_walk(qtbot, tmp_path, monkeypatch):
    from studio.api_qt import SamplingContext
    from studio.testing import train_run

    manager, _ = load(monkeypatch)
    run = train_run("walk", steps=3, path=tmp_path / "run", manager=manager)
    spec = manager.models["walk"]
    widget = spec.widget_factory(SamplingContext(spec, manager.resolve_run))
    qtbot.addWidget(widget)
    widget.set_run(tmp_path / "run")
    assert "checkpoints at steps [3]" in widget.status.text()
    assert widget.run.config.batch_size == 16 and run is not None
    widget.options_form.editor("steps").setValue(30)
    widget.options_form.editor("turn").setCurrentIndex(1)
    assert widget.current_options().turn == "left"
    with qtbot.waitSignal(widget.sampled, timeout=60_000) as blocker:
        widget.generate_button.click()
    assert len(blocker.args[0].points) == 31
