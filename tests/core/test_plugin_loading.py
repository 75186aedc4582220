"""Plugin loading through real entry points: a broken plugin is recorded and skipped,
the rest load. The fake plugins are installed as distributions on sys.path."""

from __future__ import annotations

import sys
import textwrap

import pytest

from studio.core.contributions import API_VERSION
from studio.plugins import PluginManager

GOOD = """
from dataclasses import dataclass
from studio import api
STUDIO_API = "1.0"

@dataclass
class Cfg:
    batch_size: int = 4

def _factory(config, dataset, device):
    raise NotImplementedError

@api.hookimpl
def studio_models():
    return [api.ModelSpec(id="good-model", name="Good", description="",
                          dataset_kinds=("toy",), config_class=Cfg, trainer_factory=_factory)]
"""

PLUGINS = {
    "good_plugin": GOOD,
    "import_error_plugin": "import not_a_real_module_anywhere\n",
    "raising_plugin": textwrap.dedent("""
        from studio import api
        STUDIO_API = "1.0"

        @api.hookimpl
        def studio_models():
            raise RuntimeError("model list exploded")

        @api.hookimpl
        def studio_datasets():
            return []
    """),
    "old_api_plugin": 'STUDIO_API = "0.3"\n',
    "no_api_plugin": "x = 1\n",
    "bad_spec_plugin": textwrap.dedent("""
        from studio import api
        STUDIO_API = "1.0"

        @api.hookimpl
        def studio_models():
            return ["not a spec"]
    """),
    "duplicate_plugin": GOOD.replace('name="Good"', 'name="Copy"'),
    "bad_hook_plugin": textwrap.dedent("""
        from studio import api
        STUDIO_API = "1.0"

        @api.hookimpl
        def studio_modelz():
            return []
    """),
}


@pytest.fixture
def fake_distributions(tmp_path, monkeypatch):
    site = tmp_path / "site"
    for name, code in PLUGINS.items():
        (site / name).mkdir(parents=True)
        (site / name / "__init__.py").write_text(code)
        dist = site / f"{name}-1.0.dist-info"
        dist.mkdir()
        (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
        (dist / "entry_points.txt").write_text(f"[test.studio.plugins]\n{name} = {name}\n")
    monkeypatch.syspath_prepend(str(site))
    yield site
    for name in PLUGINS:
        sys.modules.pop(name, None)


def test_broken_plugins_are_recorded_and_the_rest_load(fake_distributions):
    m = PluginManager()
    m.load_entry_points("test.studio.plugins")
    rec = m.records
    assert rec["good_plugin"].ok and "good-model" in m.models
    assert m.owner("model", "good-model") == "good_plugin"
    assert rec["good_plugin"].source == "entry point (good_plugin)"

    assert rec["import_error_plugin"].status == "failed"
    msg, tb = rec["import_error_plugin"].errors[0]
    assert "failed to import" in msg and "ModuleNotFoundError" in tb

    assert rec["raising_plugin"].status == "failed"
    assert (
        "studio_models raised RuntimeError: model list exploded"
        in rec["raising_plugin"].errors[0][0]
    )

    assert rec["old_api_plugin"].status == "refused"
    assert "written for contract version 0.3" in rec["old_api_plugin"].errors[0][0]
    assert rec["no_api_plugin"].status == "refused"
    assert f'STUDIO_API = "{API_VERSION}"' in rec["no_api_plugin"].errors[0][0]

    assert "returned str, not ModelSpec" in rec["bad_spec_plugin"].errors[0][0]
    assert "already provided by plugin good_plugin" in rec["duplicate_plugin"].errors[0][0]
    assert m.models["good-model"].name == "Good"
    assert rec["bad_hook_plugin"].status == "failed"
    assert "unknown hook" in rec["bad_hook_plugin"].errors[0][0]


def test_plugins_can_be_blocked_by_env_and_settings(fake_distributions, monkeypatch):
    monkeypatch.setenv("GENAI_STUDIO_DISABLE_PLUGINS", "good_plugin, raising_plugin")
    m = PluginManager(disabled=["import_error_plugin"])
    m.load_entry_points("test.studio.plugins")
    for name in ("good_plugin", "raising_plugin", "import_error_plugin"):
        assert m.records[name].status == "disabled"
    assert "good_plugin" not in sys.modules  # blocked before import
    assert m.models["good-model"].name == "Copy"  # the other provider now wins


def test_builtins_come_through_the_public_entry_point_group(plugins):
    rec = plugins.records["shapes_gan"]
    assert rec.ok and rec.source == "built-in" and rec.api_version == API_VERSION
    assert set(rec.contributions["models"]) == {"gan-shape", "gan-numbers"}
    kinds = plugins.records["samples"]  # the built-in sample kinds come the same way
    assert kinds.ok and kinds.source == "built-in"
    assert set(kinds.contributions["sample kinds"]) == {"points", "numbers", "text", "images"}
    assert set(plugins.datasets) >= {"exponential-curve", "multiples-of-5"}
    with pytest.raises(KeyError, match="unknown model 'nope'"):
        plugins.model_source("nope")


def test_hookspecs_are_all_documented():
    from studio import hookspecs

    for name in ("studio_models", "studio_datasets", "studio_dataset_readers", "studio_exporters"):
        fn = getattr(hookspecs, name)
        assert fn.__doc__ and len(fn.__doc__) > 80, name
        assert hasattr(fn, "genai_studio_spec"), f"{name} is not marked as a hookspec"
