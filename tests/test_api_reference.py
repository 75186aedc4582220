"""docs/api-reference.md is generated from the public API's docstrings: it must match
what docs/gen_api_reference.py writes today (run it after changing the API)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _generator():
    path = DOCS / "gen_api_reference.py"
    spec = importlib.util.spec_from_file_location("gen_api_reference", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_api_reference_is_up_to_date():
    written = (DOCS / "api-reference.md").read_text(encoding="utf-8")
    assert written == _generator().render(), (
        "docs/api-reference.md is out of date: run python docs/gen_api_reference.py"
    )


def test_the_reference_documents_what_authors_look_for():
    text = (DOCS / "api-reference.md").read_text(encoding="utf-8")
    for name in (
        "Trainer",
        "Images",
        "prepare_images",
        "LoadedDataset",
        "ExporterSpec",
        "SampleKindSpec",
        "RunHandle",
        "CancelToken",
        "SamplingWidget",
    ):
        assert f"### `{name}" in text, name
    assert " at 0x" not in text  # no memory addresses: the file is stable
