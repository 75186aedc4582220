"""Device and precision choice: cuda / cuda:N / mps / cpu, fp32 / bf16 / fp16."""

from __future__ import annotations

import torch

from studio.core.devices_names import PRECISIONS


class DeviceError(ValueError):
    """The requested device or precision is not available here."""


def available_devices() -> list[str]:
    """Devices this machine offers, best first, as strings the engine accepts."""
    out = [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        out.append("mps")
    out.append("cpu")
    return out


def resolve_device(name: str | None) -> torch.device:
    """``auto`` (or None) picks the best device; anything else is checked and returned."""
    name = (name or "auto").strip().lower()
    if name == "auto":
        return torch.device(available_devices()[0])
    if name == "cpu":
        return torch.device("cpu")
    if name == "mps":
        if not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
            raise DeviceError("device 'mps' requested but Apple's Metal backend is not available")
        return torch.device("mps")
    if name == "cuda" or name.startswith("cuda:"):
        count = torch.cuda.device_count()
        if count == 0:
            raise DeviceError(f"device {name!r} requested but no CUDA GPU is visible")
        index = 0 if name == "cuda" else name.split(":", 1)[1]
        try:
            index = int(index)
        except ValueError:
            raise DeviceError(f"device {name!r}: the GPU index must be a number") from None
        if not 0 <= index < count:
            raise DeviceError(
                f"device {name!r}: there are {count} GPU(s), cuda:0..cuda:{count - 1}"
            )
        return torch.device("cuda", index)
    raise DeviceError(f"unknown device {name!r}; use auto, cpu, cuda, cuda:N or mps")


def resolve_precision(precision: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype for ``precision`` on ``device`` (None for full precision)."""
    if precision not in PRECISIONS:
        raise DeviceError(f"unknown precision {precision!r}; use {', '.join(PRECISIONS)}")
    if precision == "fp32":
        return None
    if precision == "fp16" and device.type != "cuda":
        raise DeviceError("fp16 mixed precision needs a CUDA device; use bf16 or fp32")
    if precision == "bf16" and device.type == "cuda" and not torch.cuda.is_bf16_supported():
        raise DeviceError("this GPU does not support bf16; use fp16 or fp32")
    return torch.bfloat16 if precision == "bf16" else torch.float16
