"""Chapter 15 of the book: diffusion models (``diffusion``), text-to-image and CLIP.

This is the plugin's hook module, imported at start-up: it stays cheap (no torch, no
Qt). The contributions are declared in two modules, one per part of the chapter:
``diffusion_specs`` (the unconditional U-Net and its samplers) and ``text_specs``
(text-to-image and CLIP).
"""

from __future__ import annotations

from studio import api

from . import diffusion_specs, text_specs

STUDIO_API = "1.1"
__version__ = "0.1.0"


@api.hookimpl
def studio_models() -> list[api.ModelSpec]:
    return [*diffusion_specs.models(), *text_specs.models()]


@api.hookimpl
def studio_sample_kinds() -> list[api.SampleKindSpec]:
    return [*diffusion_specs.sample_kinds(), *text_specs.sample_kinds()]


@api.hookimpl
def studio_sample_views() -> list[api.SampleViewSpec]:
    return [*diffusion_specs.sample_views(), *text_specs.sample_views()]


@api.hookimpl
def studio_exporters() -> list[api.ExporterSpec]:
    return [*diffusion_specs.exporters(), *text_specs.exporters()]
