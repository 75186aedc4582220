"""The config form and the Explore options greying out fields the other fields leave
unused (``api.param(active_when=...)``): live as the controlling field changes, from
a preset and from a run's settings, with a tooltip saying why; the values are kept."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path

from studio.core.rundir import RunRecord

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "plugin-guide.md"


def _editable(form, name: str) -> bool:
    editor = form.editors[name][1]
    return editor.isEnabled() and form.labels[name].isEnabled()


def test_the_conditional_gan_form_greys_out_what_its_loss_ignores(qtbot, plugins):
    from studio.ui.config_form import ConfigForm

    form = ConfigForm()
    qtbot.addWidget(form)
    form.choose_preset = lambda spec: "book"
    form.set_model(plugins.models["cgan"])
    assert form.model_box.title() == "Conditional GAN"
    assert _editable(form, "critic_steps") and _editable(form, "gp_weight")
    tip = form.editors["gp_weight"][1].toolTip()
    assert tip == "Gradient penalty weight\n(used only when loss is wgan-gp)"
    assert form.labels["critic_steps"].toolTip().endswith("(used only when loss is wgan-gp)")

    loss = form.editors["loss"][1]
    loss.setCurrentText("bce")  # the user's edit: live
    assert not form.is_active("gp_weight") and not _editable(form, "gp_weight")
    assert not _editable(form, "critic_steps") and _editable(form, "lr")
    config, _ = form.values()
    assert config.loss == "bce" and config.gp_weight == 10.0  # kept, passed on

    loss.setCurrentText("wgan-gp")
    assert _editable(form, "gp_weight") and _editable(form, "critic_steps")

    form.preset.setCurrentText("quick CPU")  # a preset with bce
    assert not _editable(form, "gp_weight")
    record = RunRecord("cgan", "image_gans", "", config={"loss": "wgan-gp"}, dataset={})
    form.show_run(record)  # a run's settings, written without signals
    assert _editable(form, "gp_weight")


def test_infogan_code_weight_counts_only_with_codes(qtbot, plugins):
    from studio.ui.config_form import ConfigForm

    form = ConfigForm()
    qtbot.addWidget(form)
    form.set_model(plugins.models["dcgan"])
    assert not _editable(form, "code_weight")  # no codes, as the book
    assert "(used only when codes is 1 to 100)" in form.labels["code_weight"].toolTip()
    form.editors["codes"][1].setValue(10)
    assert _editable(form, "code_weight")


def test_explore_options_follow_the_sampler(qtbot):
    from studio.ui.options_form import OptionsForm
    from studio_plugins.diffusion.diffusion_config import DiffusionOptions

    form = OptionsForm(DiffusionOptions)
    qtbot.addWidget(form)
    eta, frames = form.editor("eta"), form.editor("frames")
    assert eta.isEnabled() and not frames.isEnabled()  # ddim, images
    assert eta.toolTip().endswith("(used only when sampler is ddim)")
    form.set_values({"sampler": "dpm++2m", "output": "trajectory"})
    assert not eta.isEnabled() and not form.label("eta").isEnabled()
    assert frames.isEnabled() and form.is_active("frames")
    form.editor("sampler").setCurrentIndex(form.editor("sampler").findData("ddim"))
    assert eta.isEnabled()


def test_the_guide_snippet_greys_out_momentum_for_adam(qtbot):
    """docs/plugin-guide.md's dice plugin declares momentum active for sgd only."""
    from studio.core.contributions import ModelSpec
    from studio.ui.config_form import ConfigForm

    blocks = dict(re.findall(r'```python title="([^"]+)"\n(.*?)```', GUIDE.read_text(), re.S))
    module = types.ModuleType("dice_plugin_active_when")
    sys.modules[module.__name__] = module  # the dataclasses' type hints look here
    try:
        exec(compile(blocks["dice_plugin.py"], "dice_plugin.py", "exec"), module.__dict__)
        spec: ModelSpec = module.studio_models()[0]
        spec.validate()
        form = ConfigForm()
        qtbot.addWidget(form)
        form.set_model(spec)
        assert _editable(form, "momentum")
        form.editors["optimizer"][1].setCurrentText("adam")
        assert not _editable(form, "momentum")
        assert "used only when optimizer is sgd" in form.editors["momentum"][1].toolTip()
    finally:
        sys.modules.pop(module.__name__, None)


def test_tab_leaves_a_multiline_prompt(qtbot):
    """A prompt box is not a code editor: Tab moves on to the next field."""
    from studio.ui.options_form import OptionsForm
    from studio_plugins.text_gen.config import TextSampleOptions

    form = OptionsForm(TextSampleOptions, multiline=("prompt",))
    qtbot.addWidget(form)
    assert form.editor("prompt").tabChangesFocus()
