"""Training and sampling of the autoencoder and the VAE.

- ``AETrainer`` (``autoencoder``): the book's step: images in [0, 1] through the
  network, the sum of squared errors over the batch, Adam 2.5e-4.
- ``VAETrainer`` (``vae``): the book's step: a code drawn with the reparameterisation
  trick, the reconstruction loss (the sum of squared errors as the book, or the binary
  cross-entropy) plus beta x the KL divergence to N(0, 1), optionally with beta rising
  linearly from 0 over ``beta_warmup`` steps (KL annealing); Adam 1e-4, weight decay 1e-5.

Losses are sums over the batch, as the book optimises them (with Adam only their
balance and the weight decay's share depend on the scale); they are logged per image.
Both hold out ``val_fraction`` of the images: reconstructions, the validation error,
the latent map and the ``item_*`` inputs come from there. Sampling (``sample``) covers
every mode of ``options.AEOptions``; it uses only the generator it is given.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from studio import api

from . import latent
from .conv_autoencoder import ConvAutoencoder
from .kinds import ImagePairs, LatentMap
from .mlp_autoencoder import MLPAutoencoder
from .options import AEOptions, VAEOptions
from .vae_network import VAE, kl_to_standard_normal

HELD_OUT_TENSORS = 2000  # held-out images kept for reconstructions and the map
HELD_OUT_FILES = 256  # fewer when they must be decoded from files


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """(N, C, H, W) in [0, 1] -> (N, H, W, C) uint8, as ``api.Images`` holds them."""
    x = (images.detach().float().clamp(0, 1) * 255).round().to(torch.uint8)
    return x.permute(0, 2, 3, 1).cpu().numpy()


def _images_labels(batch: Any) -> tuple[torch.Tensor, torch.Tensor | None]:
    if isinstance(batch, (tuple, list)):
        return batch[0], (batch[1] if len(batch) > 1 else None)
    return batch, None


def _first(part: Any, limit: int) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Up to ``limit`` images (in [0, 1]) and labels of a prepared dataset part."""
    if part is None:
        return torch.zeros(0), None
    if isinstance(part, tuple):
        labels = part[1][:limit] if len(part) > 1 else None
        return (part[0][:limit].float() + 1) / 2, labels
    items = [part[i] for i in range(min(len(part), limit))]
    images = torch.stack([_images_labels(it)[0] for it in items]).float()
    labelled = items and isinstance(items[0], (tuple, list)) and len(items[0]) > 1
    labels = torch.tensor([int(it[1]) for it in items]) if labelled else None
    return (images + 1) / 2, labels


class AutoencoderTrainer(api.Trainer):
    """What both models share: the data, the held-out images, sampling."""

    model: nn.Module
    options_class: type = AEOptions

    def __init__(self, config: Any, dataset: api.LoadedDataset, device: torch.device) -> None:
        if config.image_size % 8 and self.convolutional(config):
            raise api.ConfigError(
                f"image_size: the convolutional networks need a multiple of 8, not "
                f"{config.image_size}"
            )
        dataset = api.prepare_images(
            dataset, config.image_size, config.channels, val_fraction=config.val_fraction
        )
        super().__init__(config, dataset, device)
        self.image_shape = (config.channels, config.image_size, config.image_size)
        self.classes = [str(c) for c in dataset.info.get("classes") or []]
        files = not isinstance(dataset.train, tuple)
        limit = HELD_OUT_FILES if files else HELD_OUT_TENSORS
        held = dataset.val if dataset.val is not None else dataset.train
        self.held_out, self.held_labels = _first(held, limit)
        train, _ = _first(dataset.train, limit)
        self.train_images = train  # for the mean-image baseline and the AE's prior
        self.mean_image = train.mean(0)
        if self.held_labels is not None and not self.classes:
            self.classes = [str(i) for i in range(int(self.held_labels.max()) + 1)]
        if self.classes and self.held_labels is not None:
            # Recorded with the run (its "prep" record): the run handle's class names,
            # which the Explore widget lists for the class-mean inputs.
            prep = dict(dataset.info.get("prep") or {})
            dataset.info["prep"] = {**prep, "classes": list(self.classes)}

    @staticmethod
    def convolutional(config: Any) -> bool:
        return getattr(config, "network", "conv") == "conv"

    def modules(self) -> dict[str, nn.Module]:
        return {"model": self.model}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"adam": self.opt}

    # --- codes and images -------------------------------------------------------------
    def encode(self, images: torch.Tensor) -> torch.Tensor:
        """Codes (the means) of images in [0, 1]."""
        return self.model.encode(images.to(self.device))

    def decode(self, codes: torch.Tensor) -> torch.Tensor:
        """Images in [0, 1] of codes, on the CPU."""
        return self.model.decoder(codes.to(self.device)).float().cpu()

    def reconstruct(self, images: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(images))

    def prior_codes(self, n: int, generator: torch.Generator) -> torch.Tensor:
        raise NotImplementedError

    def validate(self) -> dict[str, float]:
        """Per-pixel squared error of the held-out reconstructions, and of the mean
        training image (the baseline a model that learnt nothing reaches)."""
        if not len(self.held_out):
            return {}
        with self.eval_mode():
            recon = latent.in_batches(self.model.decoder, self.held_codes(), self.device)
        return {
            "recon_error": float(F.mse_loss(recon, self.held_out)),
            "mean_image_error": float(
                F.mse_loss(self.mean_image.expand_as(self.held_out), self.held_out)
            ),
        }

    def held_codes(self) -> torch.Tensor:
        return latent.in_batches(self.model.encode, self.held_out, self.device)

    # --- sampling ---------------------------------------------------------------------
    def sample(
        self, generator: torch.Generator, n: int | None = None, options: Any = None
    ) -> api.Sample:
        """What ``options.show`` asks for (the defaults: the engine's previews)."""
        preview = options is None
        options = self.options_class() if preview else options
        count = n or (self.config.preview_images if preview else options.items)
        with self.eval_mode():
            show = options.show
            if show == "reconstruct":
                return self.sample_reconstructions(generator, count)
            if show == "prior":
                codes = self.prior_codes(count, generator)
                return api.Images(images=to_uint8(self.decode(codes)))
            if show == "interpolate":
                (a, name_a), (b, name_b) = (
                    self.input_code(options, "a"),
                    self.input_code(options, "b"),
                )
                codes, ts = latent.interpolation(a, b, options.steps)
                captions = [f"t={t:.2f}" for t in ts]
                captions[0], captions[-1] = f"a: {name_a}", f"b: {name_b}"
                images = to_uint8(self.decode(codes))
                return api.Images(images=images, labels=captions, columns=len(captions))
            if show == "arithmetic":
                inputs = [self.input_code(options, k) for k in "abc"]
                codes = latent.arithmetic(*(code for code, _ in inputs))
                captions = [f"{k}: {name}" for k, (_, name) in zip("abc", inputs, strict=True)]
                images = to_uint8(self.decode(codes))
                return api.Images(images=images, labels=[*captions, "a - b + c"], columns=4)
            if show == "map":
                return self.latent_map()
            if show == "decode":
                code = latent.Plane(self.held_codes()).lift(options.map_x, options.map_y)
                caption = f"({options.map_x:.2f}, {options.map_y:.2f})"
                return api.Images(images=to_uint8(self.decode(code)), labels=[caption])
            raise api.ConfigError(f"show: unknown mode {show!r}")

    def sample_reconstructions(self, generator: torch.Generator, n: int) -> ImagePairs:
        """``n`` held-out images drawn with ``generator``, beside their reconstructions;
        metrics: their per-pixel squared error and that of the mean training image."""
        if not len(self.held_out):
            raise api.DatasetError("no images to reconstruct")
        pick = torch.randperm(len(self.held_out), generator=generator)[:n]
        originals = self.held_out[pick]
        recon = self.reconstruct(originals)
        labels = None
        if self.held_labels is not None and self.classes:
            labels = [self.classes[int(c)] for c in self.held_labels[pick]]
        metrics = {
            "recon_error": float(F.mse_loss(recon, originals)),
            "mean_image_error": float(F.mse_loss(self.mean_image.expand_as(originals), originals)),
        }
        return ImagePairs(
            images=to_uint8(recon), originals=to_uint8(originals), labels=labels, metrics=metrics
        )

    def latent_map(self) -> LatentMap:
        codes = self.held_codes()
        plane = latent.Plane(codes)
        labels = None if self.held_labels is None else [int(c) for c in self.held_labels]
        return LatentMap(
            points=plane.project(codes).numpy(),
            classes=labels,
            class_names=self.classes or None,
            axes=plane.names,
            explained=plane.explained,
        )

    def input_code(self, options: Any, key: str) -> tuple[torch.Tensor, str]:
        """The code (1, D) of input ``key`` (a, b or c) and how to name it: an image
        file, else a class's mean code, else a held-out image."""
        path = getattr(options, f"file_{key}")
        if path:
            image = self.read_image(path, f"file_{key}")
            return self.encode(image).float().cpu(), path.replace("\\", "/").rsplit("/", 1)[-1]
        name = getattr(options, f"class_{key}")
        if name:
            if self.held_labels is None or not self.classes:
                raise api.ConfigError(f"class_{key}: the data has no classes")
            if name not in self.classes:
                names = ", ".join(self.classes)
                raise api.ConfigError(f"class_{key}: {name!r} is not one of {names}")
            means = latent.class_means(self.held_codes(), self.held_labels, len(self.classes))
            return means[self.classes.index(name)].unsqueeze(0), f"class {name} (mean)"
        index = getattr(options, f"item_{key}")
        if index >= len(self.held_out):
            raise api.ConfigError(
                f"item_{key}: {index} is past the last held-out image ({len(self.held_out) - 1})"
            )
        code = self.encode(self.held_out[index : index + 1]).float().cpu()
        label = ""
        if self.held_labels is not None and self.classes:
            label = f" ({self.classes[int(self.held_labels[index])]})"
        return code, f"item {index}{label}"

    def read_image(self, path: str, option: str) -> torch.Tensor:
        """An image file as (1, C, S, S) in [0, 1], converted as the training images."""
        from PIL import Image, UnidentifiedImageError

        c, size, _ = self.image_shape
        try:
            with Image.open(path) as img:
                img = img.convert("L" if c == 1 else "RGB").resize(
                    (size, size), Image.Resampling.BILINEAR
                )
                array = np.asarray(img, dtype=np.float32) / 255.0
        except (OSError, UnidentifiedImageError, ValueError) as exc:
            raise api.ConfigError(f"{option}: cannot read {path} as an image ({exc})") from None
        tensor = torch.from_numpy(array)
        tensor = tensor.unsqueeze(0) if c == 1 else tensor.permute(2, 0, 1)
        return tensor.unsqueeze(0)


class AETrainer(AutoencoderTrainer):
    """The autoencoder; its ``prior`` draws codes from a normal distribution fitted to
    the codes of the training images (an autoencoder has no prior of its own: what
    comes out shows why the book moves on to the VAE)."""

    def __init__(self, config: Any, dataset: api.LoadedDataset, device: torch.device) -> None:
        super().__init__(config, dataset, device)
        if config.network == "mlp":
            net: nn.Module = MLPAutoencoder(self.image_shape, config.latent_dim, config.hidden)
        else:
            net = ConvAutoencoder(self.image_shape, config.latent_dim, config.hidden, config.width)
        self.model = net.to(self.device)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=config.lr)

    def train_step(self, batch: Any, step: int) -> dict[str, torch.Tensor]:
        images, _ = _images_labels(batch)
        x = (images.float() + 1) / 2
        with self.autocast():
            out = self.model.decoder(self.model.encode(x))
        loss = ((out.float() - x) ** 2).sum()  # the book's loss: a sum over the batch
        self.optimize(loss, self.opt)
        return {"sse": loss.detach() / len(x)}

    def prior_codes(self, n: int, generator: torch.Generator) -> torch.Tensor:
        codes = latent.in_batches(self.model.encode, self.train_images, self.device)
        mean, std = codes.mean(0), codes.std(0) if len(codes) > 1 else torch.ones(codes.shape[1])
        return mean + std * torch.randn(n, codes.shape[1], generator=generator)


class VAETrainer(AutoencoderTrainer):
    """The VAE; its prior is N(0, 1), what the KL term pulls the codes towards."""

    options_class = VAEOptions

    def __init__(self, config: Any, dataset: api.LoadedDataset, device: torch.device) -> None:
        super().__init__(config, dataset, device)
        self.model = VAE(self.image_shape, config.latent_dim, config.hidden, config.width)
        self.model.to(self.device)
        self.opt = torch.optim.Adam(
            self.model.parameters(), lr=config.lr, weight_decay=config.weight_decay
        )

    def beta_at(self, step: int) -> float:
        """The KL weight at ``step`` (0-based): beta, or with a warm-up a linear ramp."""
        warmup = self.config.beta_warmup
        return self.config.beta * (min(1.0, (step + 1) / warmup) if warmup else 1.0)

    def train_step(self, batch: Any, step: int) -> dict[str, torch.Tensor | float]:
        images, _ = _images_labels(batch)
        x = (images.float() + 1) / 2
        with self.autocast():
            mu, log_std, _, logits = self.model(x)
        logits = logits.float()  # the sums are taken in float32 under mixed precision
        if self.config.reconstruction == "bce":
            recon = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
        else:
            recon = ((torch.sigmoid(logits) - x) ** 2).sum()
        kl = kl_to_standard_normal(mu.float(), log_std.float()).sum()
        beta = self.beta_at(step)
        loss = recon + beta * kl
        self.optimize(loss, self.opt)
        n = len(x)
        return {
            "loss": loss.detach() / n,
            "reconstruction": recon.detach() / n,
            "kl": kl.detach() / n,
            "beta": beta,
        }

    def prior_codes(self, n: int, generator: torch.Generator) -> torch.Tensor:
        return torch.randn(n, self.config.latent_dim, generator=generator)


TRAINERS = {"autoencoder": AETrainer, "vae": VAETrainer}
