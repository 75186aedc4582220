"""Samplers: from pure noise to an image, one denoising step at a time.

Each sampler is a generator over the steps: it takes ``model_fn(x, t) -> prediction``
(the network's output at images ``x`` and timesteps ``t`` (B,), in the schedule's
prediction type), the starting noise and the schedule, and yields a ``Step`` after
each update (the current x and the network's guess of the clean image), so callers
can stream partial images and record the trajectory. Wrap ``model_fn`` to steer it
(classifier-free guidance mixes a conditional and an unconditional call).

- ``ddpm``: ancestral sampling (Ho et al. 2020): the posterior mean plus fresh noise
  of the posterior variance at every step; T steps to be faithful.
- ``ddim``: Song et al. 2021: any number of steps; ``eta`` 0 is deterministic, 1
  adds as much noise as DDPM.
- ``dpm++2m``: DPM-Solver++ 2M (Lu et al. 2022): a second-order multistep solver of
  the probability-flow ODE in log-SNR time, reusing the previous step's x0 guess; good
  images in 10-20 steps.

Timesteps are "trailing" (Lin et al. 2024): the first step is at t = T - 1, where
sampling's pure noise matches what the network saw in training, and the rest are
evenly spaced below it. Checked step by step against diffusers' DDPMScheduler,
DDIMScheduler and DPMSolverMultistepScheduler (tests/plugins/diffusion).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch

from .schedules import Schedule

ModelFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
SAMPLERS = ("ddpm", "ddim", "dpm++2m")


@dataclass
class Step:
    """One denoising step done: ``x`` is x at timestep ``t_next`` (the image after the
    last step), ``x0`` the network's guess of the clean image at ``t``."""

    index: int
    total: int
    t: int
    x: torch.Tensor
    x0: torch.Tensor


def spaced_timesteps(train_steps: int, steps: int) -> list[int]:
    """``steps`` timesteps from T - 1 down, evenly spaced ("trailing" spacing)."""
    if not 1 <= steps <= train_steps:
        raise ValueError(f"steps must be between 1 and {train_steps}, not {steps}")
    ratio = train_steps / steps
    return [round(train_steps - i * ratio) - 1 for i in range(steps)]


def start_timesteps(timesteps: list[int], strength: float) -> list[int]:
    """Image-to-image: the tail of ``timesteps`` that starts at noise level
    ``strength`` (1: from pure noise, 0.3: a lightly noised image)."""
    keep = max(1, round(len(timesteps) * strength))
    return timesteps[len(timesteps) - keep :]


def _noise(x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    # Drawn on the generator's device (the CPU) so that a seed gives the same picture
    # on any device, then moved.
    return torch.randn(x.shape, generator=generator, dtype=x.dtype).to(x.device)


def _call(model_fn: ModelFn, x: torch.Tensor, t: int) -> torch.Tensor:
    return model_fn(x, torch.full((x.shape[0],), t, dtype=torch.long, device=x.device))


def ddpm(
    model_fn: ModelFn,
    x: torch.Tensor,
    schedule: Schedule,
    timesteps: list[int],
    generator: torch.Generator | None = None,
    clip: bool = False,
) -> Iterator[Step]:
    """Ancestral sampling: x_{t'} ~ q(x_{t'} | x_t, x0 = the network's guess)."""
    abar = schedule.alphas_cumprod
    for i, t in enumerate(timesteps):
        prev = timesteps[i + 1] if i + 1 < len(timesteps) else -1
        a_t, a_prev = abar[t], abar[prev] if prev >= 0 else torch.tensor(1.0)
        beta = 1 - a_t / a_prev  # the one-step beta between t and prev
        x0, _ = schedule.split(_call(model_fn, x, t), x, a_t)
        if clip:
            x0 = x0.clamp(-1, 1)
        # The mean of q(x_prev | x_t, x0), a mix of the clean guess and the current x.
        mean = (a_prev.sqrt() * beta / (1 - a_t)) * x0 + (
            (1 - beta).sqrt() * (1 - a_prev) / (1 - a_t)
        ) * x
        if prev >= 0:
            variance = ((1 - a_prev) / (1 - a_t) * beta).clamp(min=1e-20)
            x = mean + variance.sqrt() * _noise(x, generator)
        else:
            x = mean
        yield Step(i, len(timesteps), t, x, x0)


def ddim(
    model_fn: ModelFn,
    x: torch.Tensor,
    schedule: Schedule,
    timesteps: list[int],
    generator: torch.Generator | None = None,
    eta: float = 0.0,
    clip: bool = False,
) -> Iterator[Step]:
    """DDIM: jump to the next timestep along the predicted noise direction."""
    abar = schedule.alphas_cumprod
    for i, t in enumerate(timesteps):
        prev = timesteps[i + 1] if i + 1 < len(timesteps) else -1
        a_t, a_prev = abar[t], abar[prev] if prev >= 0 else torch.tensor(1.0)
        x0, eps = schedule.split(_call(model_fn, x, t), x, a_t)
        if clip:
            x0 = x0.clamp(-1, 1)
            eps = (x - a_t.sqrt() * x0) / (1 - a_t).sqrt()  # the noise consistent with it
        # sigma_t of DDIM (eq. 16): eta 1 is DDPM's posterior standard deviation.
        std = eta * ((1 - a_prev) / (1 - a_t) * (1 - a_t / a_prev)).sqrt()
        x = a_prev.sqrt() * x0 + (1 - a_prev - std**2).clamp(min=0).sqrt() * eps
        if eta > 0:
            x = x + std * _noise(x, generator)
        yield Step(i, len(timesteps), t, x, x0)


def dpm_solver_2m(
    model_fn: ModelFn,
    x: torch.Tensor,
    schedule: Schedule,
    timesteps: list[int],
    clip: bool = False,
) -> Iterator[Step]:
    """DPM-Solver++ 2M: in lambda = log(alpha / sigma), x_t = alpha_t x0 + sigma_t eps
    is integrated exactly for the linear part, the x0 guess extrapolated linearly from
    the last two steps (first order at the first step and the last)."""
    abar = schedule.alphas_cumprod
    previous: tuple[torch.Tensor, torch.Tensor] | None = None  # (x0, lambda) a step back
    for i, t in enumerate(timesteps):
        a_t = abar[t]
        x0, _ = schedule.split(_call(model_fn, x, t), x, a_t)
        if clip:
            x0 = x0.clamp(-1, 1)
        alpha_s, sigma_s = a_t.sqrt(), (1 - a_t).sqrt()
        lambda_s = alpha_s.log() - sigma_s.log()
        if i + 1 == len(timesteps):
            x_next = x0  # the last step goes to sigma = 0: the clean guess itself
        else:
            a_next = abar[timesteps[i + 1]]
            alpha_t, sigma_t = a_next.sqrt(), (1 - a_next).sqrt()
            h = alpha_t.log() - sigma_t.log() - lambda_s
            d = x0
            if previous is not None:  # second order: D0 + (D0 - D1) / (2 r)
                x0_prev, lambda_prev = previous
                r = (lambda_s - lambda_prev) / h
                d = x0 + (x0 - x0_prev) / (2 * r)
            x_next = (sigma_t / sigma_s) * x - alpha_t * torch.expm1(-h) * d
        previous = (x0, lambda_s)
        x = x_next
        yield Step(i, len(timesteps), t, x, x0)


def sample_steps(
    sampler: str,
    model_fn: ModelFn,
    x: torch.Tensor,
    schedule: Schedule,
    timesteps: list[int],
    generator: torch.Generator | None = None,
    eta: float = 0.0,
    clip: bool = False,
) -> Iterator[Step]:
    """The steps of the named sampler (see ``SAMPLERS``)."""
    if sampler == "ddpm":
        return ddpm(model_fn, x, schedule, timesteps, generator, clip)
    if sampler == "ddim":
        return ddim(model_fn, x, schedule, timesteps, generator, eta, clip)
    if sampler == "dpm++2m":
        return dpm_solver_2m(model_fn, x, schedule, timesteps, clip)
    raise ValueError(f"sampler must be one of {', '.join(SAMPLERS)}, not {sampler!r}")


def sample(
    sampler: str,
    model_fn: ModelFn,
    x: torch.Tensor,
    schedule: Schedule,
    steps: int,
    generator: torch.Generator | None = None,
    eta: float = 0.0,
    clip: bool = False,
) -> torch.Tensor:
    """Run the named sampler for ``steps`` steps from noise ``x``; the final image."""
    timesteps = spaced_timesteps(schedule.steps, steps)
    for step in sample_steps(sampler, model_fn, x, schedule, timesteps, generator, eta, clip):
        x = step.x
    return x
