"""The CLI on runs that are damaged, locked, from elsewhere, or on a failing disk: one
line each (``genai-studio-cli: error: ...``), the documented exit code, nothing lost."""

from __future__ import annotations

import builtins
import errno
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio import cli
from studio.core.rundir import RunDir


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> Iterator[Path]:
    """A gan-shape run trained on a CSV by the CLI: checkpoints at steps 2 and 4."""
    root = tmp_path_factory.mktemp("made")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GENAI_STUDIO_KEY_DIR", str(root / "keys"))  # this machine's seal key
        csv = root / "curve.csv"
        csv.write_text("x,y\n" + "".join(f"{i / 10},{1.08 ** (i / 10):.5f}\n" for i in range(300)))
        args = ["train", "--model", "gan-shape", "--dataset", str(csv), "--steps", "4"]
        args += ["--checkpoint-every", "2", "--sample-every", "0", "--run-dir", str(root / "run")]
        code = cli.main(args)
        assert code == 0
        yield root


@pytest.fixture
def run(made, tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("GENAI_STUDIO_KEY_DIR", str(made / "keys"))
    shutil.copytree(made / "run", tmp_path / "run")
    return tmp_path / "run"


def one_error(capsys, code: int, expected: int, *needles: str) -> str:
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.startswith("genai-studio-cli: error:")]
    assert code == expected, err
    assert len(lines) == 1 and "Traceback" not in err, err
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }


# --- damaged checkpoints ----------------------------------------------------------------
def test_sampling_passes_over_a_damaged_checkpoint_and_says_so(run, tmp_path, capsys):
    model = run / "checkpoints" / "step_0000004" / "model.safetensors"
    model.write_bytes(model.read_bytes()[:100])  # truncated
    assert cli.main(["sample", "--run-dir", str(run), "--out", str(tmp_path / "p.json")]) == 0
    captured = capsys.readouterr()
    assert "warning: using the checkpoint at step 2" in captured.err
    assert "step_0000004: model.safetensors is unreadable" in captured.err
    assert "from the checkpoint at step 2" in captured.out
    state = run / "checkpoints" / "step_0000002" / "state.json"
    state.write_text("garbage")
    code = cli.main(["sample", "--run-dir", str(run), "--out", str(tmp_path / "p.json")])
    one_error(capsys, code, 1, "no intact checkpoint", "step_0000002: state.json is unreadable")
    code = cli.main(["train", "--resume", "--run-dir", str(run), "--steps", "6"])
    one_error(capsys, code, 1, "no intact checkpoint")


# --- one writer -------------------------------------------------------------------------
def test_a_second_writer_gets_one_line_naming_the_holder(run, tmp_path, capsys):
    code = textwrap.dedent(
        f"""
        import time
        from studio.core.runlock import RunLock
        lock = RunLock({str(run)!r}).acquire()
        lock2 = RunLock({str(tmp_path / "fresh")!r}).acquire()
        print("locked", flush=True)
        time.sleep(120)
        """
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "locked"
        code = cli.main(["train", "--resume", "--run-dir", str(run), "--steps", "6"])
        one_error(capsys, code, 2, f"pid {child.pid}")
        code = cli.main(
            ["train", "--model", "gan-shape", "--steps", "2", "--run-dir", str(tmp_path / "fresh")]
        )
        one_error(capsys, code, 2, f"process {child.pid}")
    finally:
        child.kill()
        child.wait()
    assert RunDir(run).status()["step"] == 4  # untouched


# --- file-system errors -----------------------------------------------------------------
def fail_writes_under(monkeypatch, root: Path, code: int) -> None:
    """Every way the app writes a file under ``root`` fails with ``code`` (a read-only
    folder: EROFS; a full disk: ENOSPC)."""
    root = Path(root).resolve()

    def inside(path) -> bool:
        try:
            return Path(os.fspath(path)).resolve().is_relative_to(root)
        except (TypeError, ValueError):
            return False

    def fail(path):
        raise OSError(code, os.strerror(code), os.fspath(path))

    real_open, real_os_open = builtins.open, os.open
    real_mkstemp, real_mkdtemp, real_mkdir = tempfile.mkstemp, tempfile.mkdtemp, os.mkdir

    def guarded_open(file, mode="r", *args, **kwargs):
        if any(c in mode for c in "wax+") and isinstance(file, (str, Path)) and inside(file):
            fail(file)
        return real_open(file, mode, *args, **kwargs)

    def guarded_os_open(path, flags, *args, **kwargs):
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT) and inside(path):
            fail(path)
        return real_os_open(path, flags, *args, **kwargs)

    def guarded_mkstemp(*args, dir=None, **kwargs):
        if dir is not None and inside(dir):
            fail(dir)
        return real_mkstemp(*args, dir=dir, **kwargs)

    def guarded_mkdtemp(*args, dir=None, **kwargs):
        if dir is not None and inside(dir):
            fail(dir)
        return real_mkdtemp(*args, dir=dir, **kwargs)

    def guarded_mkdir(path, *args, **kwargs):
        if inside(path):
            fail(path)
        return real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded_open)
    monkeypatch.setattr(os, "open", guarded_os_open)
    monkeypatch.setattr(tempfile, "mkstemp", guarded_mkstemp)
    monkeypatch.setattr(tempfile, "mkdtemp", guarded_mkdtemp)
    monkeypatch.setattr(os, "mkdir", guarded_mkdir)


@pytest.mark.parametrize("code", [errno.EROFS, errno.ENOSPC])
def test_resume_on_a_read_only_or_full_disk_is_one_line_and_loses_nothing(
    run, capsys, monkeypatch, code
):
    before = snapshot(run)
    fail_writes_under(monkeypatch, run, code)
    result = cli.main(["train", "--resume", "--run-dir", str(run), "--steps", "6"])
    monkeypatch.undo()
    one_error(capsys, result, 1, os.strerror(code), "nothing was lost")
    assert snapshot(run) == before
    assert cli.main(["train", "--resume", "--run-dir", str(run), "--steps", "6"]) == 0


def test_sampling_onto_a_full_disk_is_one_line(run, tmp_path, capsys, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    fail_writes_under(monkeypatch, out, errno.ENOSPC)
    code = cli.main(["sample", "--run-dir", str(run), "--out", str(out / "p.json")])
    one_error(capsys, code, 1, "No space left on device")
    assert list(out.iterdir()) == []


def test_a_run_dir_that_is_a_file_is_one_line(tmp_path, capsys):
    path = tmp_path / "file.txt"
    path.write_text("not a folder")
    code = cli.main(["train", "--model", "gan-shape", "--steps", "2", "--run-dir", str(path)])
    one_error(capsys, code, 1, "is a file, not a run folder")
    code = cli.main(["sample", "--run-dir", str(path), "--out", str(tmp_path / "p.json")])
    one_error(capsys, code, 1, "is a file, not a run folder")
    assert path.read_text() == "not a folder"


# --- dataset paths of runs made elsewhere -----------------------------------------------
def test_a_run_made_elsewhere_reads_its_dataset_path_only_when_told(
    run, tmp_path, capsys, monkeypatch
):
    monkeypatch.setenv("GENAI_STUDIO_KEY_DIR", str(tmp_path / "other-machine"))
    out = str(tmp_path / "p.json")
    code = cli.main(["sample", "--run-dir", str(run), "--out", out])
    csv = RunDir(run).record().dataset["path"]
    one_error(capsys, code, 2, "was not made here", csv, "--trust-dataset-path")
    assert cli.main(["sample", "--run-dir", str(run), "--out", out, "--trust-dataset-path"]) == 0
    code = cli.main(["train", "--resume", "--run-dir", str(run), "--steps", "6"])
    one_error(capsys, code, 2, "was not made here")
    code = cli.main(
        ["train", "--resume", "--run-dir", str(run), "--steps", "6", "--trust-dataset-path"]
    )
    assert code == 0
    # the user vouched for it once: the run is sealed for this machine now
    assert cli.main(["sample", "--run-dir", str(run), "--out", out]) == 0


@pytest.mark.parametrize("path", ["/etc/passwd", "../../etc/passwd", "~/.ssh/id_rsa"])
def test_system_locations_are_never_read_from_a_run(run, tmp_path, capsys, path):
    doc = json.loads((run / "config.json").read_text())
    doc["dataset"]["path"] = path  # a run folder from someone else
    (run / "config.json").write_text(json.dumps(doc))
    code = cli.main(
        ["sample", "--run-dir", str(run), "--out", str(tmp_path / "p"), "--trust-dataset-path"]
    )
    one_error(capsys, code, 2, path, "not read")
