"""Contributions of this part of the plugin (filled in as the models land)."""

from __future__ import annotations

from studio import api


def models() -> list[api.ModelSpec]:
    return []


def sample_kinds() -> list[api.SampleKindSpec]:
    return []


def sample_views() -> list[api.SampleViewSpec]:
    return []


def exporters() -> list[api.ExporterSpec]:
    return []
