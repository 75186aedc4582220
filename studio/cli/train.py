"""``train``: a new run from a model, dataset, preset and flags, or ``--resume``.

The request is built by the same workbench the window uses (``studio.core.workbench``):
preset, then a ``--config`` file, then flags; the dataset checked against the model.
The engine flags (``--steps``, ``--keep-checkpoints``...) are generated from
``EngineSettings``, as the model's flags are from its config.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from studio.cli import common
from studio.cli.common import UsageError
from studio.cli.running import _progress, _run_engine
from studio.core import config as cfg
from studio.core.errors import DatasetError
from studio.core.rundir import RunDir
from studio.core.settings import SETTING_NAMES, describe_settings, split_settings
from studio.core.workbench import CUSTOM, Workbench, WorkbenchError

# The engine settings a resumed run may change; the others are the run's own.
RESUME_FLAGS = ("steps", "device")


def flag_of(name: str) -> str:
    """The flag of a config field or setting: ``sample_every`` -> ``--sample-every``."""
    return "--" + name.replace("_", "-")


def _help(info: cfg.FieldInfo) -> str:
    parts = [info.help] if info.help else []
    if info.choices:
        parts.append(f"choices: {', '.join(map(str, info.choices))}")

    def num(value: float) -> str:
        return f"{int(value):,}" if info.type is int else f"{value:g}"

    if info.min is not None and info.max is not None:
        parts.append(f"{num(info.min)} to {num(info.max)}")
    elif info.min is not None:
        parts.append(f"at least {num(info.min)}")
    parts.append(f"default {info.default}")
    if info.active_when:  # "used only when loss is wgan-gp"
        parts.append(cfg.active_when_text(info))
    return "; ".join(parts)


def _config_file(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        if path.suffix == ".toml":
            import tomllib

            values = tomllib.loads(path.read_text())
        else:
            values = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise UsageError(f"--config {path}: cannot read it ({exc})") from None
    if not isinstance(values, dict):
        raise UsageError(f"--config {path}: holds {type(values).__name__}, not a table of settings")
    return values


def _add_config_flags(parser: argparse.ArgumentParser, config_class: type) -> None:
    """One flag per field of a model's config (values checked by ``cfg.coerce`` later,
    so a wrong one is a single line naming the flag)."""
    group = parser.add_argument_group("model settings (from the model's config)")
    for info in cfg.describe(config_class):
        group.add_argument(
            flag_of(info.name),
            dest=f"cfg_{info.name}",
            default=None,
            metavar=info.type.__name__.upper(),
            help=_help(info),
        )


def add_engine_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per engine setting (``EngineSettings``); ``None`` when not given."""
    group = parser.add_argument_group(
        "engine settings (every model)",
        "A model's preset (--preset) and its own default steps come before these defaults.",
    )
    for info in describe_settings():
        if info.type is bool:
            group.add_argument(
                flag_of(info.name),
                dest=info.name,
                action=argparse.BooleanOptionalAction,
                default=None,
                help=_help(info),
            )
        else:
            group.add_argument(
                flag_of(info.name),
                dest=info.name,
                default=None,
                metavar=info.type.__name__.upper(),
                help=_help(info),
            )


def _given_settings(args) -> dict[str, Any]:
    return {n: getattr(args, n) for n in SETTING_NAMES if getattr(args, n, None) is not None}


def _flag_error(exc: cfg.ConfigError) -> UsageError:
    """``steps: -5 is below the minimum 1`` -> ``--steps: -5 is below the minimum 1``."""
    name, _, rest = str(exc).partition(":")
    return UsageError(f"{flag_of(name)}: {rest.strip()}")


def _resume(manager, args, extra: list[str]) -> int:
    given = _given_settings(args)
    other = [flag_of(n) for n in given if n not in RESUME_FLAGS]
    if extra or other or args.model or args.dataset or args.preset or args.config:
        unexpected = " ".join(extra + other) or "--model/--dataset/--preset/--config"
        raise UsageError(
            "--resume continues a run with its own settings (only --steps and --device "
            f"apply); unexpected: {unexpected}"
        )
    if not RunDir(args.run_dir).is_run():
        raise UsageError(f"--resume: {args.run_dir} holds no run (no config.json)")
    infos = {i.name: i for i in describe_settings()}
    steps = None
    if args.steps is not None:
        try:
            steps = cfg.coerce(infos["steps"], args.steps)
        except cfg.ConfigError as exc:
            raise _flag_error(exc) from None
    try:
        request = Workbench(manager).resume_request(
            args.run_dir,
            steps,
            extend=False,
            device=args.device,
            trust_dataset_path=bool(getattr(args, "trust_dataset_path", False)),
        )
    except WorkbenchError as exc:
        prefix = "--steps: " if str(exc).startswith("target step") else ""
        raise UsageError(f"{prefix}{exc}") from None
    return _run_engine(request.make_engine(_progress()), manager)


def _apply_recipe(manager, args) -> None:
    """``--recipe ID [--quick]``: the recipe's model, preset and (unless --dataset is
    given) its embedded dataset; a recipe whose data must be dropped needs --dataset."""
    from studio.core import recipes

    if args.quick and not args.recipe:
        raise UsageError("--quick goes with --recipe (a preset of a model is --preset NAME)")
    if not args.recipe:
        return
    if args.model or args.preset:
        raise UsageError("--recipe sets the model and its preset: leave out --model and --preset")
    try:
        chosen = recipes.recipe(args.recipe)
    except KeyError as exc:
        raise UsageError(f"--recipe: {exc.args[0]}") from None
    if not recipes.available(chosen, manager.models):
        raise UsageError(
            f"--recipe {chosen.id}: its model {chosen.model_id!r} is not installed yet"
        )
    args.model = chosen.model_id
    args.preset = chosen.preset(args.quick)
    if not args.dataset:
        # The recipe's embedded stand-in, else the model's own embedded data.
        args.dataset = chosen.embedded_dataset(manager.models)
        if not args.dataset:
            raise UsageError(f"--recipe {chosen.id} needs --dataset PATH: {chosen.data_help}")


def cmd_train(args, extra: list[str]) -> int:
    manager = common.load_manager(args)
    if args.run_dir is None:
        raise UsageError("--run-dir is required: the folder the run is written to")
    if args.resume:
        return _resume(manager, args, extra)
    _apply_recipe(manager, args)
    if not args.model:
        raise UsageError("--model is required (see 'genai-studio-cli models')")
    bench = Workbench(manager)
    try:
        bench.set_model(args.model, preset=args.preset or CUSTOM)
    except WorkbenchError as exc:
        message = str(exc)
        raise UsageError(f"--{message}" if message.startswith("preset ") else message) from None
    except cfg.ConfigError as exc:  # a preset with a value out of range: the plugin's bug
        raise UsageError(f"--preset {args.preset!r}: {exc}") from None
    spec = bench.spec
    assert spec is not None
    sub = argparse.ArgumentParser(prog=f"genai-studio-cli train --model {spec.id}", add_help=False)
    _add_config_flags(sub, spec.config_class)
    model_args, unknown = sub.parse_known_args(extra)
    if unknown:
        known = ", ".join(flag_of(i.name) for i in cfg.describe(spec.config_class))
        raise UsageError(
            f"unknown option(s) {' '.join(unknown)} for model {spec.id}; its settings are: {known}"
        )
    if args.dataset:
        try:
            bench.select(args.dataset, args.reader, follow=False)
        except (KeyError, DatasetError) as exc:
            raise UsageError(f"--dataset: {exc.args[0] if exc.args else exc}") from None
    elif not spec.default_dataset:
        raise UsageError(f"--dataset is required: model {spec.id} has no default dataset")
    # Layers over the preset: the config file (which may set engine settings, as a
    # preset does), then the flags.
    file_values = _config_file(args.config)
    try:
        config_values, engine_values = split_settings(file_values)
        bench.update_config(config_values)
        bench.update_settings(engine_values)
    except cfg.ConfigError as exc:
        raise UsageError(f"--config {args.config}: {exc}") from None
    flags = {k[4:]: v for k, v in vars(model_args).items() if v is not None}
    try:
        bench.update_config(flags)
        bench.update_settings(_given_settings(args))
    except cfg.ConfigError as exc:
        raise _flag_error(exc) from None
    try:
        request = bench.train_request(args.run_dir)
    except DatasetError as exc:
        raise UsageError(f"--dataset: {exc}") from None
    except WorkbenchError as exc:
        raise UsageError(str(exc)) from None
    return _run_engine(request.make_engine(_progress()), manager)
