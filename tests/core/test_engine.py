"""The engine's guarantees: exact resume, stop/pause, NaN guard, failures, previews."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import torch

from studio.core import config as cfg
from studio.core.checkpoint import load_checkpoint
from studio.core.devices import DeviceError, resolve_device, resolve_precision
from studio.core.listener import EngineListener
from studio.core.rundir import RunDir
from studio.core.samples import load_sample
from studio.core.session import TrainSettings, create_engine, resume_engine


def make(plugins, path: Path, steps: int, model="gan-shape", listener=None, **settings):
    source = plugins.model_source(model)
    config = cfg.build(source.spec.config_class, {})
    dataset = plugins.dataset(source.spec.default_dataset)
    s = TrainSettings(
        steps=steps,
        seed=settings.pop("seed", 7),
        device="cpu",
        sample_every=settings.pop("sample_every", 20),
        checkpoint_every=settings.pop("checkpoint_every", 25),
        **settings,
    )
    return create_engine(source, dataset, config, s, path, listener)


def weights_of(path: Path) -> dict[str, torch.Tensor]:
    return load_checkpoint(RunDir(path).latest_checkpoint())[0]


def test_forty_plus_forty_steps_equal_eighty(plugins, tmp_path):
    """Stop at 40, resume to 80: the same weights as 80 uninterrupted steps (dropout,
    noise and data order all depend on RNG state that the checkpoint carries)."""
    full = make(plugins, tmp_path / "full", 80)
    assert full.run().state == "finished"

    class StopAt40(EngineListener):
        def on_metrics(self, row):
            if row["step"] == 40:
                engine.stop()

    engine = make(plugins, tmp_path / "split", 80, listener=StopAt40())
    first = engine.run()
    assert (first.state, first.step) == ("stopped", 40)
    resumed = resume_engine(tmp_path / "split", plugins.resolve_run)
    assert resumed.step == 40
    assert resumed.run().state == "finished"

    a, b = weights_of(tmp_path / "full"), weights_of(tmp_path / "split")
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-6, atol=1e-7)
    # The logged losses match step for step too, and no step is logged twice.
    rows_a = [r for r in RunDir(tmp_path / "full").read_metrics() if "d_loss" in r]
    rows_b = [r for r in RunDir(tmp_path / "split").read_metrics() if "d_loss" in r]
    assert [r["step"] for r in rows_b] == list(range(1, 81))
    for ra, rb in zip(rows_a, rows_b, strict=True):
        assert ra["d_loss"] == pytest.approx(rb["d_loss"], rel=1e-5)


def test_run_directory_layout(plugins, tmp_path):
    engine = make(plugins, tmp_path / "run", 50)
    engine.run()
    run = RunDir(tmp_path / "run")
    rec = run.record()
    assert (rec.model, rec.plugin, rec.seed, rec.device) == ("gan-shape", "shapes_gan", 7, "cpu")
    assert rec.config["batch_size"] == 128 and rec.dataset["id"] == "exponential-curve"
    assert run.status()["state"] == "finished" and run.status()["step"] == 50
    assert [s for s, _ in run.sample_files()] == [0, 20, 40, 50]
    assert run.checkpoint_steps() == [25, 50]
    rows = run.read_metrics()
    assert rows[0]["step"] == 0 and "sample/mean_distance" in rows[0]
    assert all({"step", "time", "epoch"} <= r.keys() for r in rows)
    assert "checkpoint written at step 50" in run.events()


def test_previews_use_a_fixed_seed(plugins, tmp_path):
    """Two runs with different training seeds but the same weights would preview the
    same latents: here, the step-0 previews of two runs with the same seed are equal,
    and sampling does not move the training RNG (the runs stay identical)."""
    make(plugins, tmp_path / "a", 20, sample_every=5).run()
    make(plugins, tmp_path / "b", 20, sample_every=0).run()
    pa = load_sample(RunDir(tmp_path / "a").sample_files()[0][1])
    a, b = weights_of(tmp_path / "a"), weights_of(tmp_path / "b")
    for k in a:
        torch.testing.assert_close(a[k], b[k])
    assert pa.points.shape == (512, 2)


def test_pause_and_unpause_from_another_thread(plugins, tmp_path):
    paused = threading.Event()

    class Watch(EngineListener):
        def on_metrics(self, row):
            if row["step"] == 10:
                engine.pause()

        def on_state(self, state, step, message):
            if state == "paused":
                paused.set()

    engine = make(plugins, tmp_path / "p", 30, listener=Watch())
    t = threading.Thread(target=engine.run)
    t.start()
    assert paused.wait(30)
    assert RunDir(tmp_path / "p").status()["state"] == "paused"
    assert engine.step == 10
    engine.unpause()
    t.join(60)
    assert engine.step == 30 and RunDir(tmp_path / "p").status()["state"] == "finished"


def _toy_engine(tmp_path, toy, steps=20, **failures):
    manager = toy.manager(toy.trainer_class(**failures))
    source = manager.model_source("toy")
    config = cfg.build(source.spec.config_class, {})
    settings = TrainSettings(steps=steps, device="cpu", sample_every=0, checkpoint_every=5)
    return create_engine(source, manager.dataset("toy-data"), config, settings, tmp_path / "toy")


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path, toy):
    result = _toy_engine(tmp_path, toy, nan_at=11).run()  # the 12th step
    assert result.state == "nan" and result.step == 12
    assert "loss loss became nan at step 12" in result.message
    assert "last good checkpoint (step 10) is kept" in result.message
    run = RunDir(tmp_path / "toy")
    assert run.checkpoint_steps() == [5, 10]
    assert run.status()["state"] == "nan"
    assert "became nan" in run.events()


def test_a_plugin_exception_fails_the_run_cleanly(tmp_path, toy):
    result = _toy_engine(tmp_path, toy, fail_at=7).run()
    assert result.state == "failed" and result.step == 7
    assert "ValueError: the plugin broke" in result.message
    run = RunDir(tmp_path / "toy")
    assert "Traceback" in run.events() and run.status()["state"] == "failed"
    assert run.checkpoint_steps() == [5]


def test_out_of_memory_is_reported_with_advice(tmp_path, toy):
    result = _toy_engine(tmp_path, toy, oom_at=3).run()
    assert result.state == "failed"
    assert "out of memory" in result.message and "batch size" in result.message


def test_device_and_precision_choices_are_checked():
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type in ("cpu", "cuda", "mps")
    if not torch.cuda.is_available():
        with pytest.raises(DeviceError, match="no CUDA GPU"):
            resolve_device("cuda:1")
    with pytest.raises(DeviceError, match="unknown device"):
        resolve_device("tpu")
    with pytest.raises(DeviceError, match="needs a CUDA device"):
        resolve_precision("fp16", torch.device("cpu"))
    assert resolve_precision("bf16", torch.device("cpu")) is torch.bfloat16


def test_bf16_autocast_trains_on_cpu(plugins, tmp_path):
    engine = make(plugins, tmp_path / "bf16", 10, precision="bf16")
    result = engine.run()
    assert result.state == "finished"
    rows = [r for r in RunDir(tmp_path / "bf16").read_metrics() if "d_loss" in r]
    assert all(torch.isfinite(torch.tensor(r["d_loss"])) for r in rows)


def test_sampling_from_another_thread_leaves_a_live_run_unchanged(plugins, tmp_path):
    """The window samples (building a fresh model, which draws from the global RNG)
    while its own process trains: the run must end with the same weights as an
    undisturbed one."""
    from studio.core.session import RunSampler

    make(plugins, tmp_path / "quiet", 300, checkpoint_every=20).run()

    engine = make(plugins, tmp_path / "busy", 300, checkpoint_every=20)
    worker = threading.Thread(target=engine.run)
    worker.start()
    samples = 0
    while worker.is_alive():
        if RunDir(tmp_path / "busy").checkpoint_steps():
            RunSampler(tmp_path / "busy", plugins.resolve_run).sample(seed=samples, n=64)
            samples += 1
    worker.join()
    assert samples >= 3
    a, b = weights_of(tmp_path / "quiet"), weights_of(tmp_path / "busy")
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=0, atol=0)
