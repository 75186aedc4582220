"""Typed sampling options, streaming and cancel (studio.core.sampling, run_sampler), and
the run handle: a toy 1.1 model that streams, and the 1.0 keyword path beside it."""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass

import pytest

from studio import api
from studio.core.config import ConfigError
from studio.core.run_handle import RunHandle
from studio.core.run_sampler import RunSampler, resolve_options
from studio.core.sampling import (
    CancelToken,
    SamplingCancelled,
    build_options,
    describe_options,
    format_options_help,
)


@dataclass
class CountOptions:
    parts: int = api.param(4, min=1, max=50, help="How many parts the sample streams")
    scale: float = api.param(1.0, min=0.0, max=10.0, help="Multiplies every value")
    mode: str = api.param("up", choices=("up", "down"), help="Count up or down")
    labelled: bool = api.param(False, help="Name the values")


# --- options -------------------------------------------------------------------------
def test_build_options_converts_strings_and_checks_each_option():
    o = build_options(CountOptions, {"parts": "7", "scale": "2.5", "mode": "down"})
    assert (o.parts, o.scale, o.mode, o.labelled) == (7, 2.5, "down", False)
    assert build_options(CountOptions, {}) == CountOptions()
    assert build_options(CountOptions, None) == CountOptions()
    assert build_options(CountOptions, {"labelled": "on"}).labelled is True


@pytest.mark.parametrize(
    ("values", "starts"),
    [
        ({"scale": "abc"}, "scale: 'abc' is not a valid float"),
        ({"parts": 0}, "parts: 0 is below the minimum 1"),
        ({"mode": "sideways"}, "mode: 'sideways' is not one of up, down"),
        ({"nonsense": 1}, "nonsense: no such sampling option"),
        ({"labelled": "maybe"}, "labelled: 'maybe' is not a valid bool"),
    ],
)
def test_a_bad_option_is_named_first(values, starts):
    with pytest.raises(ConfigError) as info:
        build_options(CountOptions, values)
    assert str(info.value).startswith(starts)
    assert "\n" not in str(info.value)


def test_describe_and_help_list_options_with_defaults_ranges_and_choices():
    infos = describe_options(CountOptions)
    assert [i.name for i in infos] == ["parts", "scale", "mode", "labelled"]
    assert infos[2].choices == ("up", "down") and infos[0].default == 4
    text = format_options_help(CountOptions, "toy: Toy")
    assert text.splitlines()[0] == "toy: Toy"
    assert "parts (int; default 4; range 1..50)" in text
    assert "mode (str; default 'up'; choices: up, down)" in text
    assert "Multiplies every value" in text
    assert "1.0 model" in format_options_help(None)
    with pytest.raises(TypeError):
        describe_options(int)


def test_cancel_token_is_shared_across_threads():
    token = CancelToken()
    assert not token.cancelled
    token.raise_if_cancelled()
    t = threading.Thread(target=token.cancel)
    t.start()
    t.join()
    assert token.cancelled
    with pytest.raises(SamplingCancelled):
        token.raise_if_cancelled()


def test_resolve_options_for_typed_and_keyword_models():
    typed = dataclasses.replace(_spec(), sample_options=CountOptions)
    assert resolve_options(typed, None, {}) == CountOptions()
    assert resolve_options(typed, {"parts": "2"}, {}).parts == 2
    given = CountOptions(parts=3)
    assert resolve_options(typed, given, {}) is given
    assert resolve_options(typed, given, {"scale": 2}) == CountOptions(parts=3, scale=2.0)
    with pytest.raises(ConfigError, match=r"^options: expected CountOptions"):
        resolve_options(typed, 5, {})
    old = _spec()  # a 1.0 model: keywords, unchecked
    assert resolve_options(old, {"temperature": 0.5}, {"n_extra": 1}) == {
        "temperature": 0.5,
        "n_extra": 1,
    }
    with pytest.raises(ConfigError, match="takes no typed sampling options"):
        resolve_options(old, CountOptions(), {})


def test_a_spec_with_options_that_are_not_a_dataclass_is_refused():
    from studio.core.contributions import ContributionError

    with pytest.raises(ContributionError, match="sample_options must be a dataclass"):
        dataclasses.replace(_spec(), sample_options=dict).validate()


# --- a toy model that streams ---------------------------------------------------------
def _trainer_class():
    import torch

    class CountTrainer(api.Trainer):
        """Streams ``parts`` samples; part k holds k+1 values drawn from the generator."""

        def __init__(self, config, dataset, device):
            super().__init__(config, dataset, device)
            self.net = torch.nn.Linear(2, 1)
            self.opt = torch.optim.SGD(self.net.parameters(), lr=0.1)
            self.started = threading.Event()
            self.gate: threading.Event | None = None  # tests hold parts back with it

        def modules(self):
            return {"net": self.net}

        def optimizers(self):
            return {"opt": self.opt}

        def train_step(self, batch, step):
            loss = self.net(batch).pow(2).mean()
            self.optimize(loss, self.opt)
            return {"loss": loss.detach()}

        def sample(self, generator, n=None, options=None):
            return collect(self.sample_stream(generator, n, options))

        def sample_stream(self, generator, n=None, options=None, cancel=None):
            o = options or CountOptions()
            values: list[int] = []
            for k in range(o.parts):
                if cancel is not None:
                    cancel.raise_if_cancelled()
                draw = int(torch.randint(0, 1000, (1,), generator=generator))
                values.append(int(draw * o.scale) * (1 if o.mode == "up" else -1))
                self.started.set()
                if self.gate is not None:
                    self.gate.wait(60)
                yield api.Numbers(values=list(values), rule=f"part {k + 1} of {o.parts}")

    return CountTrainer


def collect(parts):
    last = None
    for last in parts:  # noqa: B007 - the last part is the sample
        pass
    return last


def _spec(trainer_factory=None):
    cfg = dataclasses.make_dataclass("CountConfig", [("batch_size", int, 4)])
    return api.ModelSpec(
        id="count",
        name="Count",
        description="",
        dataset_kinds=("toy",),
        config_class=cfg,
        trainer_factory=trainer_factory or (lambda c, d, dev: None),
        default_dataset="toy-data",
        sample_kind="numbers",
    )


@pytest.fixture(scope="module")
def count_run(tmp_path_factory):
    """A trained run of the toy model, and a resolver (typed options or none)."""
    import torch

    from studio.core import config as cfg
    from studio.core.session import ModelSource, TrainSettings, create_engine

    trainer = _trainer_class()
    typed = dataclasses.replace(_spec(trainer), sample_options=CountOptions)
    dataset = api.DatasetSpec(
        "toy-data",
        "Toy",
        "",
        "toy",
        lambda: api.LoadedDataset(kind="toy", train=(torch.randn(16, 2),)),
    )
    path = tmp_path_factory.mktemp("count") / "r"
    settings = TrainSettings(steps=4, device="cpu", sample_every=2, checkpoint_every=2)
    source = ModelSource(typed, "count_plugin", "0")
    create_engine(source, dataset, cfg.build(typed.config_class, {}), settings, path).run()

    def resolver(spec):
        return lambda record: (ModelSource(spec, "count_plugin", "0"), dataset)

    return path, resolver(typed), resolver(_spec(trainer))


def test_stream_yields_parts_and_the_last_is_the_sample(count_run):
    path, resolve, _ = count_run
    sampler = RunSampler(path, resolve)
    parts = list(sampler.stream(seed=3, options={"parts": 5}))
    assert [len(p.values) for p in parts] == [1, 2, 3, 4, 5]
    assert all(parts[i].values == parts[-1].values[: i + 1] for i in range(5))
    whole = sampler.sample(seed=3, options=CountOptions(parts=5))
    assert whole.values == parts[-1].values and sampler.loaded_step == 4
    down = sampler.sample(seed=3, options={"parts": "5", "mode": "down", "scale": 2})
    assert down.values == [-2 * v for v in whole.values]
    assert len(sampler.sample(seed=3).values) == 4  # the class's defaults
    with pytest.raises(ConfigError, match=r"^parts: 99 is above the maximum 50"):
        sampler.sample(options={"parts": 99})


def test_cancel_from_another_thread_stops_between_parts(count_run):
    path, resolve, _ = count_run
    sampler = RunSampler(path, resolve)
    trainer = sampler.trainer()
    trainer.gate = threading.Event()
    token = CancelToken()
    got: list = []
    error: list = []

    def consume():
        try:
            for part in sampler.stream(seed=0, options={"parts": 50}, cancel=token):
                got.append(part)
        except SamplingCancelled as exc:
            error.append(exc)

    worker = threading.Thread(target=consume)
    worker.start()
    assert trainer.started.wait(60)
    token.cancel()
    trainer.gate.set()
    worker.join(60)
    trainer.gate = None
    assert error and len(got) <= 2  # the part in flight, then the check stops it
    # The engine's RNG lock was released: a new stream runs to its end.
    assert len(list(sampler.stream(seed=0, options={"parts": 3}))) == 3


def test_sampling_leaves_the_global_random_stream_alone(count_run):
    import torch

    path, resolve, _ = count_run
    sampler = RunSampler(path, resolve)
    sampler.trainer()
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    list(sampler.stream(seed=1, options={"parts": 3}))
    assert torch.equal(torch.rand(3), expected)


def test_a_1_0_model_gets_keywords_and_streams_one_part(count_run):
    path, _, resolve_old = count_run
    sampler = RunSampler(path, resolve_old)
    # A 1.0 trainer is called as sample(generator, n, **keywords).
    with pytest.raises(TypeError, match="unexpected keyword argument 'parts'"):
        sampler.sample(seed=0, parts=2)
    parts = list(sampler.stream(seed=0))
    assert len(parts) == 1 and len(parts[0].values) == 4
    assert sampler.sample(seed=0).values == parts[0].values
    token = CancelToken()
    token.cancel()
    with pytest.raises(SamplingCancelled):
        list(sampler.stream(seed=0, cancel=token))


def test_run_handle_gives_what_a_widget_needs(count_run):
    path, resolve, _ = count_run
    spec = resolve(None)[0].spec
    handle = RunHandle.open(path, spec)
    assert (handle.path, handle.name, handle.model_id) == (path, "r", "count")
    assert handle.config == spec.config_class(batch_size=4)
    assert handle.dataset["id"] == "toy-data" and handle.record.model == "count"
    assert handle.checkpoint_steps() == [2, 4]
    assert [s for s, _ in handle.sample_files()] == [0, 2, 4]
    assert handle.load_sample(2).rule == "part 4 of 4"
    with pytest.raises(KeyError):
        handle.load_sample(3)
    assert handle.status()["state"] == "finished"
    assert handle.class_names is None  # Numbers have no labels
    with pytest.raises(dataclasses.FrozenInstanceError):
        handle.name = "other"


def test_run_handle_keeps_a_run_whose_config_has_a_removed_key(count_run, tmp_path):
    import json
    import shutil

    path, resolve, _ = count_run
    old = tmp_path / "old"
    shutil.copytree(path, old)
    data = json.loads((old / "config.json").read_text())
    data["config"]["val_every"] = 250  # a key the model no longer has
    data["dataset"]["classes"] = ["a", "b"]
    (old / "config.json").write_text(json.dumps(data))
    handle = RunHandle.open(old, resolve(None)[0].spec)
    assert handle.config.batch_size == 4 and handle.class_names == ["a", "b"]
    assert len(RunSampler(old, resolve).sample(seed=0).values) == 4
