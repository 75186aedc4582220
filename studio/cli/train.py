"""``train``: a new run from a model, dataset, preset and flags, or ``--resume``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from studio.cli import common
from studio.cli.common import UsageError
from studio.cli.running import _progress, _run_engine
from studio.core import config as cfg
from studio.core.contributions import ENGINE_PRESET_KEYS
from studio.core.errors import DatasetError
from studio.core.rundir import RunDir
from studio.core.session import TrainSettings, create_engine, resume_engine


def _config_file(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        if path.suffix == ".toml":
            import tomllib

            return tomllib.loads(path.read_text())
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise UsageError(f"--config {path}: cannot read it ({exc})") from None


def _add_config_flags(parser: argparse.ArgumentParser, config_class: type) -> None:
    group = parser.add_argument_group("model settings (from the model's config)")
    for info in cfg.describe(config_class):
        flag = "--" + info.name.replace("_", "-")
        helptext = info.help + (f" (default {info.default})" if info.help else "")
        kwargs: dict[str, Any] = {"dest": f"cfg_{info.name}", "default": None, "help": helptext}
        if info.choices:
            kwargs["choices"] = [str(c) for c in info.choices]
        group.add_argument(flag, metavar=info.type.__name__.upper(), **kwargs)


def cmd_train(args, extra: list[str]) -> int:
    manager = common.load_manager(args)
    if args.run_dir is None:
        raise UsageError("--run-dir is required: the folder the run is written to")
    if args.resume:
        if extra:
            raise UsageError(
                f"--resume continues a run with its own settings; unexpected: {' '.join(extra)}"
            )
        if not RunDir(args.run_dir).is_run():
            raise UsageError(f"--resume: {args.run_dir} holds no run (no config.json)")
        engine = resume_engine(
            args.run_dir,
            manager.resolve_run,
            total_steps=args.steps,
            device=args.device,
            listener=_progress(),
        )
        return _run_engine(engine)
    if not args.model:
        raise UsageError("--model is required (see 'genai-studio-cli models')")
    try:
        source = manager.model_source(args.model)
    except KeyError as exc:
        raise UsageError(str(exc.args[0])) from None
    spec = source.spec
    sub = argparse.ArgumentParser(prog=f"genai-studio-cli train --model {spec.id}", add_help=False)
    _add_config_flags(sub, spec.config_class)
    model_args, unknown = sub.parse_known_args(extra)
    if unknown:
        known = ", ".join("--" + i.name.replace("_", "-") for i in cfg.describe(spec.config_class))
        raise UsageError(
            f"unknown option(s) {' '.join(unknown)} for model {spec.id}; its settings are: {known}"
        )
    dataset_id = args.dataset or spec.default_dataset
    if not dataset_id:
        raise UsageError(f"--dataset is required: model {spec.id} has no default dataset")
    try:
        dataset = manager.dataset_for(dataset_id, args.reader)
    except (KeyError, DatasetError) as exc:
        raise UsageError(f"--dataset: {exc.args[0] if exc.args else exc}") from None
    if dataset.kind not in spec.dataset_kinds:
        raise UsageError(
            f"--dataset: {dataset.id} holds {dataset.kind} data, but model {spec.id} "
            f"trains on {', '.join(spec.dataset_kinds)} data"
        )
    if args.preset and args.preset not in spec.presets:
        raise UsageError(
            f"--preset {args.preset!r}: model {spec.id} has presets "
            f"{', '.join(map(repr, spec.presets)) or 'none'}"
        )
    preset = dict(spec.presets.get(args.preset, {})) if args.preset else {}
    engine_preset = {k: v for k, v in preset.items() if k in ENGINE_PRESET_KEYS}
    file_values = _config_file(args.config)
    flags = {k[4:]: v for k, v in vars(model_args).items() if v is not None}
    try:
        config = cfg.build(
            spec.config_class,
            {k: v for k, v in preset.items() if k not in ENGINE_PRESET_KEYS},
            file_values,
            flags,
        )
    except cfg.ConfigError as exc:
        flag = "--" + str(exc).split(":", 1)[0].replace("_", "-")
        raise UsageError(f"{flag}: {str(exc).split(':', 1)[-1].strip()}") from None

    def pick(name: str, default: Any) -> Any:
        value = getattr(args, name)
        return value if value is not None else engine_preset.get(name, default)

    settings = TrainSettings(
        steps=pick("steps", spec.default_steps),
        epochs=args.epochs or 0,
        seed=pick("seed", 0),
        device=pick("device", "auto"),
        precision=pick("precision", "fp32"),
        sample_every=pick("sample_every", 100),
        checkpoint_every=pick("checkpoint_every", 500),
        validate_every=pick("validate_every", 0),
        tensorboard=bool(args.tensorboard),
    )
    engine = create_engine(source, dataset, config, settings, args.run_dir, _progress())
    return _run_engine(engine)
