"""Training and using the small CLIP (``clip``).

A step: a batch of images with one caption each (a random phrasing of the class for
labelled data), both encoded, the symmetric contrastive loss, AdamW with a linear
warm-up. The sample metrics are retrieval scores on held-out images:

- ``zero_shot_accuracy``: each image picks the closest of the prompts (one per class
  or distinct caption); the share that picks its own. Chance is ``1 / prompts``
  (logged as ``chance``).
- ``text_to_image_precision``: for each prompt, the share of the 8 closest images
  that are of its class (or carry its caption).

Sampling answers the two questions of the widget: the dataset images closest to a
caption, and the captions that best describe an image.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from studio import api

from .captions_data import all_images, prepare
from .clip_config import CLIPOptions
from .clip_network import CLIP, contrastive_loss
from .text_tokens import WordTokenizer

PRECISION_AT = 8
SEARCH_LIMIT = 4096  # dataset images searched by a caption


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """(N, C, H, W) in [-1, 1] -> (N, H, W, C) uint8, as ``api.Images`` holds them."""
    x = ((images.detach().float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return x.permute(0, 2, 3, 1).cpu().numpy()


def read_image(path: str, size: int, channels: int, option: str = "image") -> torch.Tensor:
    """An image file as (1, channels, size, size) in [-1, 1]; ``ConfigError`` naming the
    option when it is missing or not an image."""
    from PIL import Image, UnidentifiedImageError

    file = Path(path).expanduser()
    if not file.is_file():
        raise api.ConfigError(f"{option}: no such image file: {path}")
    try:
        with Image.open(file) as img:
            img = img.convert("L" if channels == 1 else "RGB").resize((size, size))
            pixels = np.asarray(img, dtype=np.float32).reshape(size, size, channels)
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError) as exc:
        raise api.ConfigError(f"{option}: cannot read {file.name} as an image ({exc})") from None
    return torch.from_numpy(pixels).permute(2, 0, 1).unsqueeze(0) / 127.5 - 1


def warmup(steps: int):
    return lambda i: min(1.0, (i + 1) / steps) if steps else 1.0


class CLIPTrainer(api.Trainer):
    def __init__(self, config: Any, dataset: api.LoadedDataset, device: torch.device) -> None:
        if config.image_size % 4:
            raise api.ConfigError("image_size: must be a multiple of 4")
        prepared, self.table = prepare(
            dataset, config.image_size, config.channels, config.val_fraction
        )
        super().__init__(config, prepared, device)
        self.tokenizer = WordTokenizer.build(self.table.captions, config.max_tokens)
        self.tokens = self.table.token_table(self.tokenizer)
        self.model = CLIP(
            config.channels,
            config.image_width,
            len(self.tokenizer),
            config.text_width,
            config.text_layers,
            config.heads,
            config.max_tokens,
            config.embed_dim,
            config.temperature,
        ).to(self.device)
        self.opt = torch.optim.AdamW(
            self.model.parameters(), lr=config.lr, weight_decay=config.weight_decay
        )
        self.sched = torch.optim.lr_scheduler.LambdaLR(self.opt, warmup(config.warmup))
        held_out = prepared.val if prepared.val is not None else prepared.train
        self.eval_images, self.eval_keys = all_images(held_out, 1024)

    def modules(self) -> dict[str, torch.nn.Module]:
        return {"clip": self.model}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"clip": self.opt}

    def schedulers(self) -> dict[str, Any]:
        return {"clip": self.sched}

    def train_step(self, batch: Any, step: int) -> dict[str, torch.Tensor | float]:
        images, keys = batch
        ids = self.tokens[self.table.caption_ids(keys)].to(self.device)
        groups = self.table.groups(keys) if self.config.class_targets else None
        with self.autocast():
            image_emb = self.model.encode_image(images)
            text_emb = self.model.encode_text(ids)
            loss, logits = contrastive_loss(
                image_emb.float(), text_emb.float(), self.model.scale(), groups
            )
        self.optimize(loss, self.opt)
        self.sched.step()
        with torch.no_grad():
            group = self.table.groups(keys).to(logits.device)
            picked = group[logits.argmax(1)] == group
        return {
            "loss": loss.detach(),
            "temperature": float(1 / self.model.scale().detach()),
            "batch_accuracy": picked.float().mean(),
        }

    # --- embeddings -----------------------------------------------------------------
    @torch.no_grad()
    def embed_images(self, images: torch.Tensor) -> torch.Tensor:
        out = [
            self.model.encode_image(images[i : i + 256].to(self.device)).float().cpu()
            for i in range(0, len(images), 256)
        ]
        return torch.cat(out) if out else torch.zeros(0, self.config.embed_dim)

    @torch.no_grad()
    def embed_texts(self, captions: list[str]) -> torch.Tensor:
        ids = torch.tensor([self.tokenizer.encode(c) for c in captions], dtype=torch.long)
        return self.model.encode_text(ids.to(self.device)).float().cpu()

    def retrieval_scores(self) -> dict[str, float]:
        """The two scores of the module docstring, on the held-out images."""
        prompts = self.table.prompts
        with self.eval_mode():
            images = self.embed_images(self.eval_images)
            texts = self.embed_texts(prompts)
        groups = self.table.groups(self.eval_keys)
        sims = images @ texts.T  # (images, prompts); prompt i is group i
        zero_shot = float((sims.argmax(1) == groups).float().mean())
        k = min(PRECISION_AT, len(images))
        top = sims.T.topk(k, dim=1).indices  # (prompts, k)
        precision = float((groups[top] == torch.arange(len(prompts))[:, None]).float().mean())
        return {
            "zero_shot_accuracy": zero_shot,
            "text_to_image_precision": precision,
            "chance": 1.0 / len(prompts),
        }

    # --- sampling -------------------------------------------------------------------
    def sample(
        self, generator: torch.Generator, n: int | None = None, options: Any = None
    ) -> api.Images:
        """The closest images to a caption, the best captions of an image, or (the
        previews) the closest held-out images to each class's prompt."""
        options = options or CLIPOptions()
        if options.image.strip():
            return self.caption_image(options.image.strip(), options.candidates, options.top)
        if options.caption.strip():
            return self.search(options.caption.strip(), n or options.top)
        return self.preview(n or options.top)

    def _dataset_images(self) -> torch.Tensor:
        images = [all_images(self.dataset.train, SEARCH_LIMIT)[0]]
        if self.dataset.val is not None:
            images.append(all_images(self.dataset.val, SEARCH_LIMIT)[0])
        return torch.cat(images)[:SEARCH_LIMIT]

    def search(self, caption: str, top: int) -> api.Images:
        images = self._dataset_images()
        with self.eval_mode():
            sims = (self.embed_images(images) @ self.embed_texts([caption]).T)[:, 0]
        best = sims.topk(min(top, len(sims))).indices
        unknown = self.tokenizer.unknown(caption)
        return api.Images(
            images=to_uint8(images[best]),
            labels=[f"{float(sims[i]):.2f}" for i in best],
            columns=min(top, 8),
            metrics={"best_similarity": float(sims[best[0]]), "unknown_words": len(unknown)},
        )

    def candidates(self, text: str) -> list[str]:
        given = [c.strip() for c in text.split(";") if c.strip()]
        return given or list(self.table.captions if self.table.per_class else self.table.prompts)

    def caption_image(self, path: str, candidates: str, top: int) -> api.Images:
        image = read_image(path, self.config.image_size, self.config.channels)
        captions = self.candidates(candidates)
        with self.eval_mode():
            sims = (self.embed_images(image) @ self.embed_texts(captions).T)[0]
            probs = (self.model.scale().cpu() * sims).softmax(0)
        order = sims.argsort(descending=True)[:top]
        lines = [f"{float(probs[i]):.2f}  {captions[i]}" for i in order]
        return api.Images(
            images=to_uint8(image),
            labels=["\n".join(lines)],
            columns=1,
            metrics={
                "best_similarity": float(sims[order[0]]),
                "best_share": float(probs[order[0]]),
            },
        )

    def preview(self, top: int) -> api.Images:
        prompts = self.table.prompts[:10]
        with self.eval_mode():
            images = self.embed_images(self.eval_images)
            sims = images @ self.embed_texts(prompts).T
        k = min(top, len(images))
        best = sims.T.topk(k, dim=1).indices  # (prompts, k)
        return api.Images(
            images=to_uint8(self.eval_images[best.reshape(-1)]),
            labels=[p for p in prompts for _ in range(k)],
            columns=k,
            metrics=self.retrieval_scores(),
        )
