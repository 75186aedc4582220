"""The example plugin packages in examples/.

studio_flow2d is installed with pip by `make` (as a user installs a plugin): the app's
contract checks run against that installed copy, found through its entry point.
studio_sine_gan, the smaller example, is imported from its folder.
"""

from __future__ import annotations

import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

from studio.core import config as cfg
from studio.core.session import RunSampler, TrainSettings, create_engine
from studio.plugins import PluginManager
from studio.testing import check_plugin_contract, load_only

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SINE = EXAMPLES / "studio_sine_gan"
FLOW = EXAMPLES / "studio_flow2d"


def test_the_installed_flow_example_is_the_one_in_examples():
    """A stale install would test old code: `make test` reinstalls when it changes."""
    dist = metadata.distribution("studio-flow2d")
    declared = tomllib.loads((FLOW / "pyproject.toml").read_text())["project"]["version"]
    assert dist.version == declared
    for source in (FLOW / "studio_flow2d").glob("*.py"):
        installed = Path(dist.locate_file(f"studio_flow2d/{source.name}"))
        assert installed.read_text() == source.read_text(), (
            f"{installed} differs from {source}: pip install ./examples/studio_flow2d"
        )


def test_the_installed_flow_example_passes_the_contract_checks(tmp_path):
    manager = load_only(["flow2d"])
    assert manager.records["flow2d"].source == "entry point (studio-flow2d)"
    assert set(manager.models) == {"flow2d"}  # nothing else was loaded
    report = check_plugin_contract(manager, "flow2d", tmp_path, steps=2)
    assert report.checks[-1] == "resumes" and report.sample.kind == "points"


@pytest.fixture
def manager(monkeypatch):
    monkeypatch.syspath_prepend(str(SINE))
    import studio_sine_gan

    m = PluginManager()
    m.register(studio_sine_gan, "sine_gan", "0.1.0")
    yield m
    for name in [k for k in sys.modules if k.startswith("studio_sine_gan")]:
        del sys.modules[name]


def test_example_plugin_registers_trains_and_learns(manager, tmp_path, studio_one_thread):
    assert manager.records["sine_gan"].ok, manager.records["sine_gan"].errors
    source = manager.model_source("sine-gan")
    config = cfg.build(source.spec.config_class, {})

    def run(steps: int):
        settings = TrainSettings(steps=steps, device="cpu", sample_every=0, checkpoint_every=0)
        path = tmp_path / f"r{steps}"
        create_engine(source, manager.dataset("sine-wave"), config, settings, path).run()
        return RunSampler(path, manager.resolve_run).sample(seed=0, n=500)

    before, after = run(1), run(1500)
    # Untrained, every point sits near the origin: on the wave, but covering none of it.
    assert before.metrics["x_spread"] < 0.5
    assert after.metrics["x_spread"] > 1.2
    assert after.metrics["sine_error"] < 0.2


def test_example_widget_builds(manager, qtbot):
    from studio.api_qt import SamplingContext

    spec = manager.models["sine-gan"]
    widget = spec.widget_factory(SamplingContext(spec, manager.resolve_run))
    qtbot.addWidget(widget)
    assert widget.generate_button.text() == "Generate"


def test_both_1_0_examples_install_load_and_train_in_the_1_1_app(
    tmp_path, monkeypatch, studio_one_thread
):
    """Contract 1.1 keeps 1.0 plugins working unchanged: both examples, pip-installed
    as a user installs them, declare 1.0, load with no error, train and sample (the
    flow's 1.0 keyword option too)."""
    import subprocess

    from studio.core.contributions import API_VERSION
    from studio.testing import sample_run, train_run

    assert API_VERSION == "1.1"
    target = tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index"]
    offline = ["--no-build-isolation", "--target", str(target)]
    subprocess.run([*pip, *offline, str(SINE), str(FLOW)], check=True)
    monkeypatch.syspath_prepend(str(target))
    manager = load_only(["sine_gan", "flow2d"])
    for name, dist in (("sine_gan", "studio-sine-gan"), ("flow2d", "studio-flow2d")):
        record = manager.records[name]
        assert record.ok and record.api_version == "1.0", record.errors
        assert record.source == f"entry point ({dist})"
    assert sys.modules["studio_sine_gan"].__file__.startswith(str(target))  # the installed one
    sine = train_run("sine-gan", 3, path=tmp_path / "sine", manager=manager)
    assert sample_run(sine, seed=0, n=50, manager=manager).points.shape == (50, 2)
    flow = train_run("flow2d", 3, path=tmp_path / "flow", manager=manager)
    cold = sample_run(flow, seed=0, n=50, options={"temperature": 0.1}, manager=manager)
    assert cold.kind == "points" and cold.points.shape == (50, 2)
    for module in [k for k in sys.modules if k.startswith(("studio_sine_gan", "studio_flow2d"))]:
        del sys.modules[module]


def test_the_1_1_example_uses_every_new_piece():
    """examples/studio_waves (its own tests train and sample it): contract 1.1, its own
    sample kind and view, typed options, and a streaming trainer."""
    text = (EXAMPLES / "studio_waves" / "studio_waves" / "__init__.py").read_text()
    for piece in (
        'STUDIO_API = "1.1"',
        "def studio_sample_kinds",
        "def studio_sample_views",
        "sample_options=WaveOptions",
    ):
        assert piece in text, piece
    trainer = (EXAMPLES / "studio_waves" / "studio_waves" / "trainer.py").read_text()
    assert "def sample_stream" in trainer and "raise_if_cancelled" in trainer
    widget = (EXAMPLES / "studio_waves" / "studio_waves" / "widget.py").read_text()
    assert "run.checkpoint_steps()" in widget and "run.config" in widget
