"""The public surface for plugin authors. Plugins import this module (and
``studio.api_qt`` in their sampling widget module), never ``studio.core`` or
``studio.ui`` directly: what is here stays stable within a contract version.

Importing this module is cheap (no torch): torch-dependent names (``Trainer``,
``LoadedDataset``, ``split``) are loaded on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

from studio.core.config import ConfigError, param
from studio.core.contributions import (
    API_VERSION,
    DatasetSpec,
    ExporterSpec,
    ModelSpec,
    ReaderSpec,
    SampleKindSpec,
    SampleViewSpec,
)
from studio.core.errors import DatasetError
from studio.core.run_handle import RunHandle
from studio.core.samples import Images, Numbers, Points, Sample, Text
from studio.core.sampling import CancelToken, SamplingCancelled
from studio.hookspecs import PROJECT

if TYPE_CHECKING:  # pragma: no cover
    from studio.core.datasets import LoadedDataset, split
    from studio.core.prepare import prepare_images
    from studio.core.text_corpus import TextCorpus
    from studio.core.trainer import Trainer

hookimpl = pluggy.HookimplMarker(PROJECT)
"""Decorator marking a function as a GenAI Studio hook implementation."""

_LAZY = {
    "Trainer": ("studio.core.trainer", "Trainer"),
    "LoadedDataset": ("studio.core.datasets", "LoadedDataset"),
    "split": ("studio.core.datasets", "split"),
    "prepare_images": ("studio.core.prepare", "prepare_images"),
    "TextCorpus": ("studio.core.text_corpus", "TextCorpus"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'studio.api' has no attribute {name!r}")


__all__ = [
    "API_VERSION",
    "CancelToken",
    "ConfigError",
    "DatasetError",
    "DatasetSpec",
    "ExporterSpec",
    "Images",
    "LoadedDataset",
    "ModelSpec",
    "Numbers",
    "Points",
    "ReaderSpec",
    "RunHandle",
    "Sample",
    "SamplingCancelled",
    "SampleKindSpec",
    "SampleViewSpec",
    "Text",
    "TextCorpus",
    "Trainer",
    "hookimpl",
    "param",
    "prepare_images",
    "split",
]
