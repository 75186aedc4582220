"""TensorBoard event files, read back with tensorboard's own event reader."""

from __future__ import annotations

import numpy as np
import pytest

from studio import cli
from studio.core.samples import Images, Text

event_accumulator = pytest.importorskip(
    "tensorboard.backend.event_processing.event_accumulator",
    reason="tensorboard is not installed",
)


def _read(logdir):
    acc = event_accumulator.EventAccumulator(
        str(logdir), size_guidance={"scalars": 0, "images": 0, "tensors": 0}
    )
    acc.Reload()
    return acc


def test_a_cli_run_writes_scalars_tensorboard_reads(tmp_path):
    run = tmp_path / "run"
    args = ["train", "--model", "gan-numbers", "--steps", "30", "--sample-every", "10"]
    assert cli.main([*args, "--run-dir", str(run), "--tensorboard"]) == 0
    acc = _read(run / "tensorboard")
    tags = acc.Tags()["scalars"]
    assert {"d_loss", "g_loss", "sample/share_multiples_of_5"} <= set(tags)
    d_loss = acc.Scalars("d_loss")
    assert [e.step for e in d_loss] == list(range(1, 31))
    assert [e.step for e in acc.Scalars("sample/share_multiples_of_5")] == [0, 10, 20, 30]
    # Resume keeps writing to the same place.
    assert cli.main(["train", "--resume", "--run-dir", str(run), "--steps", "40"]) == 0
    assert [e.step for e in _read(run / "tensorboard").Scalars("d_loss")][-1] == 40


def test_image_and_text_samples_are_written(tmp_path):
    from studio.core.tensorboard import TensorBoardListener

    listener = TensorBoardListener(tmp_path)
    images = np.zeros((4, 8, 8, 3), dtype=np.uint8)
    images[:, :, :4] = 255
    listener.on_sample(5, Images(images=images))
    listener.on_sample(5, Text(texts=["to be or not to be"]))
    listener.on_metrics({"step": 5, "time": 1.0, "epoch": 0, "loss": 0.5})
    listener.on_state("finished", 5, "")
    acc = _read(tmp_path / "tensorboard")
    (image,) = acc.Images("samples")
    grid = Images(images=images).grid()  # 2 x 2 images of 8 x 8 with 2-pixel padding
    assert image.step == 5 and (image.height, image.width) == grid.shape[:2] == (22, 22)
    assert image.encoded_image_string.startswith(b"\x89PNG")
    assert acc.Scalars("loss")[0].value == 0.5
    assert "samples/text_summary" in acc.Tags()["tensors"]
