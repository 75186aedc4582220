"""Noise schedules: how much signal is left at each of the T = 1,000 noise levels.

The forward process noises a clean image x0 to level t in one go:
``x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps``, where ``abar_t`` (alphas_cumprod) is
the product of ``1 - beta_s`` for s <= t. The network is trained to predict, from x_t
and t, one of three equivalent targets (``prediction``):

- ``eps``: the noise (DDPM);
- ``x0``: the clean image;
- ``v``: ``sqrt(abar) eps - sqrt(1 - abar) x0`` (Salimans & Ho 2022), well defined
  even where no signal is left.

The book's cosine schedule clips every beta to at most 0.02, which leaves
sqrt(abar_T) = 0.06 of the image at the last step: sampling starts from pure noise, a
level the network never saw in training. Here the cosine schedule caps beta at 0.999
as Nichol & Dhariwal do (sqrt(abar_T) = 5e-5), and ``zero_terminal_snr`` rescales
any schedule to leave exactly nothing (Lin et al. 2024, "Common diffusion noise
schedules and sample steps are flawed").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

SCHEDULES = ("linear", "cosine")
PREDICTIONS = ("eps", "x0", "v")


def linear_betas(steps: int = 1000, start: float = 1e-4, end: float = 0.02) -> torch.Tensor:
    """DDPM's schedule: betas evenly spaced from 1e-4 to 0.02 (for T = 1,000)."""
    return torch.linspace(start, end, steps, dtype=torch.float64)


def cosine_betas(steps: int = 1000, s: float = 0.008, max_beta: float = 0.999) -> torch.Tensor:
    """Nichol & Dhariwal's schedule: abar(t) = cos^2(((t/T + s)/(1 + s)) pi/2), each beta
    capped at ``max_beta`` (the book passes 0.02 here, see the module docstring)."""

    def abar(u: float) -> float:
        return math.cos((u + s) / (1 + s) * math.pi / 2) ** 2

    betas = [min(1 - abar((i + 1) / steps) / abar(i / steps), max_beta) for i in range(steps)]
    return torch.tensor(betas, dtype=torch.float64)


def book_cosine_betas(steps: int = 1000) -> torch.Tensor:
    """The book's cosine schedule, kept to show its flaw: betas clipped to [1e-4, 0.02]."""
    return cosine_betas(steps, max_beta=0.02).clamp(min=1e-4)


def rescale_zero_terminal_snr(betas: torch.Tensor) -> torch.Tensor:
    """Shift and scale sqrt(abar) so that it keeps its first value and ends at exactly 0
    (Lin et al. 2024, algorithm 1)."""
    root = torch.cumprod(1 - betas, 0).sqrt()
    first, last = root[0].clone(), root[-1].clone()
    root = (root - last) * first / (first - last)
    abar = root**2
    alphas = torch.cat([abar[:1], abar[1:] / abar[:-1]])
    return 1 - alphas


@dataclass
class Schedule:
    """The quantities every sampler and the training loss need, as float32 tensors
    indexed by timestep 0..T-1 (float64 while they are computed)."""

    betas: torch.Tensor
    alphas_cumprod: torch.Tensor
    prediction: str = "eps"

    @property
    def steps(self) -> int:
        return len(self.betas)

    def to(self, device: torch.device | str) -> Schedule:
        return Schedule(self.betas.to(device), self.alphas_cumprod.to(device), self.prediction)

    def _at(self, values: torch.Tensor, t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        # (B,) timesteps -> (B, 1, 1, 1) values, broadcastable against images.
        return values.to(like.device)[t.to(like.device).long()].view(-1, *[1] * (like.dim() - 1))

    def add_noise(self, x0: torch.Tensor, noise: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """x_t from x0 and the noise at timesteps ``t`` (B,)."""
        a = self._at(self.alphas_cumprod, t, x0)
        return a.sqrt() * x0 + (1 - a).sqrt() * noise

    def target(self, x0: torch.Tensor, noise: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """What the network is trained to output for this x0, noise and t."""
        if self.prediction == "eps":
            return noise
        if self.prediction == "x0":
            return x0
        a = self._at(self.alphas_cumprod, t, x0)
        return a.sqrt() * noise - (1 - a).sqrt() * x0

    def split(
        self, prediction: torch.Tensor, x: torch.Tensor, abar: torch.Tensor | float
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The network's output at x_t (signal share ``abar``) as (x0, eps)."""
        abar = torch.as_tensor(abar, dtype=x.dtype, device=x.device)
        if self.prediction == "eps":  # at zero signal the noise says nothing of x0
            abar = torch.where(abar > 0, abar, 2**-24)
        a, b = abar.sqrt(), (1 - abar).sqrt()
        if self.prediction == "eps":
            return (x - b * prediction) / a, prediction
        if self.prediction == "x0":
            return prediction, (x - a * prediction) / b
        return a * x - b * prediction, a * prediction + b * x

    def terminal_signal(self) -> float:
        """sqrt(abar_T): the share of the image left at the last step (should be ~0)."""
        return float(self.alphas_cumprod[-1].sqrt())


def make_schedule(
    name: str = "cosine",
    steps: int = 1000,
    prediction: str = "eps",
    zero_terminal_snr: bool = False,
) -> Schedule:
    """A schedule by name (``linear`` or ``cosine``), optionally rescaled to zero
    terminal SNR. At exactly zero signal an eps prediction says nothing about x0, so
    it is read as 2**-24 there (as diffusers does); prefer ``v`` with it."""
    if name not in SCHEDULES:
        raise ValueError(f"schedule must be one of {', '.join(SCHEDULES)}, not {name!r}")
    if prediction not in PREDICTIONS:
        raise ValueError(f"prediction must be one of {', '.join(PREDICTIONS)}, not {prediction!r}")
    betas = linear_betas(steps) if name == "linear" else cosine_betas(steps)
    if zero_terminal_snr:
        betas = rescale_zero_terminal_snr(betas)
    abar = torch.cumprod(1 - betas, 0)
    return Schedule(betas.float(), abar.float(), prediction)
