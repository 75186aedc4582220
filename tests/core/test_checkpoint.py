from __future__ import annotations

import pytest
import torch

from studio.core import checkpoint as ck


def _state():
    model = torch.nn.Linear(3, 2)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.5, 0.999))
    model(torch.randn(4, 3)).sum().backward()
    opt.step()
    return model, opt


def test_tree_round_trip_keeps_optimizer_state_exactly(tmp_path):
    model, opt = _state()
    state = {"opt": opt.state_dict(), "rng": torch.get_rng_state(), "t": (1, 2.5, None)}
    ck.save_checkpoint(tmp_path, 7, model.state_dict(), state)
    weights, back = ck.load_checkpoint(tmp_path / "step_0000007")
    assert back["t"] == (1, 2.5, None)
    assert torch.equal(back["rng"], state["rng"])
    opt2 = torch.optim.Adam(torch.nn.Linear(3, 2).parameters(), lr=1.0)
    opt2.load_state_dict(back["opt"])
    assert opt2.param_groups[0]["betas"] == (0.5, 0.999)
    for a, b in zip(opt.state.values(), opt2.state.values(), strict=True):
        assert torch.equal(a["exp_avg"], b["exp_avg"])
    assert torch.equal(weights["weight"], model.weight.detach())


def test_nothing_is_unpickled(tmp_path):
    model, opt = _state()
    ck.save_checkpoint(tmp_path, 1, model.state_dict(), {"opt": opt.state_dict()})
    files = sorted(p.name for p in (tmp_path / "step_0000001").iterdir())
    assert files == ["model.safetensors", "state.json", "state.safetensors"]


def test_an_interrupted_write_leaves_the_previous_checkpoint_readable(tmp_path, monkeypatch):
    model, _opt = _state()
    ck.save_checkpoint(tmp_path, 10, model.state_dict(), {"step": 10})
    import safetensors.torch

    calls = {"n": 0}
    real = safetensors.torch.save_file

    def crash_midway(tensors, path, metadata=None):
        calls["n"] += 1
        if calls["n"] == 2:  # the weights are written, the state file is not
            with open(path, "wb") as fh:
                fh.write(b"\x00" * 10)
            raise OSError("disk full")
        return real(tensors, path, metadata=metadata)

    monkeypatch.setattr(safetensors.torch, "save_file", crash_midway)
    with pytest.raises(OSError, match="disk full"):
        ck.save_checkpoint(tmp_path, 20, model.state_dict(), {"step": 20})
    monkeypatch.undo()
    assert [s for s, _ in ck.list_checkpoints(tmp_path)] == [10]
    _weights, state = ck.load_checkpoint(ck.latest_checkpoint(tmp_path))
    assert state == {"step": 10}
    assert not list(tmp_path.glob(".tmp-*"))  # the half-written temp folder is gone


def test_leftovers_of_a_killed_writer_are_ignored_and_pruned(tmp_path):
    model, _ = _state()
    for step in (1, 2, 3, 4):
        ck.save_checkpoint(tmp_path, step, model.state_dict(), {"step": step})
    (tmp_path / ".tmp-step_0000005-abc").mkdir()  # a process killed mid-write
    (tmp_path / "step_0000006").mkdir()  # an incomplete folder
    assert ck.latest_checkpoint(tmp_path).name == "step_0000004"
    ck.prune_checkpoints(tmp_path, keep=2)
    assert [s for s, _ in ck.list_checkpoints(tmp_path)] == [3, 4]
    assert not (tmp_path / ".tmp-step_0000005-abc").exists()
