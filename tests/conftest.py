"""Shared test set-up: offscreen Qt, a loaded plugin manager, temporary workspaces."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.pop("GENAI_STUDIO_DISABLE_PLUGINS", None)

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def plugins():
    from studio.plugins import load_plugins

    return load_plugins()


@pytest.fixture
def workspace(tmp_path, monkeypatch) -> Path:
    ws = tmp_path / "workspace"
    ws.mkdir()
    monkeypatch.setenv("GENAI_STUDIO_WORKSPACE", str(ws))
    return ws


class _Toy:
    """A tiny model whose trainer can be told to fail, go NaN or run out of memory at a
    given step: for the engine's and the window's failure paths."""

    @staticmethod
    def trainer_class(
        fail_at=None, nan_at=None, oom_at=None, message="the plugin broke", width: int = 3
    ):
        import torch

        from studio import api

        class ToyTrainer(api.Trainer):
            def __init__(self, config, dataset, device):
                super().__init__(config, dataset, device)
                self.net = torch.nn.Linear(width, 1)
                self.opt = torch.optim.SGD(self.net.parameters(), lr=0.1)

            def modules(self):
                return {"net": self.net}

            def optimizers(self):
                return {"opt": self.opt}

            def train_step(self, batch, step):
                if step == fail_at:
                    raise ValueError(message)
                if step == oom_at:
                    raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2 GiB")
                loss = self.net(batch).pow(2).mean()
                self.optimize(loss, self.opt)
                return {"loss": float("nan") if step == nan_at else loss.detach()}

            def sample(self, generator, n=None):
                return api.Numbers(values=[1, 2, 3])

        return ToyTrainer

    @staticmethod
    def manager(trainer_class, with_builtins: bool = False, data=None):
        """A plugin manager holding the toy model ``toy`` and its dataset ``toy-data``
        (``data()``: its training tensor; random (32, 3) at each load by default)."""
        from dataclasses import make_dataclass

        import torch

        from studio import api
        from studio.plugins import PluginManager, load_plugins

        class ToyPlugin:
            STUDIO_API = "1.0"

            @staticmethod
            @api.hookimpl
            def studio_models():
                config = make_dataclass("ToyConfig", [("batch_size", int, 4)])
                return [
                    api.ModelSpec(
                        id="toy",
                        name="Toy",
                        description="",
                        dataset_kinds=("toy",),
                        config_class=config,
                        trainer_factory=trainer_class,
                        default_dataset="toy-data",
                    )
                ]

            @staticmethod
            @api.hookimpl
            def studio_datasets():
                def load():
                    x = data() if data is not None else torch.randn(32, 3)
                    return api.LoadedDataset(kind="toy", train=(x,))

                return [api.DatasetSpec("toy-data", "Toy", "", "toy", load)]

        manager = load_plugins() if with_builtins else PluginManager()
        manager.register(ToyPlugin, "toy_plugin")
        return manager


@pytest.fixture
def toy() -> type[_Toy]:
    return _Toy
