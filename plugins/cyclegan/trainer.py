"""CycleGAN's training step and sampling (Zhu et al., 2017; the book's chapter 6).

Two generators translate between domains A and B (``g_ab``, ``g_ba``); two PatchGAN
discriminators tell real images of each domain from translated ones (``d_a``, ``d_b``).
One step, as the paper's code does it:

1. the generators, with the discriminators frozen: the least-squares adversarial loss
   of both translations, plus ``cycle_weight`` x the cycle loss
   |G_BA(G_AB(a)) - a| + |G_AB(G_BA(b)) - b| (L1), plus, with ``identity`` > 0,
   ``identity`` x ``cycle_weight`` x |G_AB(b) - b| + |G_BA(a) - a|;
2. the discriminators: half the squared error of each on a real image (target 1) and
   on a translated one from the image pool (target 0).

The book updates the discriminators first and the generators second, with the same
losses; with one Adam per pair (as the book) the two ways give each network the same
kind of update. The learning rate is constant, or falls linearly to 0 over
``decay_steps`` from ``decay_from`` (the paper's second half of training).
"""

from __future__ import annotations

import itertools
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from studio import api

from . import domains as rule
from .data import Domain, domain_names, domains
from .discriminator import PatchDiscriminator
from .generator import ResnetGenerator
from .options import TranslateOptions
from .pool import ImagePool
from .translate import read_image, translate_folder
from .triples import ImageTriples
from .weights import initialise


def to_uint8(images: torch.Tensor) -> Any:
    """(N, C, H, W) in [-1, 1] -> (N, H, W, C) uint8, as ``api.Images`` holds them."""
    return rule.to_uint8(images.detach().float().cpu()).permute(0, 2, 3, 1).numpy()


def _mse(scores: torch.Tensor, target: float) -> torch.Tensor:
    """The least-squares GAN loss, in float32 (out of reduced precision)."""
    scores = scores.float()
    return F.mse_loss(scores, torch.full_like(scores, target))


class CycleGANTrainer(api.Trainer):
    """The two generators, the two discriminators, their optimizers and image pools."""

    def __init__(self, config: Any, dataset: api.LoadedDataset, device: torch.device) -> None:
        size, channels = config.image_size, config.channels
        self.a, self.b = domains(dataset, size, channels)
        self.held_a, self.held_b = domains(dataset, size, channels, held_out=True)
        self.names = domain_names(dataset)
        self.rule = dataset.info.get("rule")
        n = max(len(self.a), len(self.b))
        prep = {"size": size, "channels": channels, "range": [-1.0, 1.0], "domains": self.names}
        positions = api.LoadedDataset(
            kind=dataset.kind,
            train=(torch.arange(n),),
            info={"domains": self.names, "prep": prep},
            name=dataset.name,
        )
        super().__init__(config, positions, device)

        def generator() -> nn.Module:
            net = ResnetGenerator(channels, config.ngf, config.blocks)
            return initialise(net, config.init).to(self.device)

        def discriminator() -> nn.Module:
            net = PatchDiscriminator(channels, config.ndf, sigmoid=config.sigmoid)
            return initialise(net, config.init).to(self.device)

        self.g_ab, self.g_ba = generator(), generator()
        self.d_a, self.d_b = discriminator(), discriminator()
        betas = (config.beta1, config.beta2)
        gens = itertools.chain(self.g_ab.parameters(), self.g_ba.parameters())
        discs = itertools.chain(self.d_a.parameters(), self.d_b.parameters())
        self.opt_g = torch.optim.Adam(gens, lr=config.lr, betas=betas)
        self.opt_d = torch.optim.Adam(discs, lr=config.lr, betas=betas)
        self.sched_g = torch.optim.lr_scheduler.LambdaLR(self.opt_g, self.lr_factor)
        self.sched_d = torch.optim.lr_scheduler.LambdaLR(self.opt_d, self.lr_factor)
        self.pool_a, self.pool_b = ImagePool(config.pool_size), ImagePool(config.pool_size)

    # --- the engine's interface ------------------------------------------------------
    def modules(self) -> dict[str, nn.Module]:
        return {"g_ab": self.g_ab, "g_ba": self.g_ba, "d_a": self.d_a, "d_b": self.d_b}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"generators": self.opt_g, "discriminators": self.opt_d}

    def schedulers(self) -> dict[str, Any]:
        return {"generators": self.sched_g, "discriminators": self.sched_d}

    def extra_state(self) -> dict[str, Any]:
        return {"pool_a": self.pool_a.state(), "pool_b": self.pool_b.state()}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        self.pool_a.load_state(state.get("pool_a") or {}, self.device)
        self.pool_b.load_state(state.get("pool_b") or {}, self.device)

    def lr_factor(self, step: int) -> float:
        """The learning rate's multiplier at ``step``: 1, then linearly down to 0."""
        start, length = self.config.decay_from, self.config.decay_steps
        if length <= 0 or step < start:
            return 1.0
        return max(0.0, 1.0 - (step - start) / length)

    def real_batch(self, positions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Image ``i mod |A|`` of A for each position, and as many random images of B."""
        idx = positions.cpu()
        flip = self.config.flip
        real_a = self.a.batch(idx % len(self.a), flip)
        real_b = self.b.batch(torch.randint(len(self.b), (len(idx),)), flip)
        return real_a.to(self.device), real_b.to(self.device)

    def train_step(self, batch: torch.Tensor, step: int) -> dict[str, torch.Tensor]:
        real_a, real_b = self.real_batch(batch)
        c = self.config
        discriminators = (self.d_a, self.d_b)
        for d in discriminators:  # no gradients for them from the generators' loss
            d.requires_grad_(False)
        with self.autocast():
            fake_b = self.g_ab(real_a)
            fake_a = self.g_ba(real_b)
            adversarial = _mse(self.d_b(fake_b), 1.0) + _mse(self.d_a(fake_a), 1.0)
            cycle = F.l1_loss(self.g_ba(fake_b).float(), real_a) + F.l1_loss(
                self.g_ab(fake_a).float(), real_b
            )
            g_loss = adversarial + c.cycle_weight * cycle
            if c.identity > 0:
                identity = F.l1_loss(self.g_ab(real_b).float(), real_b) + F.l1_loss(
                    self.g_ba(real_a).float(), real_a
                )
                g_loss = g_loss + c.identity * c.cycle_weight * identity
        self.optimize(g_loss, self.opt_g)
        for d in discriminators:
            d.requires_grad_(True)
        with self.autocast():
            shown_a, shown_b = self.pool_a.query(fake_a), self.pool_b.query(fake_b)
            loss_a = 0.5 * (_mse(self.d_a(real_a), 1.0) + _mse(self.d_a(shown_a), 0.0))
            loss_b = 0.5 * (_mse(self.d_b(real_b), 1.0) + _mse(self.d_b(shown_b), 0.0))
            d_loss = loss_a + loss_b
        self.optimize(d_loss, self.opt_d)
        self.sched_g.step()
        self.sched_d.step()
        out = {
            "g_loss": g_loss.detach(),
            "d_loss": d_loss.detach(),
            "adversarial": adversarial.detach(),
            "cycle": cycle.detach(),
        }
        if c.identity > 0:
            out["identity"] = identity.detach()
        return out

    # --- translation -------------------------------------------------------------------
    def generators(self, direction: str) -> tuple[nn.Module, nn.Module]:
        """(there, back) for ``direction`` ("A->B" or "B->A")."""
        return (self.g_ab, self.g_ba) if direction == "A->B" else (self.g_ba, self.g_ab)

    @torch.no_grad()
    def translate(self, images: torch.Tensor, direction: str) -> tuple[torch.Tensor, torch.Tensor]:
        """(translated, translated back) of images in [-1, 1], in eval mode (instance
        norm is the same either way: it keeps no running statistics)."""
        there, back = self.generators(direction)
        with self.eval_mode():
            translated = there(images.to(self.device)).float()
            return translated, back(translated).float()

    def sources(self, direction: str, k: int, generator: torch.Generator) -> torch.Tensor:
        """``k`` images of the source domain, drawn with ``generator`` (held-out images
        when the data has them)."""
        domain: Domain = self.held_a if direction == "A->B" else self.held_b
        idx = torch.randperm(len(domain), generator=generator)[: min(k, len(domain))]
        return domain.batch(idx)

    def sample(
        self,
        generator: torch.Generator,
        n: int | None = None,
        options: TranslateOptions | None = None,
    ) -> ImageTriples:
        """Triples (source, translated, translated back) of data images each way (or of
        one image file, or a whole folder: see ``TranslateOptions``)."""
        *_, final = self.sample_stream(generator, n, options)
        return final

    def sample_stream(
        self,
        generator: torch.Generator,
        n: int | None = None,
        options: TranslateOptions | None = None,
        cancel: api.CancelToken | None = None,
    ):
        preview = options is None  # the engine's previews: the config's number of images
        options = TranslateOptions() if options is None else options
        if options.folder:
            yield from translate_folder(self, options, cancel)
            return
        if cancel is not None:
            cancel.raise_if_cancelled()
        direction = "B->A" if options.direction == "B->A" else "A->B"
        if options.image:
            image = read_image(options.image, self.config.image_size, self.config.channels)
            yield self.triples([(direction, image)])
            return
        k = n or (self.config.preview_images if preview else options.images)
        directions = ["A->B", "B->A"] if options.direction == "both" else [options.direction]
        if len(directions) == 2:  # rows of equal length: no more than the smaller domain has
            k = min(k, len(self.held_a), len(self.held_b))
        yield self.triples([(d, self.sources(d, k, generator)) for d in directions])

    def triples(self, groups: list[tuple[str, torch.Tensor]]) -> ImageTriples:
        """The triple sample of ``(direction, source images)`` groups, with metrics:
        ``cycle_error``, the mean absolute difference between the sources and their
        round trips in [0, 1] pixel units; on the embedded digit domains also
        ``translation_error``, that between the translations and the true ones."""
        parts, cycle, truth = [], [], []
        for direction, source in groups:
            translated, back = self.translate(source, direction)
            source = source.to(self.device).float()
            cycle.append(float((back - source).abs().mean()) / 2)
            if self.rule == rule.RULE:
                true = rule.render_b(source) if direction == "A->B" else rule.derender_b(source)
                truth.append(float((translated - true).abs().mean()) / 2)
            parts.append((direction, to_uint8(source), to_uint8(translated), to_uint8(back)))
        metrics = {"cycle_error": sum(cycle) / len(cycle)}
        if truth:
            metrics["translation_error"] = sum(truth) / len(truth)
        return ImageTriples.build(parts, metrics)
