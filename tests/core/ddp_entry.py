"""What torchrun starts in the distributed tests: the real CLI, with a deterministic
least-squares model registered, so a run on N processes can be compared number for
number with a run on one."""

from __future__ import annotations

import sys
from dataclasses import dataclass

from studio import api, cli
from studio.plugins import load_plugins


@dataclass
class LeastSquaresConfig:
    batch_size: int = api.param(32, min=1, max=4096, help="Global batch")
    lr: float = api.param(0.05, min=1e-6, max=1.0, help="SGD learning rate")


def _trainer(config, dataset, device):
    import torch

    class LeastSquares(api.Trainer):
        def __init__(self, config, dataset, device):
            super().__init__(config, dataset, device)
            self.net = torch.nn.Linear(8, 1).to(self.device)
            self.opt = torch.optim.SGD(self.net.parameters(), lr=config.lr, momentum=0.9)

        def modules(self):
            return {"net": self.net}

        def optimizers(self):
            return {"opt": self.opt}

        def train_step(self, batch, step):
            x, y = batch
            loss = (self.net(x).squeeze(1) - y).pow(2).mean()
            self.optimize(loss, self.opt)
            return {"loss": loss.detach()}

        def sample(self, generator, n=None):
            w = self.net.weight.detach().cpu().flatten()
            return api.Numbers(values=[round(float(v) * 100) for v in w], rule="weights x100")

    return LeastSquares(config, dataset, device)


def _data():
    import torch

    g = torch.Generator().manual_seed(0)
    x = torch.randn(512, 8, generator=g)
    w = torch.arange(1.0, 9.0)
    y = x @ w + 0.1 * torch.randn(512, generator=g)
    return api.LoadedDataset(kind="regression", train=(x, y))


class LeastSquaresPlugin:
    STUDIO_API = "1.0"

    @api.hookimpl
    def studio_models(self):
        return [
            api.ModelSpec(
                id="least-squares",
                name="Least squares",
                description="y = Xw, SGD with momentum: deterministic",
                dataset_kinds=("regression",),
                config_class=LeastSquaresConfig,
                trainer_factory=_trainer,
                default_dataset="regression-512",
            )
        ]

    @api.hookimpl
    def studio_datasets(self):
        return [api.DatasetSpec("regression-512", "Regression", "", "regression", _data)]


def manager():
    plugins = load_plugins()
    plugins.register(LeastSquaresPlugin(), "least_squares")
    return plugins


if __name__ == "__main__":
    registered = manager()
    from studio.cli import common

    common.load_manager = lambda args: registered
    sys.exit(cli.main(sys.argv[1:]))
