"""Start, resume and sample runs: the glue the GUI and the CLI share.

Callers resolve ids to specs (through the plugin manager) and pass the specs in, so
this module needs no plugin machinery and stays importable on its own.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio import __version__
from studio.core import config as cfg
from studio.core.contributions import API_VERSION, DatasetSpec, ModelSpec
from studio.core.dataset_trust import is_sealed_here, seal
from studio.core.run_handle import moved_settings, run_config
from studio.core.rundir import RunDir, RunDirError, RunRecord  # noqa: F401 (re-exported)
from studio.core.runlock import RunLock
from studio.core.settings import EngineSettings, settings_to_dict
from studio.core.settings import TrainSettings as TrainSettings  # the 1.0 name


@dataclass
class ModelSource:
    """Where a model comes from: its spec and the plugin that contributed it."""

    spec: ModelSpec
    plugin: str
    plugin_version: str


def _load_dataset(dataset: DatasetSpec):
    loaded = dataset.loader()
    if not loaded.name:
        loaded.name = dataset.id
    return loaded


def _with_tensorboard(listener, run_path: Path):
    from studio.core.tensorboard import Listeners, TensorBoardListener

    return Listeners(listener, TensorBoardListener(run_path))


def _dataset_record(dataset: DatasetSpec) -> dict[str, Any]:
    if dataset.path is None:
        return {"id": dataset.id, "source": "embedded", "kind": dataset.kind}
    return {
        "id": dataset.id,
        "source": "path",
        "kind": dataset.kind,
        "path": dataset.path,
        "reader": dataset.reader,
    }


def _build_trainer(spec: ModelSpec, config: Any, dataset, device_name: str, seed: int):
    from studio.core.devices import resolve_device
    from studio.core.engine import seed_everything

    device = resolve_device(device_name)
    seed_everything(seed)  # network initialisation is part of what the seed fixes
    return spec.trainer_factory(config, dataset, device)


def _engine(
    run: RunDir,
    trainer,
    settings: EngineSettings,
    total_steps: int,
    listener,
    dist,
    lock,
    health=None,
):
    """The engine for ``trainer`` in ``run``, with the engine settings of the run
    (``health``: the monitor, when the caller built it already)."""
    from studio.core.early_stop import criterion_from_settings
    from studio.core.engine import Engine
    from studio.core.health import build_health

    return Engine(
        run,
        trainer,
        lock=lock,
        total_steps=total_steps,
        seed=settings.seed,
        precision=settings.precision,
        sample_every=settings.sample_every,
        checkpoint_every=settings.checkpoint_every,
        checkpoint_minutes=settings.checkpoint_minutes,
        validate_every=settings.validate_every,
        keep_checkpoints=settings.keep_checkpoints,
        listener=listener,
        dist=dist,
        stop=criterion_from_settings(settings),
        health=health if health is not None else build_health(settings),
    )


def create_engine(
    source: ModelSource,
    dataset: DatasetSpec,
    config: Any,
    settings: EngineSettings,
    run_path: Path,
    listener=None,
    resolve: Resolver | None = None,
):
    """Create a run directory and an engine ready to ``run()`` from step 0.
    ``resolve`` (the plugin manager's ``resolve_run``) loads a run named as the judge."""
    from studio.core import distributed
    from studio.core.devices import resolve_device, resolve_precision

    spec = source.spec
    if dataset.kind not in spec.dataset_kinds:
        raise ValueError(
            f"model {spec.id} trains on {', '.join(spec.dataset_kinds)} data, "
            f"but dataset {dataset.id} is {dataset.kind}"
        )
    device = resolve_device(distributed.local_device(settings.device))
    resolve_precision(settings.precision, device)  # refuse before anything is written
    from studio.core.health import build_health

    health = build_health(settings, resolve=resolve)  # an unknown judge is refused here
    dist = distributed.setup(device)
    stored = settings_to_dict(settings)
    stored["device"] = str(device)  # the device it trains on, which resume goes back to
    record = RunRecord(
        model=spec.id,
        plugin=source.plugin,
        plugin_version=source.plugin_version,
        config=cfg.to_dict(config),
        dataset=seal(_dataset_record(dataset)),  # "made here": see core.dataset_trust
        settings=stored,
        studio_version=__version__,
        api_version=API_VERSION,
        extra={"world_size": dist.world_size},
    )
    loaded = _load_dataset(dataset)
    trainer = _build_trainer(spec, config, loaded, str(device), settings.seed)
    prep = getattr(trainer.dataset, "info", {}).get("prep")
    if prep:  # the normalisation and split the model asked the dataset layer for
        record.dataset["prep"] = prep
    if settings.epochs > 0:
        from studio.core.datasets import BatchOrder

        # The trainer's own dataset: a model may train on a part of what was loaded.
        part = trainer.dataset.train
        per_epoch = BatchOrder(part, trainer.batch_size, settings.seed).batches_per_epoch
        record.steps = settings.epochs * per_epoch
    if settings.tensorboard and dist.is_main:
        listener = _with_tensorboard(listener, run_path)  # refuses before the run exists
    # Rank 0 alone writes the run directory (holding its lock: one writer per run,
    # checked under the lock so two starts into one folder cannot both create it);
    # the other ranks only compute.
    lock = RunLock(run_path).acquire() if dist.is_main else None
    try:
        run = RunDir.create(run_path, record) if dist.is_main else RunDir(run_path)
    except BaseException:
        if lock is not None:
            lock.release()
        raise
    return _engine(run, trainer, settings, record.steps, listener, dist, lock, health)


Resolver = Callable[[RunRecord], tuple[ModelSource, DatasetSpec]]


def resume_engine(
    run_path: Path,
    resolve: Resolver,
    total_steps: int | None = None,
    device: str | None = None,
    listener=None,
):
    """An engine that continues a run from its latest checkpoint.

    ``total_steps`` is the new target (default: the run's own); ``device`` may move the
    run to another device (default: the one it was trained on, or the best available
    if that one is gone).
    """
    run = RunDir(run_path)
    record = run.record()
    # One writer per run: a second resume (or a fresh start) into it stops here.
    main = int(os.environ.get("RANK", "0")) == 0
    lock = RunLock(run.path).acquire() if main else None
    try:
        return _resume(run, record, resolve, total_steps, device, listener, lock)
    except BaseException:
        if lock is not None:
            lock.release()
        raise


def _resume(run: RunDir, record: RunRecord, resolve, total_steps, device, listener, lock):
    from studio.core import distributed
    from studio.core.checkpoint import NoCheckpoint, clean_checkpoints
    from studio.core.devices import DeviceError, resolve_device

    if lock is not None:
        clean_checkpoints(run.checkpoints_dir)  # what a kill while writing/pruning left
    source, dataset = resolve(record)
    if (
        lock is not None
        and record.dataset.get("source") == "path"
        and not is_sealed_here(record.dataset)
    ):
        # The user vouched for the dataset path (or chose it): later resumes and
        # samples of this run need not ask again.
        record.dataset = seal(record.dataset)
        run.write_record(record)
    # A key the model no longer has is left out; one that became an engine setting
    # (the text models' val_every) sets it when the run's own setting is unset.
    config = run_config(source.spec.config_class, record.config)
    moved = moved_settings(source.spec.config_class, record.config)
    loaded = _load_dataset(dataset)
    if distributed.launched_by_torchrun():
        device = distributed.local_device(device or "auto")
    try:
        trainer = _build_trainer(source.spec, config, loaded, device or record.device, record.seed)
    except DeviceError:
        if device:
            raise
        trainer = _build_trainer(source.spec, config, loaded, "auto", record.seed)
    dist = distributed.setup(resolve_device(str(trainer.device)))
    saved = record.engine_settings()
    unset = {k: v for k, v in moved.items() if not getattr(saved, k, None)}
    if unset:
        saved = dataclasses.replace(saved, **unset)
    if saved.tensorboard and dist.is_main:
        listener = _with_tensorboard(listener, run.path)
    steps = int(total_steps if total_steps is not None else record.steps)
    if steps != record.steps and dist.is_main:
        record.steps = steps
        run.write_record(record)
    from studio.core.health import build_health

    health = build_health(saved, resolve=resolve)
    engine = _engine(run, trainer, saved, steps, listener, dist, lock, health)
    try:
        engine.restore_newest()
    except NoCheckpoint:
        # Killed before its first checkpoint: the run starts again from step 0, which
        # its seed makes the same start as the first time.
        engine._event("no checkpoint yet: the run starts again from step 0", "WARNING")
    if dist.is_main:
        run.truncate_metrics_after(engine.step if engine.step else -1)
    return engine


# Moved to its own module; imported here for code written against 1.0.
from studio.core.run_sampler import RunSampler  # noqa: E402, F401
