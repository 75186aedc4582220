"""Training and sampling of the text-to-image model (``text-to-image``).

A step (DDPM training with a caption): images with one caption each (a random
phrasing of the class for labelled data), the caption replaced by the empty caption
for ``caption_dropout`` of the examples, a random timestep per image, the image noised
to it, and the U-Net, reading the caption's token states through cross-attention,
trained to predict the noise (or x0, or v). Because the same network learns with and
without captions, sampling can mix the two predictions (classifier-free guidance, Ho
& Salimans 2022): ``uncond + guidance * (cond - uncond)``. Guidance 0 is the
unconditional model, 1 the conditional one, above 1 pushes further towards the prompt.

The text encoder is trained with the U-Net, or (``clip_text_encoder``) is the frozen
text tower of an exported CLIP. Samples are drawn from an exponential moving average
of the weights. With a CLIP file (``clip``), samples get a CLIP score and can be
ranked by it; on the digits, the judge classifier says whether the digit asked for
was drawn.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterator
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from studio import api

from .captions_data import prepare
from .clip_trainer import to_uint8, warmup
from .samplers import sample_steps, spaced_timesteps
from .schedules import make_schedule
from .t2i_config import T2IOptions
from .t2i_network import denoise, text_unet
from .text_encoder import TextEncoder
from .text_tokens import WordTokenizer, asked_digit
from .unet import UNet

TIMESTEPS = 1000
PREVIEW_PROMPTS = 10


def parse_widths(text: str) -> tuple[int, ...]:
    try:
        widths = tuple(int(w) for w in text.replace(" ", "").split(",") if w)
    except ValueError:
        widths = ()
    if not widths or min(widths) < 4:
        raise api.ConfigError(f"widths: {text!r} is not a list of feature map counts (32,64,64)")
    return widths


def lr_lambda(warm: int, decay: int) -> Callable[[int], float]:
    """Linear warm-up, then constant or (``decay`` > 0) cosine down to 0."""
    ramp = warmup(warm)

    def factor(i: int) -> float:
        if i < warm or not decay:
            return ramp(i)
        return 0.5 * (1 + math.cos(math.pi * min(1.0, (i - warm) / decay)))

    return factor


class TextToImageTrainer(api.Trainer):
    def __init__(self, config: Any, dataset: api.LoadedDataset, device: torch.device) -> None:
        widths = parse_widths(config.widths)
        if config.image_size % 2 ** (len(widths) - 1):
            raise api.ConfigError(
                f"image_size: {config.image_size} must be divisible by {2 ** (len(widths) - 1)} "
                f"(the U-Net halves it {len(widths) - 1} times)"
            )
        prepared, self.table = prepare(dataset, config.image_size, config.channels)
        super().__init__(config, prepared, device)
        self.clip = None
        if config.clip.strip():
            from .clip_export import load_clip

            self.clip = load_clip(config.clip.strip(), self.device)
        if config.clip_text_encoder:
            if self.clip is None:
                raise api.ConfigError("clip_text_encoder: give the clip file to take it from")
            self.tokenizer = self.clip.tokenizer
            self.text: nn.Module = self.clip.model.text  # frozen: not trained, not saved
        else:
            self.tokenizer = WordTokenizer.build(self.table.captions, config.max_tokens)
            self.text = TextEncoder(
                len(self.tokenizer),
                config.text_width,
                config.text_layers,
                config.heads,
                config.max_tokens,
            ).to(self.device)
        self.tokens = self.table.token_table(self.tokenizer)
        self.empty = torch.tensor(self.tokenizer.encode(""))
        unet = UNet(
            in_channels=config.channels,
            channels=widths,
            attention=tuple(i >= config.attention_from for i in range(len(widths))),
            layers=config.layers,
            heads=config.heads,
            context_dim=self.text.width,
        )
        self.unet = text_unet(unet, config.pooled_caption).to(self.device)
        self.ema = nn.ModuleDict({"unet": copy.deepcopy(self.unet)})
        if not config.clip_text_encoder:
            self.ema["text"] = copy.deepcopy(self.text)
        self.ema.requires_grad_(False)
        self.schedule = make_schedule(config.schedule, TIMESTEPS, config.prediction).to(self.device)
        params = list(self.unet.parameters())
        if not config.clip_text_encoder:
            params += list(self.text.parameters())
        self.opt = torch.optim.AdamW(
            params,
            lr=config.lr,
            betas=(config.beta1, config.beta2),
            weight_decay=config.weight_decay,
        )
        self.sched = torch.optim.lr_scheduler.LambdaLR(
            self.opt, lr_lambda(config.warmup, config.decay_steps)
        )
        self._judge = None

    def modules(self) -> dict[str, nn.Module]:
        mods: dict[str, nn.Module] = {"unet": self.unet, "ema": self.ema}
        if not self.config.clip_text_encoder:
            mods["text"] = self.text
        return mods

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"unet": self.opt}

    def schedulers(self) -> dict[str, Any]:
        return {"unet": self.sched}

    # --- training -------------------------------------------------------------------
    def caption_ids(self, keys: torch.Tensor) -> torch.Tensor:
        """Word ids of a batch's captions, the empty caption for the dropped ones."""
        ids = self.tokens[self.table.caption_ids(keys)]
        dropped = torch.rand(len(ids)) < self.config.caption_dropout
        ids[dropped] = self.empty
        return ids.to(self.device)

    def train_step(self, batch: Any, step: int) -> dict[str, torch.Tensor | float]:
        images, keys = batch
        ids = self.caption_ids(keys)
        t = torch.randint(0, TIMESTEPS, (len(images),), device=self.device)
        noise = torch.randn_like(images)
        noisy = self.schedule.add_noise(images, noise, t)
        target = self.schedule.target(images, noise, t)
        with self.autocast():
            states, pad = self.text(ids)
            prediction = denoise(self.unet, noisy, t, states, pad)
        loss_fn = F.l1_loss if self.config.loss == "l1" else F.mse_loss
        loss = loss_fn(prediction.float(), target)
        self.optimize(loss, self.opt)
        self.sched.step()
        self.update_ema(step)
        return {"loss": loss.detach(), "lr": self.sched.get_last_lr()[0]}

    @torch.no_grad()
    def update_ema(self, step: int) -> None:
        # The decay ramps up from 0.1 (as diffusers' EMAModel with warm-up): early
        # weights are forgotten quickly, so a short run is not sampled from its start.
        decay = min(self.config.ema, (1 + step) / (10 + step))
        pairs = [(self.ema["unet"], self.unet)]
        if "text" in self.ema:
            pairs.append((self.ema["text"], self.text))
        for average, live in pairs:
            for a, p in zip(average.parameters(), live.parameters(), strict=True):
                a.lerp_(p.detach(), 1 - decay)

    # --- sampling -------------------------------------------------------------------
    def networks(self) -> tuple[nn.Module, nn.Module]:
        """(U-Net, text encoder) sampled from: the moving averages unless ema is 0."""
        if self.config.ema <= 0:
            return self.unet, self.text
        if "text" in self.ema:
            return self.ema["unet"], self.ema["text"]
        return self.ema["unet"], self.text

    def prompts(
        self, options: T2IOptions, n: int | None, preview: bool
    ) -> tuple[list[str], int | None]:
        """The caption of each image and the grid's columns: the prompt for every image,
        or (no prompt) each class's or caption's prompt in turn, a row each."""
        if options.prompt.strip():
            return [options.prompt.strip()] * (n or options.images), None
        groups = self.table.prompts[:PREVIEW_PROMPTS]
        total = n or (len(groups) * self.config.preview_per_prompt if preview else options.images)
        per = -(-total // len(groups))
        return [p for p in groups for _ in range(per)][:total], per

    def guided(
        self, ids: torch.Tensor, guidance: float
    ) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
        """The network's prediction at (x, t) steered towards the captions ``ids``."""
        unet, text = self.networks()
        cond, cond_pad = text(ids)
        empty, empty_pad = text(self.empty.to(self.device).expand(len(ids), -1))

        def model_fn(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
            if guidance == 0:
                return denoise(unet, x, t, empty, empty_pad)
            if guidance == 1:
                return denoise(unet, x, t, cond, cond_pad)
            # Both predictions in one batch: one pass of the U-Net instead of two.
            both = denoise(
                unet,
                torch.cat([x, x]),
                torch.cat([t, t]),
                torch.cat([cond, empty]),
                torch.cat([cond_pad, empty_pad]),
            )
            c, u = both.float().chunk(2)
            return u + guidance * (c - u)

        return model_fn

    def sample(
        self, generator: torch.Generator, n: int | None = None, options: Any = None
    ) -> api.Images:
        *_, final = self.sample_stream(generator, n, options)
        return final

    def sample_stream(
        self,
        generator: torch.Generator,
        n: int | None = None,
        options: Any = None,
        cancel: api.CancelToken | None = None,
    ) -> Iterator[api.Images]:
        """The images as they are denoised (every ``stream_every`` steps), then the
        final ones with their scores."""
        preview = options is None
        options = options or T2IOptions()
        prompts, columns = self.prompts(options, n, preview)
        labels = prompts if columns else None  # one prompt for all: the widget says it
        ids = torch.tensor([self.tokenizer.encode(p) for p in prompts], device=self.device)
        c, s = self.config.channels, self.config.image_size
        x = torch.randn((len(prompts), c, s, s), generator=generator).to(self.device)
        timesteps = spaced_timesteps(TIMESTEPS, min(options.steps, TIMESTEPS))
        # No grad and eval mode only around each step, never across a yield: the
        # consumer of a suspended generator would run in no-grad mode too.
        with self.eval_mode(), self.autocast():
            model_fn = self.guided(ids, options.guidance)
        steps = sample_steps(
            options.sampler, model_fn, x, self.schedule, timesteps, generator, options.eta
        )
        while True:
            with self.eval_mode(), self.autocast():
                step = next(steps, None)
            if step is None:
                break
            x = step.x
            if cancel is not None:
                cancel.raise_if_cancelled()
            done = step.index + 1
            if done < step.total and done % options.stream_every == 0:
                yield api.Images(
                    images=to_uint8(x.float()),
                    labels=labels if columns else None,
                    columns=columns,
                    metrics={"step": float(done), "steps": float(step.total)},
                )
        with self.eval_mode():
            final = self.final(x.float().clamp(-1, 1), prompts, ids, options, columns)
        yield final

    def final(
        self,
        images: torch.Tensor,
        prompts: list[str],
        ids: torch.Tensor,
        options: T2IOptions,
        columns: int | None,
    ) -> api.Images:
        metrics: dict[str, float] = {}
        single = bool(options.prompt.strip())
        labels = None if single else list(prompts)  # one prompt for all: the widget says it
        unknown = self.tokenizer.unknown(prompts[0]) if single else []
        if single:
            metrics["unknown_words"] = float(len(unknown))
        if self.table.digits:
            metrics.update(self.digit_scores(images, prompts))
        if self.clip is not None:
            clip_ids = torch.tensor([self.clip.tokenizer.encode(p) for p in prompts])
            scores = self.clip.score(images, clip_ids)
            metrics["clip_score"] = float(scores.mean())
            order = torch.arange(len(prompts))
            if options.rank and single:  # a class grid keeps its rows
                order = scores.argsort(descending=True)
                images = images[order.to(images.device)]
            labels = [
                f"{float(scores[i]):.0f}" if single else f"{prompts[i]} ({float(scores[i]):.0f})"
                for i in order
            ]
        return api.Images(images=to_uint8(images), labels=labels, columns=columns, metrics=metrics)

    def digit_scores(self, images: torch.Tensor, prompts: list[str]) -> dict[str, float]:
        """The judge's verdict: the share drawn as the digit asked for (``asked_digit``:
        its arg-max class; ``asked_digit_confident``: with probability >= 0.9), and
        the share of confident digits at all."""
        asked = torch.tensor(
            [asked_digit(p) if asked_digit(p) is not None else -1 for p in prompts]
        )
        # Trained on first use, maybe here inside sampling (train_judge turns autograd on).
        judge = api.judge.digit_judge(size=images.shape[-1]).model
        probs = api.judge.predict(judge, api.judge.for_judge(images))
        conf, cls = probs.max(1)
        out = {"digit_accuracy": float((conf >= 0.9).float().mean())}
        if (asked >= 0).any():
            hit = (cls == asked)[asked >= 0]
            out["asked_digit"] = float(hit.float().mean())
            out["asked_digit_confident"] = float((hit & (conf[asked >= 0] >= 0.9)).float().mean())
        return out
