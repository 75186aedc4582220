"""The fully connected GAN of the book's chapter 4 (its trainer; the networks are in
``mlp_networks.py``)."""

from __future__ import annotations

from typing import Any

import torch

from studio import api

from .mlp_networks import MLPDiscriminator, MLPGenerator
from .options import ExploreOptions
from .trainer import ImageGANTrainer, bce, split_batch


class MLPGANTrainer(ImageGANTrainer):
    """Per batch: the discriminator's update (one step on real and fake together, or
    the book's two steps, real then fake), then the generator's on fresh noise."""

    options_class = ExploreOptions

    def __init__(self, config: Any, dataset: api.LoadedDataset, device: torch.device) -> None:
        super().__init__(config, dataset, device)
        self.generator = MLPGenerator(config.latent_dim, self.image_shape, config.hidden)
        self.discriminator = MLPDiscriminator(self.image_shape, config.hidden, config.dropout)
        self.generator.to(self.device)
        self.discriminator.to(self.device)
        self.opt_g = torch.optim.Adam(self.generator.parameters(), lr=config.lr)
        self.opt_d = torch.optim.Adam(self.discriminator.parameters(), lr=config.lr)

    def train_step(self, batch: Any, step: int) -> dict[str, torch.Tensor]:
        real, _ = split_batch(batch)
        n = real.shape[0]
        if self.config.d_update == "joint":
            with self.autocast():
                fake = self.generator(self.noise(n))
                logits = self.discriminator(torch.cat([real, fake.detach()]))
                d_loss = (bce(logits[:n], 1.0) + bce(logits[n:], 0.0)) / 2
            self.optimize(d_loss, self.opt_d)
        else:  # the book: a step on the real batch, then a step on a fake one
            with self.autocast():
                d_real = bce(self.discriminator(real), 1.0)
            self.optimize(d_real, self.opt_d)
            with self.autocast():
                d_fake = bce(self.discriminator(self.generator(self.noise(n)).detach()), 0.0)
            self.optimize(d_fake, self.opt_d)
            d_loss = (d_real.detach() + d_fake.detach()) / 2
        with self.autocast():
            g_loss = bce(self.discriminator(self.generator(self.noise(n))), 1.0)
        self.optimize(g_loss, self.opt_g)
        return {"d_loss": d_loss.detach(), "g_loss": g_loss.detach()}
