"""How well a CycleGAN translates the embedded digit domains (``domains.py``): the
numbers the learning tests assert and the bench reports. Qt-free.

On the held-out digits, drawn in both domains:

- ``target_rate``: the share of translations that a domain classifier (trained on the
  real images of the two domains) labels as the target domain;
- ``class_kept``: the share of translations whose digit the digit judge
  (``api.judge.digit_judge()``) reads as the source's label; a translation to B is
  judged after the rule is undone (``derender_b``), one to A as it is;
- ``cycle_error``: mean |G_BA(G_AB(a)) - a| (and the other way), in [0, 1] pixel units;
- ``translation_error``: mean |G_AB(a) - the true B image| (and the other way).

Each figure is given per direction (``_ab``, ``_ba``) and as the mean of both.
"""

from __future__ import annotations

from typing import Any

import torch

from studio import api

from . import domains


def domain_classifier(seed: int = 0, epochs: int = 2) -> Any:
    """A classifier of the two domains (0: A, 1: B), trained on their training images."""
    data = domains.load_digit_domains()
    a = data.train[0].float() / 127.5 - 1
    b = data.info["domain_b"][0].float() / 127.5 - 1
    labels = torch.cat([torch.zeros(len(a)), torch.ones(len(b))]).long()
    trained = api.judge.train_judge(torch.cat([a, b]), labels, epochs=epochs, seed=seed)
    return trained.model


def _share(hits: torch.Tensor) -> float:
    return float(hits.float().mean())


def evaluate(translate: Any, classifier: Any, judge: Any | None = None) -> dict[str, float]:
    """The figures above for ``translate(images, direction) -> (translated, back)``
    (a trainer's ``translate``) on greyscale 32x32 images. ``judge``: a digit
    classifier (default: the shared ``digit_judge()``)."""
    judge = api.judge.digit_judge().model if judge is None else judge
    held_a, held_b, labels = domains.held_out()
    out: dict[str, float] = {}
    for tag, source, direction, target in (
        ("ab", held_a, "A->B", 1),
        ("ba", held_b, "B->A", 0),
    ):
        translated, back = translate(source, direction)
        translated, back = translated.float().cpu(), back.float().cpu()
        as_a = domains.derender_b(translated) if direction == "A->B" else translated
        true = domains.render_b(source) if direction == "A->B" else domains.derender_b(source)
        predict = api.judge.predict
        out[f"target_rate_{tag}"] = _share(predict(classifier, translated).argmax(1) == target)
        out[f"class_kept_{tag}"] = _share(predict(judge, as_a).argmax(1) == labels)
        out[f"cycle_error_{tag}"] = float((back - source).abs().mean()) / 2
        out[f"translation_error_{tag}"] = float((translated - true).abs().mean()) / 2
    for name in ("target_rate", "class_kept", "cycle_error", "translation_error"):
        out[name] = (out[f"{name}_ab"] + out[f"{name}_ba"]) / 2
    return out
