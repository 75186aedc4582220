"""Every installed model's settings form: built from its config dataclass, every
preset applied to the form's values, and the equivalent command line named."""

from __future__ import annotations

import pytest

from studio.core import config as cfg
from studio.core.contributions import ENGINE_PRESET_KEYS
from studio.plugins import load_plugins

MODELS = sorted(load_plugins().models)


@pytest.mark.parametrize("model", MODELS)
def test_the_form_builds_and_every_preset_applies(qtbot, plugins, model):
    from studio.ui.config_form import ConfigForm

    form = ConfigForm()
    qtbot.addWidget(form)
    spec = plugins.models[model]
    form.set_model(spec)
    assert set(form.editors) == {i.name for i in cfg.describe(spec.config_class)}
    assert f"--model {model}" in form.command.toPlainText()
    for name, preset in spec.presets.items():
        form.preset.setCurrentText(name)
        config, settings = form.values()
        for key, value in preset.items():
            got = getattr(settings if key in ENGINE_PRESET_KEYS else config, key)
            assert got == pytest.approx(value) if isinstance(value, float) else got == value, (
                name,
                key,
            )
