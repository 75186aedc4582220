"""Training and sampling of the unconditional diffusion model (``diffusion``).

One step (DDPM's algorithm 1): pick a timestep t for each image, noise the image to
t in one go, ask the U-Net for the noise (or x0, or v) and regress it (L1 as the
book, or MSE). AdamW with a linear warm-up then cosine decay; an EMA of the weights
is what samples. Sampling runs one of ``samplers``' samplers and streams the partial
images; the trajectory (x_t at a few steps) is a sample kind of its own. On the
embedded digits the samples are judged by the shared digit judge (``api.judge``):
recognition rate, classes covered and a Frechet distance of its features.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from studio import api

from .diffusion_config import DiffusionConfig, DiffusionOptions, int_list
from .diffusion_kinds import Trajectory
from .ema import EMA
from .samplers import sample_steps, spaced_timesteps, start_timesteps
from .schedules import make_schedule
from .unet import UNet

PREVIEW_ROWS = 8  # images whose trajectory a preview shows (all are judged)
DIGITS = [str(i) for i in range(10)]


def build_unet(config: DiffusionConfig, context_dim: int | None = None) -> UNet:
    """The U-Net a config describes (ConfigError naming the field when it cannot be)."""
    try:
        channels = int_list(config.unet_channels, "unet_channels")
        levels = set(int_list(config.attention_levels, "attention_levels"))
    except ValueError as exc:
        raise api.ConfigError(str(exc)) from None
    if any(not 0 <= level < len(channels) for level in levels):
        raise api.ConfigError(
            f"attention_levels: levels go from 0 to {len(channels) - 1} for {len(channels)} "
            "unet_channels"
        )
    if config.image_size % 2 ** (len(channels) - 1):
        raise api.ConfigError(
            f"image_size: {config.image_size} cannot be halved {len(channels) - 1} times "
            "(one fewer unet_channels level, or a larger image)"
        )
    return UNet(
        config.channels,
        channels,
        tuple(i in levels for i in range(len(channels))),
        config.layers,
        heads=config.heads,
        dropout=config.dropout,
        context_dim=context_dim,
    )


def warmup_cosine(warmup: int, decay: int):
    """A LambdaLR factor: linear warm-up to 1, then cosine decay to 0 at ``decay``."""

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / (warmup + 1)
        progress = min(1.0, (step - warmup) / max(1, decay - warmup))
        return 0.5 * (1 + math.cos(math.pi * progress))

    return factor


def to_uint8(x: torch.Tensor) -> np.ndarray:
    """(N, C, H, W) in [-1, 1] -> (N, H, W, C) uint8."""
    x = ((x.detach().float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return x.permute(0, 2, 3, 1).cpu().numpy()


def load_image(path: str, size: int, channels: int) -> torch.Tensor:
    """An image file as (1, channels, size, size) in [-1, 1] (image-to-image)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(Path(path).expanduser()) as img:
            img = img.convert("L" if channels == 1 else "RGB").resize((size, size))
            pixels = np.asarray(img, dtype=np.float32)
    except (OSError, UnidentifiedImageError) as exc:
        raise api.ConfigError(f"init_image: cannot read {path!r} as an image ({exc})") from None
    x = torch.from_numpy(pixels).reshape(size, size, channels).permute(2, 0, 1)
    return (x / 127.5 - 1)[None]


class DiffusionTrainer(api.Trainer):
    """The U-Net, its EMA, the schedule; training step and samplers."""

    context_dim: int | None = None  # text-to-image sets a width: cross-attention

    def __init__(self, config: DiffusionConfig, dataset: api.LoadedDataset, device) -> None:
        dataset = api.prepare_images(dataset, config.image_size, config.channels)
        super().__init__(config, dataset, device)
        self.classes = list((dataset.info or {}).get("classes") or [])
        self.unet = build_unet(config, self.context_dim).to(self.device)
        self.ema = EMA(self.unet, config.ema_decay).to(self.device)
        self.schedule = make_schedule(
            config.schedule, config.timesteps, config.prediction, config.zero_terminal_snr
        ).to(self.device)
        self.opt = torch.optim.AdamW(
            self.unet.parameters(),
            lr=config.lr,
            betas=(config.beta1, config.beta2),
            weight_decay=config.weight_decay,
        )
        self.lr_schedule = torch.optim.lr_scheduler.LambdaLR(
            self.opt, warmup_cosine(config.warmup_steps, config.decay_steps)
        )
        self.image_shape = (config.channels, config.image_size, config.image_size)

    def modules(self) -> dict[str, torch.nn.Module]:
        return {"unet": self.unet, "ema": self.ema}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"opt": self.opt}

    def schedulers(self) -> dict[str, Any]:
        return {"lr": self.lr_schedule}

    # --- training ------------------------------------------------------------
    def loss(self, x0: torch.Tensor, **net_kwargs: Any) -> torch.Tensor:
        """The denoising loss of a batch of clean images at random timesteps."""
        t = torch.randint(0, self.schedule.steps, (len(x0),), device=x0.device)
        noise = torch.randn_like(x0)
        x_t = self.schedule.add_noise(x0, noise, t)
        with self.autocast():
            prediction = self.unet(x_t, t, **net_kwargs)
        target = self.schedule.target(x0, noise, t)
        if self.config.loss == "l1":
            return F.l1_loss(prediction.float(), target)
        return F.mse_loss(prediction.float(), target)

    def train_step(self, batch: Any, step: int) -> dict[str, torch.Tensor]:
        x0 = batch[0] if isinstance(batch, (tuple, list)) else batch
        loss = self.loss(x0)
        self.optimize(loss, self.opt)
        self.lr_schedule.step()
        self.ema.update(self.unet)
        return {"loss": loss.detach()}

    # --- sampling ------------------------------------------------------------
    def model_fn(self, **net_kwargs: Any):
        """The EMA network as ``samplers`` call it (float32 out, under autocast)."""
        net = self.ema.shadow.eval()

        # No autograd, only around the call: a no_grad block held open across the
        # sampler's yields would leave autograd off in the caller between parts.
        def fn(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
            with torch.no_grad(), self.autocast():
                return net(x, t, **net_kwargs).float()

        return fn

    def _preview_options(self) -> DiffusionOptions:
        c = self.config
        steps = c.timesteps if c.preview_sampler == "ddpm" else c.preview_steps
        return DiffusionOptions(
            sampler=c.preview_sampler,
            steps=min(steps, c.timesteps),
            images=c.preview_images,
            output="trajectory",
            stream_every=10**6,
        )

    def sample(self, generator: torch.Generator, n: int | None = None, options: Any = None):
        *_, final = self.sample_stream(generator, n, options)
        return final

    def sample_stream(
        self,
        generator: torch.Generator,
        n: int | None = None,
        options: Any = None,
        cancel: api.CancelToken | None = None,
    ) -> Iterator[api.Sample]:
        preview = options is None
        opts = options or self._preview_options()
        yield from self.denoise(generator, n or opts.images, opts, self.model_fn(), cancel, preview)

    def denoise(
        self,
        generator: torch.Generator,
        n: int,
        opts: DiffusionOptions,
        model_fn,
        cancel: api.CancelToken | None = None,
        preview: bool = False,
        labels: list[str] | None = None,
    ) -> Iterator[api.Sample]:
        """Run the sampler; yield partial images every ``stream_every`` steps, then the
        final images (or trajectory) with their judge metrics."""
        if opts.steps > self.schedule.steps:
            raise api.ConfigError(f"steps: at most {self.schedule.steps} (the model's T)")
        timesteps = spaced_timesteps(self.schedule.steps, opts.steps)
        x = torch.randn((n, *self.image_shape), generator=generator).to(self.device)
        if opts.init_image:
            timesteps = start_timesteps(timesteps, opts.strength)
            image = load_image(opts.init_image, self.image_shape[1], self.image_shape[0])
            t0 = torch.full((n,), timesteps[0], dtype=torch.long, device=self.device)
            x = self.schedule.add_noise(image.to(self.device).expand_as(x), x, t0)
        total = len(timesteps)
        # Trajectory frames: x_T, then the x after evenly spaced steps, the last one last.
        marks = sorted({round(i * total / (opts.frames - 1)) for i in range(1, opts.frames)})
        rows = min(n, PREVIEW_ROWS) if preview else n  # a preview shows a few rows
        frames: list[tuple[str, torch.Tensor]] = [(f"t={timesteps[0]}", x[:rows].cpu())]
        steps = sample_steps(
            opts.sampler, model_fn, x, self.schedule, timesteps, generator, opts.eta, opts.clip
        )
        for step in steps:
            if cancel is not None:
                cancel.raise_if_cancelled()
            x = step.x
            done = step.index + 1
            if done in marks:
                after = timesteps[done] if done < total else 0
                frames.append((f"t={after}", x[:rows].cpu()))
            if done < total and done % opts.stream_every == 0:
                yield api.Images(images=to_uint8(x), labels=labels, metrics={"step": float(done)})
        metrics = self.judge(x)
        if opts.output == "trajectory":
            grid = torch.stack([f for _, f in frames], 1).flatten(0, 1)
            names = [name for name, _ in frames] * rows
            yield Trajectory(
                images=to_uint8(grid), labels=names, columns=len(frames), metrics=metrics
            )
        else:
            yield api.Images(images=to_uint8(x), labels=labels, metrics=metrics)

    def judges_digits(self) -> bool:
        return self.classes == DIGITS

    def judge(self, x: torch.Tensor) -> dict[str, float]:
        """The digit judge's scores of generated images (empty for other data)."""
        if not self.judges_digits() or len(x) < 2:
            return {}
        # Judged against real digits at this model's resolution, by a judge trained
        # on them: at 8x8 even real digits look blurred once brought back to 32x32.
        # (It trains on first use, once per process, with autograd on even inside a
        # no-grad preview: train_judge sees to it.)
        judge = api.judge.load_judge("digits", size=x.shape[-1])
        scores = judge.score_images(api.judge.for_judge(x))
        return {k: scores[k] for k in ("recognised", "classes_covered", "frechet")}
