"""``api.param(..., active_when=...)``: a field used only for some values of others.
What it declares, how a value (typed or a form's text) is matched, the sentence that
says why a field is greyed out, and the plugin author's mistakes refused at load."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from studio import api
from studio.core import config as cfg
from studio.core.contributions import ContributionError


@dataclass
class LossConfig:
    loss: str = api.param("bce", choices=("bce", "wgan-gp", "hinge"))
    channels: int = api.param(1, choices=(1, 3))
    augment: bool = api.param(False)
    gp_weight: float = api.param(10.0, min=0.0, active_when={"loss": "wgan-gp"})
    margin: float = api.param(1.0, active_when={"loss": ("hinge", "wgan-gp"), "channels": 3})
    strength: float = api.param(0.5, active_when={"augment": True})
    codes: int = api.param(0, min=0, max=100)
    code_weight: float = api.param(1.0, active_when={"codes": range(1, 101)})


def infos() -> dict[str, cfg.FieldInfo]:
    return {i.name: i for i in cfg.describe(LossConfig)}


def test_a_condition_is_kept_as_tuples_of_values():
    fields = infos()
    assert fields["gp_weight"].active_when == {"loss": ("wgan-gp",)}
    assert fields["margin"].active_when == {"loss": ("hinge", "wgan-gp"), "channels": (3,)}
    assert fields["loss"].active_when is None


def test_a_field_is_active_for_the_values_declared_typed_or_as_text():
    fields = infos()
    assert cfg.is_active(fields["loss"], {"loss": "bce"})  # no condition: always
    assert not cfg.is_active(fields["gp_weight"], {"loss": "bce"})
    assert cfg.is_active(fields["gp_weight"], {"loss": "wgan-gp"})
    # every condition must hold; a combo box holds "3" for the int 3
    assert cfg.is_active(fields["margin"], {"loss": "hinge", "channels": "3"})
    assert not cfg.is_active(fields["margin"], {"loss": "hinge", "channels": 1})
    assert not cfg.is_active(fields["margin"], {"loss": "bce", "channels": 3})
    assert cfg.is_active(fields["strength"], {"augment": True})
    assert not cfg.is_active(fields["strength"], {"augment": False})
    # a range of ints: a spin box's value, or text
    assert not cfg.is_active(fields["code_weight"], {"codes": 0})
    assert cfg.is_active(fields["code_weight"], {"codes": 10})
    assert cfg.is_active(fields["code_weight"], {"codes": "100"})
    assert not cfg.is_active(fields["code_weight"], {"codes": "many"})


def test_the_reason_reads_as_a_sentence():
    fields = infos()
    assert cfg.active_when_text(fields["gp_weight"]) == "used only when loss is wgan-gp"
    assert (
        cfg.active_when_text(fields["margin"], {"channels": "colour channels"})
        == "used only when loss is hinge or wgan-gp and colour channels is 3"
    )
    assert cfg.active_when_text(fields["strength"]) == "used only when augment is on"
    assert cfg.active_when_text(fields["code_weight"]) == "used only when codes is 1 to 100"
    assert cfg.active_when_text(fields["loss"]) == ""


def test_values_of_an_inactive_field_are_still_built_and_checked():
    config = cfg.build(LossConfig, {"loss": "bce", "gp_weight": "5"})
    assert config.gp_weight == 5.0
    with pytest.raises(cfg.ConfigError, match=r"^gp_weight"):
        cfg.build(LossConfig, {"loss": "bce", "gp_weight": -1})


def _spec(config_class: type) -> api.ModelSpec:
    return api.ModelSpec(
        id="m",
        name="M",
        description="",
        dataset_kinds=("x",),
        config_class=config_class,
        trainer_factory=lambda *a: None,
    )


def test_a_wrong_condition_is_refused_when_the_plugin_loads():
    @dataclass
    class NoSuchField:
        gp_weight: float = api.param(10.0, active_when={"los": "wgan-gp"})

    @dataclass
    class NoSuchValue:
        loss: str = api.param("bce", choices=("bce", "wgan-gp"))
        gp_weight: float = api.param(10.0, active_when={"loss": "wgan"})

    with pytest.raises(ContributionError, match=r"NoSuchField\.gp_weight: active_when names 'los'"):
        _spec(NoSuchField).validate()
    with pytest.raises(ContributionError, match="'wgan' is not a value of loss"):
        _spec(NoSuchValue).validate()
    with pytest.raises(TypeError, match="'wgan' is not a value of loss"):
        cfg.describe(NoSuchValue)

    @dataclass
    class OutOfRange:
        codes: int = api.param(0, min=0, max=100)
        code_weight: float = api.param(1.0, active_when={"codes": range(1, 1000)})

    with pytest.raises(ContributionError, match="999 is not a value of codes"):
        _spec(OutOfRange).validate()
    _spec(LossConfig).validate()


def test_the_cli_help_names_the_condition():
    from studio.cli.train import _help
    from studio.core.sampling import format_options_help

    assert _help(infos()["gp_weight"]).endswith("; used only when loss is wgan-gp")
    text = format_options_help(LossConfig)
    assert "(used only when augment is on)" in text


def test_the_conditional_gan_is_named_for_what_it_is_and_greys_wgan_fields():
    from studio_plugins.image_gans import CGANConfig, studio_models

    spec = next(s for s in studio_models() if s.id == "cgan")  # the id old runs name
    assert spec.name == "Conditional GAN"
    fields = {i.name: i for i in cfg.describe(CGANConfig)}
    quick = spec.presets["quick CPU"]
    assert quick["loss"] == "bce"
    assert not cfg.is_active(fields["critic_steps"], quick)
    assert not cfg.is_active(fields["gp_weight"], quick)
    assert cfg.is_active(fields["gp_weight"], spec.presets["book"])
    dcgan = next(s for s in studio_models() if s.id == "dcgan")
    infogan = {i.name: i for i in cfg.describe(dcgan.config_class)}["code_weight"]
    assert not cfg.is_active(infogan, {"codes": 0})  # the book: no codes
    assert cfg.is_active(infogan, {"codes": 10})
