"""Training and sampling of the image GANs.

- ``MLPGANTrainer`` (``gan-mlp``, in ``mlp_trainer.py``): the book's chapter 4 step.
- ``DCGANTrainer`` (``dcgan``): PyTorch's DCGAN example step: the discriminator on a
  real batch and on a fake batch (separate forward passes, so batch norm sees one kind
  at a time), then the generator through the same fake batch (or, as the book, on
  fresh noise: ``g_fresh_noise``); Adam 2e-4, (0.5, 0.999).
  Optionally an R1 penalty on the discriminator (``r1_gamma``), shifted images for
  it (``augment``, DiffAugment) and InfoGAN codes (``codes``): the quick CPU preset's
  remedies for small data.
- ``CGANTrainer`` (``cgan``): the same networks given the class; the WGAN-GP loss of the
  book's chapter 5 (or the BCE loss).

Every trainer resizes its data with ``api.prepare_images`` (images in [-1, 1]), draws
training noise from torch's global RNG (checkpointed by the engine) and samples with
the generator it is given only.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from studio import api

from . import explore
from .augment import AUGMENTATIONS
from .cgan_networks import CondCritic, CondGenerator
from .config import code_names
from .dcgan_networks import DCDiscriminator, DCGenerator, pytorch_init
from .options import LABEL_FIELDS, ExploreOptions, LabelOptions
from .pixels import to_uint8

REAL_STATS_ITEMS = 2048  # real images summarised for the sample metrics
REAL_STATS_FILES = 256  # fewer when they must be decoded from files


def split_batch(batch: Any) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Images and labels (or None) from what the engine hands ``train_step``: a tensor
    for unlabelled data, (images, labels) for labelled data."""
    if isinstance(batch, (tuple, list)):
        return batch[0], (batch[1] if len(batch) > 1 else None)
    return batch, None


def _real_images(part: Any) -> torch.Tensor:
    """Some real images of a prepared dataset part (N, C, H, W), for the sample metrics."""
    if isinstance(part, tuple):
        return part[0][:REAL_STATS_ITEMS].float()
    items = [part[i] for i in range(min(len(part), REAL_STATS_FILES))]
    return torch.stack([it[0] if isinstance(it, (tuple, list)) else it for it in items]).float()


class ImageGANTrainer(api.Trainer):
    """What the three models share: data preparation, noise, sampling, the explorer."""

    generator: nn.Module
    discriminator: nn.Module
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    conditional = False  # True when the generator also takes label vectors
    label_noun = "class"  # what a label vector stands for, in captions ("" when named)
    options_class: type = LabelOptions  # the sampling options (the ModelSpec names it too)
    no_labels = "this model takes no class"  # why a class option is refused

    def __init__(self, config: Any, dataset: api.LoadedDataset, device: torch.device) -> None:
        dataset = api.prepare_images(dataset, config.image_size, config.channels)
        super().__init__(config, dataset, device)
        self.image_shape = (config.channels, config.image_size, config.image_size)
        self.latent_dim = config.latent_dim
        self.classes = self._class_names(dataset)
        real = _real_images(dataset.train)
        self.real_mean = real.mean(0)
        self.real_spread = float(real.std(0).mean()) if len(real) > 1 else 1.0

    # A generator and a discriminator, each with its optimizer (the conditional GAN,
    # whose second network is a critic, names its own).
    def modules(self) -> dict[str, nn.Module]:
        return {"generator": self.generator, "discriminator": self.discriminator}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"generator": self.opt_g, "discriminator": self.opt_d}

    @staticmethod
    def _class_names(dataset: api.LoadedDataset) -> list[str]:
        names = dataset.info.get("classes")
        if names:
            return [str(c) for c in names]
        part = dataset.train
        if dataset.kind == "labelled-images" and isinstance(part, tuple) and len(part) > 1:
            return [str(i) for i in range(int(part[1].max()) + 1)]
        return []

    # --- noise and generation -------------------------------------------------
    def noise(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Latent vectors: from ``generator`` on the CPU when given (sampling), else from
        the global RNG on the training device (training)."""
        if generator is None:
            return torch.randn(n, self.latent_dim, device=self.device)
        return torch.randn(n, self.latent_dim, generator=generator).to(self.device)

    def generate(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Images in [-1, 1] from latents (and label vectors, for the conditional GAN)."""
        return self.generator(z)

    def input_gradient(self, score: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
        """d score / d inputs, kept in the graph (for the gradient penalties). Under fp16
        the scaled score is differentiated, then unscaled, so small gradients survive."""
        if self.scaler is None:
            return torch.autograd.grad(score, inputs, create_graph=True)[0]
        (grads,) = torch.autograd.grad(self.scaler.scale(score), inputs, create_graph=True)
        return grads / self.scaler.get_scale()

    # --- classes (the conditional GAN) or codes (DCGAN with InfoGAN codes) -------
    def onehot(self, labels: torch.Tensor) -> torch.Tensor:
        return F.one_hot(labels.long(), len(self.classes)).float()

    def class_index(self, label: int | str) -> int:
        """The index of a class (or code) given by name or by index."""
        if isinstance(label, str) and label in self.classes:
            return self.classes.index(label)
        try:
            index = int(label)
        except (TypeError, ValueError):
            index = -1
        if not 0 <= index < len(self.classes):
            names = ", ".join(self.classes)
            raise ValueError(f"{label!r} is not one of {names} (a name or an index)")
        return index

    def label_vectors(self, spec: Any, n: int) -> torch.Tensor:
        """``spec`` is a class (index or name), or a dict {class: weight} (a mix)."""
        if not self.conditional:
            raise ValueError(f"{type(self).__name__} takes no label vectors")
        k = len(self.classes)
        vec = torch.zeros(k)
        if isinstance(spec, dict):
            for label, weight in spec.items():
                vec[self.class_index(label)] += float(weight)
        else:
            vec[self.class_index(spec)] = 1.0
        return vec.expand(n, k).clone()

    def mix_caption(self, spec: Any) -> str:
        if isinstance(spec, dict):
            parts = [f"{float(w):.2g}x{self.classes[self.class_index(c)]}" for c, w in spec.items()]
            return " + ".join(parts)
        return self.classes[self.class_index(spec)]

    def preview_layout(self) -> tuple[int, int]:
        """(images per class, columns) of the default preview: whole rows per class,
        as square a grid as possible (10 classes: 10 x 10, one row each), or one row
        of ``preview_per_class`` images per class when the config sets it."""
        k = len(self.classes)
        per = getattr(self.config, "preview_per_class", 0)
        if per:
            return per, per
        rows = max(1, math.ceil(6 / k))  # rows per class: at least 6 rows in all
        side = k * rows
        return side * rows, side

    # --- sampling -------------------------------------------------------------
    def sample(
        self,
        generator: torch.Generator,
        n: int | None = None,
        options: ExploreOptions | None = None,
    ) -> api.Images:
        """A batch of images, or with ``options.explore`` the latent space explorer's
        strip (``interpolate``) or sum (``arithmetic``). ``options``: an instance of
        ``options_class`` (None: the defaults, as the engine's previews draw)."""
        options = self.options_class() if options is None else options
        labels = {name: self.option_label(options, name) for name in LABEL_FIELDS}
        with torch.no_grad():
            if options.explore == "interpolate":
                return explore.interpolate(
                    self,
                    options.seed_a,
                    options.seed_b,
                    options.steps,
                    labels["label_a"],
                    labels["label_b"],
                    spherical=options.spherical,
                )
            if options.explore == "arithmetic":
                seeds = (options.seed_a, options.seed_b, options.seed_c)
                return explore.arithmetic(
                    self, *seeds, labels["label_a"], labels["label_b"], labels["label_c"]
                )
            if options.explore != "none":
                raise api.ConfigError(f"explore: unknown mode {options.explore!r}")
            if labels["mix_with"] is not None and labels["label"] is None:
                raise api.ConfigError("mix_with: give label too (the class it is mixed with)")
            mix = getattr(options, "mix", 1.0)
            return self.sample_batch(generator, n, labels["label"], labels["mix_with"], mix)

    def option_label(self, options: Any, name: str) -> int | None:
        """The class index an option names (None when it is empty or absent); a
        ``ConfigError`` naming the option when the model has no such class."""
        value = getattr(options, name, "")
        if value is None or value == "":
            return None
        if not self.conditional:
            raise api.ConfigError(f"{name}: {self.no_labels}")
        try:
            return self.class_index(value)
        except ValueError as exc:
            raise api.ConfigError(f"{name}: {exc}") from None

    def draw(
        self, generator: torch.Generator, n: int | None = None
    ) -> tuple[torch.Tensor, list[str] | None]:
        """Images in [-1, 1] as the default sampling draws them, and their captions:
        fresh noise from ``generator``; with classes (or codes), every class in turn,
        whole rows each (``n`` defaults to the preview's size)."""
        if not self.conditional:
            n = n or self.config.preview_images
            return self.generate(self.noise(n, generator)), None
        k = len(self.classes)
        if n is None:
            per, _ = self.preview_layout()
            n = per * k
        index = torch.arange(n) * k // n
        images = self.generate(self.noise(n, generator), self.onehot(index))
        return images, [self.classes[i] for i in index.tolist()]

    def sample_batch(
        self,
        generator: torch.Generator,
        n: int | None = None,
        label: int | str | None = None,
        mix_with: int | str | None = None,
        mix: float = 1.0,
    ) -> api.Images:
        """With ``label`` (models with classes or codes): ``n`` images of that class,
        or with ``mix_with`` of the mix ``mix`` x label + (1 - mix) x mix_with (the
        book's label interpolation). Without: as ``draw`` (the engine's previews)."""
        if label is None:
            images, captions = self.draw(generator, n)
            # The default preview of a model with classes: whole rows per class.
            columns = self.preview_layout()[1] if self.conditional and n is None else None
            return api.Images(
                images=to_uint8(images),
                labels=captions,
                columns=columns,
                metrics=self.sample_metrics(images),
            )
        n = n or 64
        spec: Any = label if mix_with is None else {label: mix, mix_with: 1.0 - mix}
        y = self.label_vectors(spec, n)
        images = self.generate(self.noise(n, generator), y)
        # The metrics compare with the whole data set: only meaningful for all classes.
        return api.Images(images=to_uint8(images), labels=[self.mix_caption(spec)] * n)

    def sample_metrics(self, images: torch.Tensor) -> dict[str, float]:
        """Cheap numbers that show learning on any image data:

        - ``mean_image_error``: mean absolute difference between the mean generated
          image and the mean real image, in [0, 1] pixel units (falls as the generator
          learns where the data's ink is);
        - ``diversity``: the per-pixel spread of the samples over that of the data
          (about 1 when samples vary as much as real images; near 0 on mode collapse).
        """
        x = images.detach().float().cpu()
        metrics = {"mean_image_error": float((x.mean(0) - self.real_mean).abs().mean() / 2)}
        if len(x) > 1:
            metrics["diversity"] = float(x.std(0).mean()) / max(self.real_spread, 1e-6)
        return metrics


def bce(logits: torch.Tensor, target: float) -> torch.Tensor:
    """BCE on logits in float32 (kept out of reduced precision under autocast)."""
    logits = logits.float()
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target))


class DCGANTrainer(ImageGANTrainer):
    """DCGAN as PyTorch's example trains it; with ``codes`` > 0, as InfoGAN (Chen et
    al. 2016): the generator also takes a one-of-K code, drawn uniformly, and the
    discriminator learns to read it back from the image, the generator to make it
    readable (the code-reading loss, weight ``code_weight``, is added to both losses).
    Nothing says what a code means; on digits each tends to become one digit, which
    keeps the generator from drawing shapes halfway between two digits."""

    def __init__(self, config: Any, dataset: api.LoadedDataset, device: torch.device) -> None:
        super().__init__(config, dataset, device)
        c, size, _ = self.image_shape
        self.codes = config.codes
        if self.codes:
            self.conditional = True  # the generator takes code vectors, as labels
            self.classes = code_names(self.codes)
            self.label_noun = ""
            self.generator = CondGenerator(config.latent_dim, self.codes, c, size, config.ngf)
        else:
            self.generator = DCGenerator(config.latent_dim, c, size, config.ngf)
            self.no_labels = "this DCGAN has no codes (it was trained with codes=0)"
        self.generator.to(self.device)
        self.discriminator = DCDiscriminator(c, size, config.ndf, codes=self.codes)
        self.discriminator.to(self.device)
        if config.init == "pytorch":
            for module in self.modules().values():
                pytorch_init(module)
        betas = (config.beta1, config.beta2)
        self.opt_g = torch.optim.Adam(self.generator.parameters(), lr=config.lr, betas=betas)
        self.opt_d = torch.optim.Adam(self.discriminator.parameters(), lr=config.lr, betas=betas)
        self.augment = AUGMENTATIONS[config.augment]

    def generate(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if not self.codes:
            return self.generator(z)
        if labels is None:
            raise ValueError("this DCGAN has InfoGAN codes: give code vectors with the noise")
        return self.generator(z, labels.to(self.device))

    def discriminate(
        self, images: torch.Tensor, read_code: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The discriminator's logits, on augmented images when augmentation is on, and
        with ``read_code`` (generated images, codes on) its code logits, else None."""
        x = images if self.augment is None else self.augment(images)
        if read_code and self.codes:
            return self.discriminator.forward_with_code(x)
        return self.discriminator(x), None

    def train_step(self, batch: Any, step: int) -> dict[str, torch.Tensor]:
        real, _ = split_batch(batch)
        n = real.shape[0]
        r1 = self.config.r1_gamma > 0
        if r1:
            real = real.detach().float().requires_grad_(True)
        code = torch.randint(self.codes, (n,), device=self.device) if self.codes else None
        weight = self.config.code_weight
        with self.autocast():
            fake = self.generate(self.noise(n), None if code is None else self.onehot(code))
            d_real, _ = self.discriminate(real)
            d_fake, code_fake = self.discriminate(fake.detach(), read_code=True)
            d_loss = bce(d_real, 1.0) + bce(d_fake, 0.0)
            if r1:
                penalty = self.r1_penalty(d_real, real)
                d_loss = d_loss + self.config.r1_gamma / 2 * penalty
            if code is not None:
                d_loss = d_loss + weight * F.cross_entropy(code_fake.float(), code)
        self.optimize(d_loss, self.opt_d)
        if self.config.g_fresh_noise:  # the book: the generator's step on new noise
            with self.autocast():
                fake = self.generate(self.noise(n), None if code is None else self.onehot(code))
        with self.autocast():
            # PyTorch's example scores the discriminator's fake batch again
            d_gen, code_gen = self.discriminate(fake, read_code=True)
            g_loss = bce(d_gen, 1.0)
            if code is not None:
                code_loss = F.cross_entropy(code_gen.float(), code)
                g_loss = g_loss + weight * code_loss
        self.optimize(g_loss, self.opt_g)
        out = {
            "d_loss": d_loss.detach(),
            "g_loss": g_loss.detach(),
            "d_real": torch.sigmoid(d_real.detach().float()).mean(),
            "d_fake": torch.sigmoid(d_fake.detach().float()).mean(),
        }
        if r1:
            out["r1"] = penalty.detach()
        if code is not None:
            out["code_loss"] = code_loss.detach()
        return out

    def r1_penalty(self, d_real: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        """Mean squared norm of the discriminator's gradient at the real images
        (Mescheder et al., 2018): it stops the discriminator from growing steep around
        the few real images of a small data set, which keeps the game from oscillating."""
        grads = self.input_gradient(d_real.float().sum(), real)
        return grads.float().flatten(1).pow(2).sum(1).mean()


class CGANTrainer(ImageGANTrainer):
    """Conditional GAN. With ``loss="wgan-gp"`` (the book's chapter 5): per step, the
    critic is updated ``critic_steps`` times on the same real batch (as the book does),
    each time with fresh noise and a fresh penalty mixing weight per image, then the
    generator once. One engine step therefore costs about ``critic_steps`` + 1 updates.
    With ``loss="bce"``: one discriminator and one generator update, as DCGAN."""

    conditional = True

    def __init__(self, config: Any, dataset: api.LoadedDataset, device: torch.device) -> None:
        super().__init__(config, dataset, device)
        if dataset.kind != "labelled-images" or len(self.classes) < 2:
            raise api.DatasetError(
                "the conditional GAN needs labelled images (one sub-folder per class, "
                "at least two classes)"
            )
        c, size, _ = self.image_shape
        k = len(self.classes)
        self.wgan = config.loss == "wgan-gp"
        self.generator = CondGenerator(config.latent_dim, k, c, size, config.ngf).to(self.device)
        norm = "instance" if self.wgan else "batch"
        self.critic = CondCritic(k, c, size, config.ndf, norm=norm).to(self.device)
        if config.init == "pytorch":
            for module in self.modules().values():
                pytorch_init(module)
        betas = (config.beta1, config.beta2)
        self.opt_g = torch.optim.Adam(self.generator.parameters(), lr=config.lr, betas=betas)
        self.opt_c = torch.optim.Adam(self.critic.parameters(), lr=config.lr, betas=betas)

    def modules(self) -> dict[str, nn.Module]:
        return {"generator": self.generator, "critic": self.critic}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"generator": self.opt_g, "critic": self.opt_c}

    def generate(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if labels is None:
            raise ValueError("the conditional GAN needs label vectors")
        return self.generator(z, labels.to(self.device))

    def gradient_penalty(
        self, real: torch.Tensor, fake: torch.Tensor, labels: torch.Tensor
    ) -> torch.Tensor:
        """(||grad of the critic at a random mix of real and fake|| - 1)^2, averaged.
        The mixing weight is drawn fresh for every image at every critic step."""
        eps = torch.rand(real.shape[0], 1, 1, 1, device=real.device)
        mixed = (eps * real.float() + (1 - eps) * fake.float()).requires_grad_(True)
        grads = self.input_gradient(self.critic(mixed, labels).float().sum(), mixed)
        return ((grads.float().flatten(1).norm(2, dim=1) - 1) ** 2).mean()

    def train_step(self, batch: Any, step: int) -> dict[str, torch.Tensor]:
        real, labels = split_batch(batch)
        if labels is None:
            raise api.DatasetError("the conditional GAN needs labelled images")
        n = real.shape[0]
        y = self.onehot(labels)
        if not self.wgan:
            with self.autocast():
                fake = self.generator(self.noise(n), y)
                d_loss = bce(self.critic(real, y), 1.0) + bce(self.critic(fake.detach(), y), 0.0)
            self.optimize(d_loss, self.opt_c)
            with self.autocast():
                g_loss = bce(self.critic(fake, y), 1.0)
            self.optimize(g_loss, self.opt_g)
            return {"d_loss": d_loss.detach(), "g_loss": g_loss.detach()}

        for _ in range(self.config.critic_steps):
            with torch.no_grad(), self.autocast():  # the critic's update needs no G graph
                fake = self.generator(self.noise(n), y)
            with self.autocast():
                wasserstein = (
                    self.critic(real, y).float().mean() - self.critic(fake, y).float().mean()
                )
                gp = self.gradient_penalty(real, fake, y)
                c_loss = -wasserstein + self.config.gp_weight * gp
            self.optimize(c_loss, self.opt_c)
        with self.autocast():
            g_loss = -self.critic(self.generator(self.noise(n), y), y).float().mean()
        self.optimize(g_loss, self.opt_g)
        return {
            "c_loss": c_loss.detach(),
            "g_loss": g_loss.detach(),
            "wasserstein": wasserstein.detach(),
            "gp": gp.detach(),
        }
