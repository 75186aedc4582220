"""Training and sampling of the chapter 3 GANs: the classic alternating step, binary
cross-entropy for both networks, Adam for both (as the book)."""

from __future__ import annotations

import torch
from torch import nn

from studio import api

from . import data
from .config import GANSampleOptions
from .number_networks import NumberDiscriminator, NumberGenerator
from .shape_networks import ShapeDiscriminator, ShapeGenerator


class GANTrainer(api.Trainer):
    """Per batch: the discriminator's update (one step on real and fake together, or
    the book's two steps, real then fake), then one generator step."""

    latent_dim: int

    def __init__(self, config, dataset, device, generator: nn.Module, discriminator: nn.Module):
        super().__init__(config, dataset, device)
        self.generator = generator.to(self.device)
        self.discriminator = discriminator.to(self.device)
        self.loss_fn = nn.BCELoss()
        self.opt_g = torch.optim.Adam(self.generator.parameters(), lr=config.lr)
        self.opt_d = torch.optim.Adam(self.discriminator.parameters(), lr=config.lr)

    def modules(self):
        return {"generator": self.generator, "discriminator": self.discriminator}

    def optimizers(self):
        return {"generator": self.opt_g, "discriminator": self.opt_d}

    def noise(
        self, n: int, generator: torch.Generator | None = None, scale: float = 1.0
    ) -> torch.Tensor:
        z = torch.randn(n, self.latent_dim, generator=generator)
        return (z * scale).to(self.device)

    def train_step(self, batch, step):
        real = batch
        n = real.shape[0]
        ones = torch.ones(n, 1, device=self.device)
        zeros = torch.zeros(n, 1, device=self.device)

        if self.config.d_update == "joint":
            with self.autocast():
                fake = self.generator(self.noise(n))
                d_out = self.discriminator(torch.cat([real, fake.detach()]))
                d_loss = self.loss_fn(d_out.float(), torch.cat([ones, zeros]))
            self.optimize(d_loss, self.opt_d)
        else:  # the book: a step on the real batch, then a step on a fake one
            with self.autocast():
                d_real = self.loss_fn(self.discriminator(real).float(), ones)
            self.optimize(d_real, self.opt_d)
            with self.autocast():
                fake = self.generator(self.noise(n))
                d_fake = self.loss_fn(self.discriminator(fake.detach()).float(), zeros)
            self.optimize(d_fake, self.opt_d)
            d_loss = (d_real.detach() + d_fake.detach()) / 2

        with self.autocast():
            fake = self.generator(self.noise(n))
            g_loss = self.loss_fn(self.discriminator(fake).float(), ones)
        self.optimize(g_loss, self.opt_g)
        return {"d_loss": d_loss.detach(), "g_loss": g_loss.detach()}


class ShapeGANTrainer(GANTrainer):
    def __init__(self, config, dataset, device):
        self.latent_dim = config.latent_dim
        points = data.points_of(dataset)  # a user's two-column table is a shape too
        self.known_curve = "reference" in dataset.info
        if not self.known_curve:
            # Measured against at most 2,000 of the user's points: enough for a mean
            # nearest-point distance, and cheap at every preview.
            pick = torch.randperm(len(points), generator=torch.Generator().manual_seed(0))
            self.truth = points[pick[:2000]].numpy()
            columns = dataset.info.get("columns") or ["x", "y"]
            self.labels = (str(columns[0]), str(columns[1]))
            dataset = api.LoadedDataset(
                kind="points2d", train=(points,), info=dataset.info, name=dataset.name
            )
        super().__init__(
            config,
            dataset,
            device,
            ShapeGenerator(config.latent_dim),
            ShapeDiscriminator(config.dropout),
        )

    def sample(self, generator, n=None, options: GANSampleOptions | None = None):
        """``n`` points (default: the config's preview count); ``options`` scale the
        noise and say whether the reference (the true curve, or the data) comes along."""
        options = options or GANSampleOptions()
        n = n or self.config.preview_points
        z = self.noise(n, generator, options.noise_scale)
        points = self.generator(z).float().cpu().numpy()
        if not self.known_curve:
            return api.Points(
                points=points,
                reference=self.truth if options.reference else None,
                x_label=self.labels[0],
                y_label=self.labels[1],
                reference_style="points",
                metrics=data.data_metrics(points, self.truth),
            )
        return api.Points(
            points=points,
            reference=data.reference_curve() if options.reference else None,
            x_label="x",
            y_label="y = 1.08^x",
            metrics=data.curve_metrics(points),
        )


class NumberGANTrainer(GANTrainer):
    def __init__(self, config, dataset, device):
        self.latent_dim = data.WIDTH
        if config.fresh_batches and "rule" not in dataset.info:
            raise api.ConfigError(
                "fresh_batches draws multiples of 5, so it trains on the embedded "
                f"multiples-of-5 only, not on {dataset.name or 'this dataset'}"
            )
        super().__init__(
            config, dataset, device, NumberGenerator(data.WIDTH), NumberDiscriminator(data.WIDTH)
        )

    def train_step(self, batch, step):
        if self.config.fresh_batches:  # the book: new numbers each step (global RNG: resumable)
            values = data.MULTIPLE * torch.randint(0, data.WIDTH // data.MULTIPLE, (len(batch),))
            batch = nn.functional.one_hot(values, data.WIDTH).float().to(self.device)
        return super().train_step(batch, step)

    def sample(self, generator, n=None, options: GANSampleOptions | None = None):
        """``n`` integers (default: the config's preview count); ``options.reference``
        names the rule they should follow."""
        options = options or GANSampleOptions()
        n = n or self.config.preview_numbers
        z = self.noise(n, generator, options.noise_scale)
        values = self.generator(z).argmax(dim=1).cpu().tolist()
        rule = "multiples of 5" if options.reference else ""
        return api.Numbers(values=values, rule=rule, metrics=data.number_metrics(values))
