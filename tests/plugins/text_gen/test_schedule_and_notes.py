"""The learning-rate decay follows the run's Steps unless a length is given (so changing
Steps moves it), the presets say so, and the sampling widget labels what its corpus
metric measures and says that temperature 0 is greedy decoding."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
import torch

from studio.core import config as cfg
from studio.core.session import TrainSettings, create_engine
from studio_plugins.text_gen.trainer import WarmupCosine, scheduler, step_schedule

NANO = {"size": "nano", "block_size": 16, "batch_size": 2, "warmup_steps": 0}


def test_a_decay_of_0_ends_at_the_runs_last_step():
    rule = WarmupCosine(lr=1.0, min_lr=0.1, warmup=10, decay=0)
    assert rule.rate(500) == 1.0  # run length not known: no decay
    rule.run_steps = 1000
    assert rule.rate(505) == pytest.approx(0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * 0.5)))
    assert rule.rate(1000) == pytest.approx(0.1)
    rule.run_steps = 2000  # Steps changed (or the run continued further): it stretches
    assert rule.rate(1000) > 0.5
    fixed = WarmupCosine(lr=1.0, min_lr=0.1, warmup=10, decay=300)
    fixed.run_steps = 2000
    assert fixed.rate(300) == pytest.approx(0.1)  # a length given is kept


def test_step_schedule_reads_the_length_from_the_trainer():
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=1.0)
    config = SimpleNamespace(lr=1.0, min_lr=0.0, warmup_steps=0, decay_steps=0)
    sched = scheduler(opt, config)
    trainer = SimpleNamespace(total_steps=4)
    rates = []
    for _ in range(4):
        opt.step()  # as a training step does, before the schedule's
        step_schedule(sched, trainer)
        rates.append(opt.param_groups[0]["lr"])
    assert rates == pytest.approx([0.5 * (1 + math.cos(math.pi * i / 4)) for i in (1, 2, 3, 4)])


@pytest.mark.parametrize("model", ["gpt", "lstm", "gpt-classifier"])
def test_new_runs_follow_steps_and_the_form_says_so(plugins, model):
    spec = plugins.models[model]
    info = {i.name: i for i in cfg.describe(spec.config_class)}["decay_steps"]
    assert info.default == 0 and "follows Steps" in info.help
    for name, preset in spec.presets.items():
        if name != "book":  # the book's rates are constant: no decay to place
            assert preset.get("decay_steps", 0) == 0, name
        else:
            assert preset["lr"] == preset["min_lr"]


def test_the_engine_gives_the_run_length_to_the_schedule(plugins, tmp_path):
    source = plugins.model_source("gpt")
    lr, min_lr = 1e-3, 1e-4
    ends = {}
    for decay in (0, 1000):
        config = cfg.build(
            source.spec.config_class, {**NANO, "lr": lr, "min_lr": min_lr, "decay_steps": decay}
        )
        settings = TrainSettings(steps=4, device="cpu", sample_every=0, checkpoint_every=0)
        path = tmp_path / f"decay-{decay}"
        engine = create_engine(source, plugins.dataset("python-docs"), config, settings, path)
        engine.run()
        assert engine.trainer.total_steps == 4
        ends[decay] = engine.trainer.opt.param_groups[0]["lr"]
    assert ends[0] == pytest.approx(min_lr)  # decayed over the run's 4 steps
    assert ends[1000] > 0.99 * lr  # 4 steps into a decay of 1,000


def test_the_status_labels_the_corpus_check_and_greedy_decoding(qtbot, plugins, tmp_path):
    from studio.api_qt import SamplingContext

    source = plugins.model_source("gpt")
    config = cfg.build(source.spec.config_class, NANO)
    settings = TrainSettings(steps=2, device="cpu", sample_every=0, checkpoint_every=0)
    create_engine(source, plugins.dataset("python-docs"), config, settings, tmp_path / "r").run()
    widget = source.spec.widget_factory(SamplingContext(source.spec, plugins.resolve_run))
    qtbot.addWidget(widget)
    widget.set_run(tmp_path / "r")
    form = widget.options_form
    form.editor("max_new_tokens").setValue(12)
    form.editor("temperature").setValue(0.0)
    with qtbot.waitSignal(widget.sampled, timeout=60_000) as blocker:
        widget.generate_button.click()
    known = blocker.args[0].metrics["known_words"]
    status = widget.status.text()
    assert "Temperature 0: greedy decoding" in status and "repeat" in status
    assert f"Words found in the corpus: {known:.0%}" in status
    assert "a spelling check, not a quality score" in status
    assert "occur in the corpus" not in status
    form.editor("temperature").setValue(0.8)
    with qtbot.waitSignal(widget.sampled, timeout=60_000):
        widget.generate_button.click()
    assert "greedy" not in widget.status.text()
    assert "Words found in the corpus" in widget.status.text()


@pytest.mark.parametrize("model", ["gpt", "gpt-classifier"])
def test_fields_of_a_custom_size_or_a_trained_vocabulary_say_when_they_count(plugins, model):
    """The form greys out what the choice of size or tokenizer ignores."""
    infos = {i.name: i for i in cfg.describe(plugins.models[model].config_class)}
    for name in ("n_layer", "n_head", "n_embd"):
        assert cfg.is_active(infos[name], {"size": "custom"})
        assert not cfg.is_active(infos[name], {"size": "micro"})
    assert not cfg.is_active(infos["vocab_size"], {"tokenizer": "char"})
    assert cfg.is_active(infos["vocab_size"], {"tokenizer": "bpe"})
    assert cfg.active_when_text(infos["n_layer"]) == "used only when size is custom"
