"""docs/plugin-guide.md's snippets run: every fenced block marked
```python title="NAME.py"``` is loaded as the module NAME (single-file plugins, a test
module, a widget module) and exercised as the guide says it is used."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path

import pytest

from studio.testing import manager_with, train_run

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "plugin-guide.md"
BLOCK = re.compile(r'```python title="([^"]+)"\n(.*?)```', re.DOTALL)


def snippets() -> dict[str, str]:
    return dict(BLOCK.findall(GUIDE.read_text(encoding="utf-8")))


@pytest.fixture
def load():
    """Load a snippet as a module named after its title (importable by the others)."""
    loaded = []

    def load(title: str) -> types.ModuleType:
        name = title.removesuffix(".py")
        module = types.ModuleType(name)
        module.__file__ = f"{GUIDE}:{title}"
        sys.modules[name] = module  # dataclasses and `import dice_plugin` look here
        loaded.append(name)
        exec(compile(snippets()[title], module.__file__, "exec"), module.__dict__)
        return module

    yield load
    for name in loaded:
        sys.modules.pop(name, None)


def test_every_snippet_is_run_here():
    assert set(snippets()) == {"melody_kind.py", "dice_plugin.py", "test_dice.py", "dice_widget.py"}


def test_the_sample_kind_snippet_registers_a_kind_and_its_view(load, tmp_path, qtbot):
    from studio.core.samples import load_sample

    plugin = load("melody_kind.py")
    manager = manager_with({"melody": plugin})
    assert manager.records["melody"].contributions == {
        "sample kinds": ["melody"],
        "sample views": ["melody"],
    }
    path = plugin.Melody(notes=[60, 64, 67], metrics={"in_key": 1.0}).save(tmp_path / "step_1")
    back = load_sample(path, manager.sample_kinds)
    assert back.notes == [60, 64, 67] and back.metrics == {"in_key": 1.0}
    view = manager.sample_views["melody"].factory()
    qtbot.addWidget(view)
    view.show_sample(back)
    assert view.text.toPlainText() == "C E G" and "3 notes" in view.caption.text()


def test_the_options_plugin_and_its_test_module_run(load, tmp_path, studio_one_thread):
    load("dice_plugin.py")
    tests = load("test_dice.py")
    manager = tests.manager.__wrapped__()  # the fixture's function, called directly
    assert manager.models["dice"].sample_options.__name__ == "DiceOptions"
    tests.test_learns_the_loaded_face_streams_and_stops(manager, tmp_path)


def test_the_widget_snippet_reads_its_run_handle_and_streams(
    load, tmp_path, qtbot, studio_one_thread
):
    from studio.api_qt import SamplingContext

    plugin = load("dice_plugin.py")
    widgets = load("dice_widget.py")
    manager = manager_with({"dice": plugin})
    run = train_run("dice", 20, path=tmp_path / "run", manager=manager)
    spec = manager.models["dice"]
    widget = widgets.DiceWidget(SamplingContext(spec, manager.resolve_run))
    qtbot.addWidget(widget)
    widget.set_run(run)
    assert widget.about.text() == "run: learning rate 0.1, checkpoints at [20]"
    widget.options_form.set_values({"rolls": 30, "chunk": 10})
    with qtbot.waitSignal(widget.sampled, timeout=60_000) as done:
        widget.generate_button.click()
    assert len(done.args[0].values) == 30
    assert widget.view.caption.text().startswith("sixes: ")  # the final sample is shown
