"""Data that would silently poison a run or crash it late: NaN/inf values, a text
dataset changed under a GPT run, and dataset paths a run folder from elsewhere names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from studio import api
from studio.core import config as cfg
from studio.core import dataset_trust as trust
from studio.core.dataset_registry import DatasetRegistry
from studio.core.errors import DatasetError
from studio.core.rundir import RunDir, RunRecord
from studio.core.session import create_engine, resume_engine
from studio.core.settings import EngineSettings


# --- NaN and inf ------------------------------------------------------------------------
def test_the_csv_reader_skips_and_reports_rows_that_are_not_finite(tmp_path):
    from plugins.readers.tables import load_csv

    path = tmp_path / "t.csv"
    path.write_text("x,y\n0,1\nnan,2\n1,inf\n2,-Infinity\n3,4\n")
    loaded = load_csv(path)
    assert loaded.train[0].tolist() == [[0.0, 1.0], [3.0, 4.0]]
    reasons = dict(loaded.info["skipped"])
    assert reasons == {
        f"{path}:3": "not finite (nan)",
        f"{path}:4": "not finite (inf)",
        f"{path}:5": "not finite (-Infinity)",
    }


def test_a_nan_in_the_data_ends_the_shape_gan_as_a_nan_not_a_crash(plugins, tmp_path):
    source = plugins.model_source("gan-shape")
    points = torch.stack([torch.linspace(0, 5, 256), torch.linspace(1, 2, 256)], dim=1)
    points[7, 1] = float("nan")

    def load():
        return api.LoadedDataset(kind="table", train=(points,), info={"columns": ["x", "y"]})

    dataset = api.DatasetSpec("with-nan", "NaN", "", "table", load)
    config = cfg.build(source.spec.config_class, {})
    settings = EngineSettings(steps=20, device="cpu", sample_every=0, checkpoint_every=0)
    result = create_engine(source, dataset, config, settings, tmp_path / "r").run()
    assert result.state == "nan"  # the CLI's exit 3
    assert "NaN or inf values reached the model" in result.message
    assert RunDir(tmp_path / "r").status()["state"] == "nan"


# --- a text dataset changed under a GPT run --------------------------------------------
def test_a_changed_text_dataset_is_named_before_any_weight_is_loaded(plugins, tmp_path):
    text = tmp_path / "corpus.txt"
    text.write_text("abcabcabc abc " * 200)
    source = plugins.model_source("gpt")
    dataset = plugins.dataset_for(str(text))
    tiny = {"size": "custom", "n_layer": 1, "n_head": 1, "n_embd": 8, "block_size": 8}
    tiny |= {"batch_size": 2, "preview_tokens": 4, "warmup_steps": 0}
    config = cfg.build(source.spec.config_class, tiny)
    settings = EngineSettings(steps=2, device="cpu", sample_every=0, checkpoint_every=0)
    assert create_engine(source, dataset, config, settings, tmp_path / "r").run().step == 2
    text.write_text("a new text with many more characters: xyz! " * 50)
    with pytest.raises(DatasetError) as caught:
        resume_engine(tmp_path / "r", plugins.resolve_run, total_steps=4)
    message = str(caught.value)
    assert "the dataset changed since the run was made" in message and str(text) in message
    assert "tokenizer" in message and "size mismatch" not in message


# --- dataset paths of runs from elsewhere -----------------------------------------------
@pytest.fixture
def keys(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv(trust.KEY_DIR_ENV, str(tmp_path / "keys"))
    return tmp_path / "keys"


def ref(path: str) -> dict:
    return {"id": path, "source": "path", "kind": "table", "path": path, "reader": "csv"}


def test_a_sealed_reference_is_this_machines_and_a_copied_seal_does_not_fit(
    keys, tmp_path, monkeypatch
):
    data = trust.seal(ref(str(tmp_path / "d.csv")))
    assert trust.is_sealed_here(data)
    assert trust.check_run_dataset(data) == tmp_path / "d.csv"
    moved = {**data, "path": str(tmp_path / "other.csv")}  # the seal covers the path
    assert not trust.is_sealed_here(moved)
    monkeypatch.setenv(trust.KEY_DIR_ENV, str(tmp_path / "another-machine"))
    assert not trust.is_sealed_here(data)
    with pytest.raises(trust.UntrustedDataset, match="was not made here") as caught:
        trust.check_run_dataset(data)
    assert not caught.value.refused
    assert trust.check_run_dataset(data, trusted=True) == tmp_path / "d.csv"


@pytest.mark.parametrize(
    "path",
    ["/etc/passwd", "/etc", "/proc/self/environ", "/usr/share/dict/words", "~/.ssh/id_rsa"],
)
def test_system_and_private_locations_are_refused_even_when_trusted(keys, path):
    with pytest.raises(trust.UntrustedDataset, match="not read") as caught:
        trust.check_run_dataset(ref(path), trusted=True)
    assert caught.value.refused


@pytest.mark.parametrize("path", ["../../etc/passwd", "data/../../x.csv", "x.csv"])
def test_relative_paths_from_a_run_are_refused(keys, path):
    with pytest.raises(trust.UntrustedDataset, match="relative path"):
        trust.check_run_dataset(ref(path), trusted=True)


def test_a_path_the_user_added_to_the_workspace_is_trusted(keys, tmp_path):
    workspace = tmp_path / "ws"
    dropped = tmp_path / "mine" / "points.csv"
    DatasetRegistry(workspace).add(dropped, "csv", dropped, "reference")
    assert trust.check_run_dataset(ref(str(dropped)), workspace=workspace) == dropped
    copied = workspace / "datasets" / "points" / "points.csv"
    assert trust.check_run_dataset(ref(str(copied)), workspace=workspace) == copied
    with pytest.raises(trust.UntrustedDataset):
        trust.check_run_dataset(ref(str(tmp_path / "elsewhere.csv")), workspace=workspace)


def test_resolve_run_applies_the_rule(plugins, keys, tmp_path):
    record = RunRecord(
        model="gan-shape",
        plugin="shapes_gan",
        plugin_version="1",
        config={},
        dataset=ref("/etc/passwd"),
    )
    with pytest.raises(trust.UntrustedDataset, match="system location"):
        plugins.resolve_run(record, trust_dataset_path=True)
    csv = tmp_path / "c.csv"
    csv.write_text("x,y\n0,1\n1,2\n")
    record.dataset = ref(str(csv))
    with pytest.raises(trust.UntrustedDataset, match="--trust-dataset-path"):
        plugins.resolve_run(record)
    assert plugins.resolve_run(record, trust_dataset_path=True)[1].path == str(csv)
    record.dataset = trust.seal(ref(str(csv)))
    assert plugins.resolve_run(record)[1].path == str(csv)


def test_metrics_rows_stay_json_with_nan_and_old_bare_nan_still_reads(tmp_path):
    run = RunDir(tmp_path)
    run.append_metrics([{"step": 1, "loss": float("nan"), "g": float("inf"), "d": -float("inf")}])
    line = run.metrics_path.read_text().strip()

    def strict(name):
        raise ValueError(f"bare {name} is not JSON")

    assert json.loads(line, parse_constant=strict)["loss"] == "NaN"
    with open(run.metrics_path, "a") as fh:
        fh.write('{"step": 2, "loss": NaN, "g": null}\n')  # what older releases wrote
    rows = run.read_metrics()
    assert [r["step"] for r in rows] == [1, 2]
    assert all(r["loss"] != r["loss"] for r in rows)  # NaN both times
    assert rows[0]["g"] == float("inf") and rows[0]["d"] == -float("inf")
    assert rows[1]["g"] != rows[1]["g"]
    run.truncate_metrics_after(5)  # rewriting keeps the strict form
    for text in run.metrics_path.read_text().splitlines():
        json.loads(text, parse_constant=strict)
