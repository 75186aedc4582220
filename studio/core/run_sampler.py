"""Sampling from a run's checkpoint, whole or streamed, with typed options and cancel.

``RunSampler`` is what the window's Explore tab, the CLI's ``sample`` and exporters use.
It builds the run's trainer once (on the CPU by default) and loads the latest
checkpoint (reloading when a newer one appears) or the one at a chosen ``step``,
without disturbing a training process that may still be writing the run (it only
reads finished checkpoints). ``checkpoint_choices`` lists what can be chosen.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.core import config as cfg
from studio.core.checkpoint import list_checkpoints
from studio.core.contributions import ModelSpec
from studio.core.run_handle import run_config
from studio.core.rundir import RunDir, RunDirError, RunRecord
from studio.core.samples import Sample
from studio.core.sampling import CancelToken, build_options, check_cancel

# RunRecord -> (ModelSource, DatasetSpec): how the caller finds a run's plugin pieces.
Resolver = Callable[[RunRecord], tuple[Any, Any]]


def resolve_options(spec: ModelSpec, options: Any, legacy: Mapping[str, Any]) -> Any:
    """What a trainer's ``sample`` receives as options.

    For a model with ``sample_options`` (contract 1.1): an instance of that class
    (``None`` and a dict, with any 1.0-style keywords, are built and checked with
    ``build_options``: unset options take the class's defaults). For a 1.0 model: a
    dict of keywords.
    """
    options_class = spec.sample_options
    if options_class is None:
        if options is not None and not isinstance(options, Mapping):
            raise cfg.ConfigError(
                f"model {spec.id} takes no typed sampling options (got {type(options).__name__})"
            )
        return {**(options or {}), **legacy}
    if isinstance(options, options_class):
        if legacy:
            values = {**cfg.to_dict(options), **legacy}
            return build_options(options_class, values)
        return options
    if options is None and not legacy:
        # The documented defaults (what --help-sample lists). A trainer given None (the
        # engine's previews) may use its run's preview settings instead.
        return build_options(options_class, {})
    if options is not None and not isinstance(options, Mapping):
        raise cfg.ConfigError(
            f"options: expected {options_class.__name__} or a dict, got {type(options).__name__}"
        )
    return build_options(options_class, {**(options or {}), **legacy})


class NoSuchCheckpoint(RunDirError):
    """The chosen step has no checkpoint in the run (never saved, or pruned)."""


@dataclass(frozen=True)
class CheckpointChoice:
    """A checkpoint a run holds: its ``step`` and when it was ``saved`` (POSIX time;
    ``None`` when unknown)."""

    step: int
    saved: float | None = None

    def label(self, now: float | None = None) -> str:
        """``"step 1,500 (12:03)"``; a checkpoint of another day also names the day
        (``"step 1,500 (Nov 28 12:03)"``)."""
        if self.saved is None:
            return f"step {self.step:,}"
        at = time.localtime(self.saved)
        today = time.localtime(time.time() if now is None else now)
        same_day = (at.tm_year, at.tm_yday) == (today.tm_year, today.tm_yday)
        when = time.strftime("%H:%M" if same_day else "%b %d %H:%M", at)
        return f"step {self.step:,} ({when})"


def checkpoint_choices(run_path: Path | str) -> list[CheckpointChoice]:
    """The checkpoints of the run at ``run_path``, oldest first, with when each was
    saved (cheap: it lists folders and reads no weights)."""
    out = []
    for step, directory in list_checkpoints(RunDir(run_path).checkpoints_dir):
        try:  # the weights file is written last but one: when the checkpoint was made
            saved: float | None = (directory / "model.safetensors").stat().st_mtime
        except OSError:
            saved = None
        out.append(CheckpointChoice(step, saved))
    return out


class RunSampler:
    """Samples from a run's latest checkpoint, or from the one at ``step``.

    ``sample(seed, n, options)`` returns one sample; ``stream(seed, n, options, cancel)``
    yields partial samples (the last is final) and raises ``SamplingCancelled`` when
    ``cancel`` is cancelled. ``options`` is a dict (checked against the model's
    ``sample_options``) or an instance of that class. ``step`` (``None``: the latest)
    may be changed between samples: the next one loads that checkpoint, and raises
    ``NoSuchCheckpoint`` (one line, naming the steps there are) if the run has none
    at that step.
    """

    def __init__(
        self, run_path: Path, resolve: Resolver, device: str = "cpu", step: int | None = None
    ) -> None:
        self.run = RunDir(run_path)
        self.record = self.run.record()
        self._resolve = resolve
        self._device = device
        self.step = step
        self._resolved: tuple[Any, Any] | None = None
        self._trainer = None
        self._loaded_from: Path | None = None
        self._loaded_step: int | None = None
        self.note = ""  # why an older checkpoint is used, when the newest is damaged

    @property
    def spec(self) -> ModelSpec:
        """The run's model spec (resolved through the plugins on first use)."""
        return self._resolution()[0].spec

    @property
    def checkpoint_step(self) -> int | None:
        """The step of the newest checkpoint on disk (``None``: none yet)."""
        steps = self.run.checkpoint_steps()
        return steps[-1] if steps else None

    @property
    def loaded_step(self) -> int | None:
        """The step of the checkpoint the last sample came from."""
        return self._loaded_step

    def options(self, values: Mapping[str, Any] | None = None) -> Any:
        """The model's options instance from ``values`` (checked; ``ConfigError`` names
        the option), or the dict itself for a 1.0 model."""
        return resolve_options(self.spec, dict(values or {}), {})

    def _resolution(self) -> tuple[Any, Any]:
        if self._resolved is None:
            self._resolved = self._resolve(self.record)
        return self._resolved

    def chosen_checkpoint(self) -> Path:
        """The folder of the checkpoint the next sample comes from: the latest, or the
        one at ``step`` (``NoSuchCheckpoint`` if there is none)."""
        found = list_checkpoints(self.run.checkpoints_dir)
        if self.step is None:
            if not found:
                raise RunDirError(f"{self.run.path} has no checkpoint yet")
            return found[-1][1]
        for step, directory in found:
            if step == self.step:
                return directory
        steps = ", ".join(str(s) for s, _ in found) or "none yet"
        raise NoSuchCheckpoint(
            f"run {self.run.name} has no checkpoint at step {self.step} (its checkpoints: {steps})"
        )

    def _ensure(self):
        from studio.core.engine import RNG_LOCK
        from studio.core.session import _build_trainer, _load_dataset

        wanted = self.chosen_checkpoint()  # before building: a wrong step fails fast
        if self._trainer is None:
            import torch

            source, dataset = self._resolution()
            config = run_config(source.spec.config_class, self.record.config)
            loaded = _load_dataset(dataset)
            # Building a model draws from the global RNGs; a run may be training in
            # this process, so do it between its steps and put the RNGs back after.
            with RNG_LOCK, torch.random.fork_rng(devices=[]):
                self._trainer = _build_trainer(
                    source.spec, config, loaded, self._device, self.record.seed
                )
        if wanted != self._loaded_from:
            self._loaded_from = None  # until the weights are in: a failure loads again
            if self.step is None:
                from studio.core.restore import restore_weights

                # The newest intact checkpoint: a damaged newer one is passed over, and
                # ``note`` says which and why.
                chosen = restore_weights(self._trainer, self.run)
                self._loaded_step = chosen.step
                self.note = chosen.note()
            else:
                # The user's pick: loaded as it is, a damaged one is an error.
                self._load_exactly(wanted)
                self._loaded_step = self.step
                self.note = ""
            self._loaded_from = wanted
        return self._trainer

    def _load_exactly(self, directory: Path) -> None:
        from studio.core.checkpoint import load_checkpoint
        from studio.core.restore import use_weights

        weights, state = load_checkpoint(directory)
        use_weights(self._trainer, weights, state, directory, self.run)

    def trainer(self):
        """The trainer with the chosen checkpoint's weights loaded (the latest unless
        ``step`` is set): for exporters, and to load a checkpoint ahead of sampling."""
        return self._ensure()

    def sample(
        self, seed: int = 0, n: int | None = None, options: Any = None, **legacy: Any
    ) -> Sample:
        """A sample from the chosen checkpoint with a generator seeded by ``seed``.

        ``legacy`` keywords (the 1.0 way: ``sample(seed=1, temperature=0.5)``) are
        merged into ``options``.
        """
        import torch

        from studio.core.engine import RNG_LOCK

        spec = self.spec
        opts = resolve_options(spec, options, legacy)
        trainer = self._ensure()
        with RNG_LOCK, torch.random.fork_rng(devices=[]), trainer.eval_mode():
            g = torch.Generator(device="cpu").manual_seed(int(seed))
            if spec.sample_options is None:
                return trainer.sample(g, n, **opts)
            return trainer.sample(g, n, opts)

    def stream(
        self,
        seed: int = 0,
        n: int | None = None,
        options: Any = None,
        cancel: CancelToken | None = None,
    ) -> Iterator[Sample]:
        """Partial samples as the model makes them; the last one is final.

        Raises ``SamplingCancelled`` once ``cancel`` is cancelled (checked before each
        part). Each part is computed under the engine's RNG lock, so a run training
        in this process keeps its random stream and is held up only between parts.
        Close the iterator (or run it to the end) in the thread that iterates it.
        """
        import torch

        from studio.core.engine import RNG_LOCK

        spec = self.spec
        opts = resolve_options(spec, options, {})
        check_cancel(cancel)
        trainer = self._ensure()
        g = torch.Generator(device="cpu").manual_seed(int(seed))
        if spec.sample_options is None:

            def parts() -> Iterator[Sample]:
                yield trainer.sample(g, n, **opts)

            source = parts()
        else:
            source = trainer.sample_stream(g, n, opts, cancel)
        try:
            while True:
                check_cancel(cancel)
                with RNG_LOCK, torch.random.fork_rng(devices=[]), trainer.eval_mode():
                    try:
                        part = next(source)
                    except StopIteration:
                        return
                yield part
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()


__all__ = [
    "CheckpointChoice",
    "NoSuchCheckpoint",
    "Resolver",
    "RunSampler",
    "checkpoint_choices",
    "resolve_options",
]
