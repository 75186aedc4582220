"""The Qt-free half of installing: what a target is, pip's command lines, the plan read
from pip's --report, contract versions read from sources without running them."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile

import pytest

from studio import plugin_install as pi
from studio.core.contributions import API_VERSION

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "studio_flow2d"


def test_targets_are_classified(tmp_path):
    (tmp_path / "p.whl").write_bytes(b"")
    (tmp_path / "p-1.0.tar.gz").write_bytes(b"")
    (tmp_path / "one.py").write_text("")
    (tmp_path / "notes.txt").write_text("")
    (tmp_path / "empty").mkdir()
    assert pi.classify(str(tmp_path / "p.whl")).kind == "wheel"
    assert pi.classify(str(tmp_path / "p-1.0.tar.gz")).kind == "sdist"
    assert pi.classify(str(tmp_path / "one.py")).kind == "file"
    assert pi.classify(str(EXAMPLE)) == pi.Target("folder", str(EXAMPLE))
    assert pi.classify("studio-foo>=1.2; python_version>'3'") == pi.Target(
        "requirement", "studio-foo>=1.2; python_version>'3'"
    )
    with pytest.raises(ValueError, match="not a Python project"):
        pi.classify(str(tmp_path / "empty"))
    with pytest.raises(ValueError, match="not a wheel"):
        pi.classify(str(tmp_path / "notes.txt"))
    with pytest.raises(ValueError, match="neither an existing path nor a requirement"):
        pi.classify("no such file.whl")


def test_pip_command_lines():
    target = pi.Target("requirement", "studio-foo==1.0")
    assert pi.pip("/py", *pi.install_args(target, dry_run=True, options=["--no-index"])) == [
        "/py", "-m", "pip", "--disable-pip-version-check", "--no-input",
        "install", "--no-index", "--dry-run", "--quiet", "--report", "-", "studio-foo==1.0",
    ]  # fmt: skip
    assert pi.install_args(target) == ["install", "studio-foo==1.0"]
    assert pi.uninstall_args(["studio-foo"]) == ["uninstall", "--yes", "studio-foo"]
    with pytest.raises(ValueError):
        pi.install_args(pi.Target("file", "x.py"))


def _report(*items):
    return "WARNING: some pip chatter\n" + json.dumps({"version": "1", "install": list(items)})


def _item(name, version, url="https://example.org/x.whl", requested=False):
    return {
        "download_info": {"url": url},
        "requested": requested,
        "metadata": {"name": name, "version": version},
    }


def test_the_plan_warns_about_torch_pyside_and_the_app():
    installed = {"torch": "2.14.1", "numpy": "2.0.0", "genai-studio": "0.1.0"}.get
    report = _report(
        _item("studio-foo", "1.0", requested=True),
        _item("torch", "2.3.0"),
        _item("numpy", "2.1.0"),
        _item("PySide6_Addons", "6.12.0"),
        _item("genai-studio", "0.1.0"),
    )
    plan = pi.parse_report(report, installed)
    assert [p.describe() for p in plan.packages] == [
        "studio-foo 1.0 (new)",
        "torch 2.14.1 -> 2.3.0 (downgrade)",
        "numpy 2.0.0 -> 2.1.0 (upgrade)",
        "PySide6_Addons 6.12.0 (new)",
        "genai-studio 0.1.0 -> 0.1.0 (reinstall)",
    ]
    assert [p.name for p in plan.protected_changes] == ["torch", "PySide6_Addons"]
    assert "WARNING: this changes packages GenAI Studio runs on" in plan.summary()
    assert [p.requested for p in plan.packages] == [True, False, False, False, False]
    with pytest.raises(ValueError, match="pip's report could not be read"):
        pi.parse_report("ERROR: no matching distribution")


def test_contract_versions_are_read_from_a_folder_and_a_wheel_without_importing(project, tmp_path):
    good = project("studio-good", "good-model")
    future = project("studio-future", "future-model", api="2.0")
    assert pi.read_plugins(good, "studio-good") == [
        pi.PluginInfo("studio_good", "studio_good", "studio-good", "1.0")
    ]
    [info] = pi.read_plugins(future, "studio-future")
    assert info.refusal == (
        "plugin studio_future was written for contract version 2.0, but this GenAI Studio "
        f"provides {API_VERSION}; it was not installed"
    )
    wheel = tmp_path / "studio_future-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.write(future / "studio_future" / "__init__.py", "studio_future/__init__.py")
        zf.writestr(
            "studio_future-1.0.dist-info/entry_points.txt",
            "[genai_studio.plugins]\nstudio_future = studio_future\n",
        )
    [from_wheel] = pi.read_plugins(wheel, "studio-future")
    assert from_wheel.api_version == "2.0" and from_wheel.refusal
    assert "studio_future" not in sys.modules


def test_an_offline_dry_run_of_a_local_project_plans_and_refuses(project):
    """pip's real report (offline: a local folder, no index, no dependencies)."""
    future = project("studio-future", "future-model", api="2.0")
    args = pi.install_args(
        pi.Target("folder", str(future)), True, ["--no-index", "--no-deps", "--no-build-isolation"]
    )
    out = subprocess.run(pi.pip(sys.executable, *args), capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    plan = pi.parse_report(out.stdout)
    assert [(p.name, p.version, p.current) for p in plan.packages] == [
        ("studio-future", "1.0", None)
    ]
    assert plan.refusals and "contract version 2.0" in plan.refusals[0]


def test_single_file_plugins_are_checked_then_copied(tmp_path):
    good = tmp_path / "mine.py"
    good.write_text('STUDIO_API = "1.0"\n')
    old = tmp_path / "old.py"
    old.write_text('STUDIO_API = "0.9"\n')
    none = tmp_path / "none.py"
    none.write_text("x = 1\n")
    folder = tmp_path / "plugins"
    assert pi.copy_file_plugin(good, folder) == folder / "mine.py"
    assert (folder / "mine.py").read_text() == good.read_text()
    with pytest.raises(ValueError, match=r"contract version 0\.9"):
        pi.copy_file_plugin(old, folder)
    with pytest.raises(ValueError, match="declares no contract version"):
        pi.copy_file_plugin(none, folder)
    assert sorted(p.name for p in folder.iterdir()) == ["mine.py"]


def test_the_probe_reads_installed_plugins_in_a_child_process():
    out = subprocess.run(
        pi.probe_command(sys.executable, ["studio-flow2d"]), capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == [{"name": "flow2d", "dist": "studio-flow2d", "api": "1.0"}]
    assert pi.probe_refusals(out.stdout) == []
    assert pi.probe_refusals('[{"name": "x", "dist": "d", "api": "3.1"}]') == [
        pi.refusal_message("x", "3.1")
    ]
