from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pytest

from studio.api import ModelSpec, param
from studio.core import config as cfg
from studio.core.contributions import ContributionError


@dataclass
class Cfg:
    lr: float = param(1e-3, min=1e-6, max=1.0, help="learning rate")
    batch_size: int = param(32, min=1, max=512)
    mode: Literal["a", "b"] = "a"
    flag: bool = False
    name: str = "x"


def test_describe_reads_types_ranges_and_choices():
    infos = {i.name: i for i in cfg.describe(Cfg)}
    assert infos["lr"].type is float and infos["lr"].min == 1e-6 and infos["lr"].help
    assert infos["batch_size"].type is int
    assert infos["mode"].choices == ("a", "b") and infos["mode"].type is str
    assert infos["flag"].type is bool


def test_build_layers_and_coerces_strings():
    c = cfg.build(Cfg, {"lr": "0.01"}, {"batch_size": "64", "flag": "yes", "mode": "b"})
    assert c == Cfg(lr=0.01, batch_size=64, mode="b", flag=True)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"lr": "fast"}, "lr: 'fast' is not a valid float"),
        ({"batch_size": 0}, "below the minimum"),
        ({"batch_size": 2.5}, "not a valid int"),
        ({"mode": "c"}, "not one of a, b"),
        ({"flag": "maybe"}, "not a valid bool"),
        ({"nope": 1}, "unknown setting 'nope'"),
    ],
)
def test_build_rejects_bad_values_with_a_clear_message(values, message):
    with pytest.raises(cfg.ConfigError, match=message):
        cfg.build(Cfg, values)


def test_model_spec_refuses_presets_that_set_unknown_fields():
    spec = ModelSpec(
        id="m",
        name="M",
        description="",
        dataset_kinds=("k",),
        config_class=Cfg,
        trainer_factory=lambda *a: None,
        presets={"p": {"lr": 1, "steps": 5}},
    )
    spec.validate()
    bad = ModelSpec(
        id="m",
        name="M",
        description="",
        dataset_kinds=("k",),
        config_class=Cfg,
        trainer_factory=lambda *a: None,
        presets={"p": {"learning": 1}},
    )
    with pytest.raises(ContributionError, match="unknown fields"):
        bad.validate()


def test_model_spec_refuses_bad_ids_and_non_dataclass_configs():
    with pytest.raises(ContributionError, match="lower-case"):
        ModelSpec(
            id="Bad Id",
            name="",
            description="",
            dataset_kinds=("k",),
            config_class=Cfg,
            trainer_factory=print,
        ).validate()
    with pytest.raises(ContributionError, match="dataclass"):
        ModelSpec(
            id="ok",
            name="",
            description="",
            dataset_kinds=("k",),
            config_class=dict,
            trainer_factory=print,
        ).validate()
