"""The plugin contract of GenAI Studio: every hook a plugin may implement.

A plugin is a module (or any object) registered under the entry point group
``genai_studio.plugins``; the built-in models ship through that same group. It
declares the contract version it was written for and implements hooks with
``studio.api.hookimpl``::

    from studio import api

    STUDIO_API = "1.1"

    @api.hookimpl
    def studio_models():
        return [api.ModelSpec(...)]

Rules every hook follows:

- Hooks are called with keyword arguments only; a plugin may accept fewer
  arguments than the spec lists (pluggy passes only those it names).
- Every hook returns a list of contributions; the app collects them from all
  plugins. A hook that raises is recorded against its plugin (with the traceback,
  shown in the plugin manager) and the other plugins' contributions still load.
- Hook modules must be cheap to import: import torch, Qt and other heavy modules
  inside the factories a contribution holds, never at module level.

Contract version history:

- 1.0: ``studio_models``, ``studio_datasets``, ``studio_dataset_readers``,
  ``studio_exporters``.
- 1.1: ``studio_sample_kinds`` and ``studio_sample_views`` (sample kinds are
  contributions; the four built-in kinds come from the built-in plugin ``samples``);
  ``ModelSpec.sample_options`` (typed sampling options), ``Trainer.sample_stream``
  with a ``CancelToken``, and the ``RunHandle`` given to sampling widgets. A plugin
  declaring ``STUDIO_API = "1.0"`` loads unchanged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:  # pragma: no cover
    from studio.core.contributions import (
        DatasetSpec,
        ExporterSpec,
        ModelSpec,
        ReaderSpec,
        SampleKindSpec,
        SampleViewSpec,
    )

PROJECT = "genai_studio"
ENTRY_POINT_GROUP = "genai_studio.plugins"

hookspec = pluggy.HookspecMarker(PROJECT)


@hookspec
def studio_models() -> list[ModelSpec]:
    """Return the models this plugin contributes.

    Called once when plugins are loaded (and again after a plugin is enabled).
    Each ``ModelSpec`` names its config dataclass, presets, trainer factory,
    sampling widget factory and default embedded dataset. Model ids must be unique
    across all plugins; a duplicate id is refused and recorded as an error of the
    plugin that registered it second.
    """


@hookspec
def studio_datasets() -> list[DatasetSpec]:
    """Return the embedded datasets this plugin contributes.

    Embedded datasets are generated in code or shipped inside an installed package,
    so a model trains with no download. They appear in the dataset browser and are
    what ``ModelSpec.default_dataset`` refers to. Loading happens only when a run
    starts (``DatasetSpec.loader``).
    """


@hookspec
def studio_dataset_readers() -> list[ReaderSpec]:
    """Return dataset readers: how this plugin turns a dropped path into a dataset.

    On a drop (folder, files or archive) every reader's ``accepts(path)`` is asked;
    among those that accept, the highest ``priority`` wins, and the user chooses
    when several tie. ``accepts`` must be cheap; ``load`` may be slow and is run off
    the GUI thread.
    """


@hookspec
def studio_exporters() -> list[ExporterSpec]:
    """Return exporters: ways to write a trained model or a sample to another format
    (ONNX, TorchScript, PNG grid, GIF, MIDI, WAV, text...).

    ``ExporterSpec.applies_to`` restricts an exporter to some model ids or sample
    kinds; empty means it applies to all.
    """


@hookspec
def studio_sample_kinds() -> list[SampleKindSpec]:
    """Return the sample kinds this plugin contributes (contract 1.1).

    A kind is a Qt-free ``Sample`` subclass that writes itself to a file and reads
    itself back; the engine saves each preview with it, and the gallery, the compare
    view, the CLI and ``load_sample`` read run folders through the kinds registered
    here. Kind names are unique across plugins. When the plugin providing a run's
    kind is disabled or missing, the app shows a generic view naming the plugin.
    """


@hookspec
def studio_sample_views() -> list[SampleViewSpec]:
    """Return the views that render sample kinds in the gallery, the compare view and
    Explore (contract 1.1).

    ``SampleViewSpec.factory`` builds a ``studio.api_qt.SampleView``; it imports Qt
    inside, so listing views never loads Qt. A plugin may contribute a view for a
    kind another plugin defines. A kind with no view is shown by the generic view.
    """
