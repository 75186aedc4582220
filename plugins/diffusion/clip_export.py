"""A trained CLIP as one safetensors file: its weights, and in the metadata what it
takes to rebuild it (the config's sizes and the vocabulary). Text-to-image reads it
(its ``clip`` setting) to score samples and, optionally, to encode captions."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import torch

from studio import api

from .clip_network import CLIP
from .text_tokens import WordTokenizer

FORMAT = "genai-studio clip 1"
SIZES = (
    "channels",
    "image_width",
    "text_width",
    "text_layers",
    "heads",
    "max_tokens",
    "embed_dim",
    "image_size",
)


def export_clip(trainer: Any, path: Path) -> None:
    """Write ``trainer``'s CLIP (weights on the CPU) with its sizes and vocabulary."""
    from safetensors.torch import save_file

    config = dataclasses.asdict(trainer.config)
    tensors = {k: v.detach().to("cpu").contiguous() for k, v in trainer.model.state_dict().items()}
    metadata = {
        "format": FORMAT,
        "sizes": json.dumps({k: config[k] for k in SIZES}),
        "vocabulary": json.dumps(trainer.tokenizer.vocabulary),
        "prompts": json.dumps(trainer.table.prompts[:256]),
    }
    save_file(tensors, str(path), metadata=metadata)


@dataclasses.dataclass
class LoadedCLIP:
    model: CLIP
    tokenizer: WordTokenizer
    image_size: int
    channels: int

    @torch.no_grad()
    def score(self, images: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        """CLIP score of each image (N, C, H, W) in [-1, 1] with its caption's word ids:
        100 x the cosine similarity, at least 0 (as torchmetrics' CLIPScore)."""
        import torch.nn.functional as F

        if images.shape[1] != self.channels:
            images = images.mean(1, keepdim=True).expand(-1, self.channels, -1, -1)
        if images.shape[-1] != self.image_size:
            images = F.interpolate(images, size=self.image_size, mode="bilinear", antialias=True)
        device = next(self.model.parameters()).device
        image_emb = self.model.encode_image(images.float().to(device))
        text_emb = self.model.encode_text(ids.to(device))
        return (100 * (image_emb * text_emb).sum(-1)).clamp_min(0).cpu()


def load_clip(path: str | Path, device: torch.device | str = "cpu") -> LoadedCLIP:
    """The CLIP written by ``export_clip``; ``ConfigError`` (naming the ``clip``
    setting) when the file is missing or is not one."""
    from safetensors import SafetensorError, safe_open
    from safetensors.torch import load_file

    file = Path(path).expanduser()
    if not file.is_file():
        raise api.ConfigError(f"clip: no such file: {path}")
    try:
        with safe_open(str(file), "pt") as fh:
            meta = fh.metadata() or {}
        if meta.get("format") != FORMAT:
            raise api.ConfigError(f"clip: {file.name} is not a CLIP exported by this app")
        sizes = json.loads(meta["sizes"])
        tokenizer = WordTokenizer(json.loads(meta["vocabulary"]), sizes["max_tokens"])
        model = CLIP(
            sizes["channels"],
            sizes["image_width"],
            len(tokenizer),
            sizes["text_width"],
            sizes["text_layers"],
            sizes["heads"],
            sizes["max_tokens"],
            sizes["embed_dim"],
        )
        model.load_state_dict(load_file(str(file)))
    except (SafetensorError, OSError, KeyError, ValueError, RuntimeError) as exc:
        raise api.ConfigError(f"clip: cannot read {file.name} ({exc})") from None
    model.to(device).eval().requires_grad_(False)
    return LoadedCLIP(model, tokenizer, sizes["image_size"], sizes["channels"])
