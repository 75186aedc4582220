"""MuseGAN training (WGAN-GP) and sampling to piano rolls with musical metrics."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from studio import api

from . import chorales, metrics
from .config import MuseGANConfig, MuseGANOptions
from .musegan_network import MuseCritic, MuseGenerator, MuseShape, init_weights
from .pianoroll import PianoRoll


def gradient_penalty(
    critic: torch.nn.Module, real: torch.Tensor, fake: torch.Tensor
) -> torch.Tensor:
    """WGAN-GP's (||grad critic(mix)|| - 1)^2 at random mixes of real and fake pieces.

    The mixing weight is drawn for every piece at every call: the book draws one
    (batch, 1, 1, 1, 1) tensor before training and reuses it for every step, so the
    penalty is always taken at the same 64 points along the real-fake lines."""
    alpha = torch.rand(real.size(0), 1, 1, 1, 1, device=real.device, dtype=real.dtype)
    mix = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    scores = critic(mix)
    (grad,) = torch.autograd.grad(scores.sum(), mix, create_graph=True)
    norm = grad.reshape(grad.size(0), -1).norm(2, dim=1)
    return ((1.0 - norm) ** 2).mean()


def prepare(dataset: api.LoadedDataset, mode: str) -> tuple[np.ndarray, np.ndarray]:
    """(train, valid) 2-bar pitch arrays (N, 4, 2, 16) of a chorales or piano-roll dataset."""
    train = chorales.windows(chorales.pieces_of(dataset, "train"), mode)
    valid = chorales.windows(chorales.pieces_of(dataset, "valid"), mode)
    if len(train) == 0:
        raise api.DatasetError(
            f"{dataset.name or 'the dataset'}: no 2-bar piece where four voices sound "
            "(MuseGAN needs at least one)"
        )
    return train, valid


class MuseGANTrainer(api.Trainer):
    def __init__(self, config: MuseGANConfig, dataset: api.LoadedDataset, device) -> None:
        super().__init__(config, dataset, device)
        train, _valid = prepare(dataset, config.windows)
        self.data_ints = train
        self.tonic = metrics.estimate_key(metrics.pitch_class_histogram(chorales.grid_of(train)))
        self.data_metrics = metrics.music_metrics(chorales.grid_of(train), self.tonic)
        # +1/-1 stored as int8 (a quarter of float32's memory); made float per batch.
        pieces = torch.from_numpy(chorales.one_hot(train)).to(torch.int8)
        self.dataset = api.LoadedDataset(
            kind="musegan-pieces",
            train=(pieces,),
            info={**(dataset.info or {}), "pieces_2bar": len(train)},
            name=dataset.name,
        )
        self.shape = MuseShape(
            z_dim=config.z_dim,
            hid_channels=config.hid_channels,
            hid_features=config.hid_features,
            critic_channels=config.critic_channels,
            critic_features=config.critic_features,
        )
        self.generator = MuseGenerator(self.shape).to(self.device)
        self.critic = MuseCritic(self.shape).to(self.device)
        self.generator.apply(init_weights)
        self.critic.apply(init_weights)
        betas = (config.beta1, config.beta2)
        self.opt_g = torch.optim.Adam(self.generator.parameters(), lr=config.lr, betas=betas)
        self.opt_c = torch.optim.Adam(self.critic.parameters(), lr=config.lr, betas=betas)

    def modules(self):
        return {"generator": self.generator, "critic": self.critic}

    def optimizers(self):
        return {"generator": self.opt_g, "critic": self.opt_c}

    def noise(
        self, n: int, generator: torch.Generator | None = None, kind: str = "normal"
    ) -> tuple[torch.Tensor, ...]:
        """Chords (n, z), style (n, z), melody (n, tracks, z), groove (n, tracks, z)."""
        z, t = self.shape.z_dim, self.shape.n_tracks
        draw = torch.randn if kind == "normal" else torch.rand
        parts = [draw(n, z, generator=generator), draw(n, z, generator=generator)]
        parts += [draw(n, t, z, generator=generator), draw(n, t, z, generator=generator)]
        return tuple(p.to(self.device) for p in parts)

    def train_step(self, batch, step):
        real = batch.float()
        n = real.size(0)
        c = self.config
        self.critic.requires_grad_(True)
        for _ in range(c.critic_steps):
            with torch.no_grad(), self.autocast():
                fake = self.generator(*self.noise(n))
            fake = fake.float()
            with self.autocast():
                wasserstein = self.critic(fake).mean() - self.critic(real).mean()
            penalty = gradient_penalty(self.critic, real, fake)
            c_loss = wasserstein.float() + c.gp_weight * penalty
            self.optimize(c_loss, self.opt_c)
        self.critic.requires_grad_(False)  # the generator's step needs no critic gradients
        with self.autocast():
            g_loss = -self.critic(self.generator(*self.noise(n))).mean()
        self.optimize(g_loss.float(), self.opt_g)
        self.critic.requires_grad_(True)
        return {
            "critic_loss": c_loss.detach(),
            "generator_loss": g_loss.detach(),
            "wasserstein": -wasserstein.detach(),
            "penalty": penalty.detach(),
        }

    def generate_ints(
        self, generator: torch.Generator, n: int, noise: str = "normal"
    ) -> np.ndarray:
        """(n, 4, 2, 16) pitches (-1: rest) drawn from the generator."""
        with self.eval_mode():
            out = self.generator(*self.noise(n, generator, noise)).float().cpu().numpy()
        return chorales.ints_from_output(out)

    def sample(self, generator, n=None, options=None):
        opts = options or MuseGANOptions()
        pieces = n or (self.config.preview_pieces if options is None else opts.pieces)
        ints = self.generate_ints(generator, pieces, opts.noise)
        notes, bar, piece = chorales.notes_of(ints, tempo=opts.tempo)
        values = metrics.music_metrics(chorales.grid_of(ints), self.tonic)
        d = self.data_metrics
        caption = (
            f"{pieces} pieces of 2 bars; key of the data: {metrics.key_name(self.tonic)}; "
            f"data: in key {d['in_key']:.2f}, {d['pitch_classes_per_bar']:.1f} pitch "
            f"classes a bar, polyphony {d['polyphony']:.1f}"
        )
        return PianoRoll(
            notes=notes,
            tracks=list(chorales.TRACKS),
            bar_seconds=bar,
            piece_seconds=piece,
            caption=caption,
            metrics=values,
        )

    def extra_state(self) -> dict[str, Any]:
        return {"tonic": self.tonic}
