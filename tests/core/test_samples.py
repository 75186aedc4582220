from __future__ import annotations

import numpy as np
import pytest

from studio.core.samples import Images, Numbers, Points, SampleFormatError, Text, load_sample


def test_points_numbers_text_round_trip(tmp_path):
    pts = Points(
        points=np.random.rand(10, 2), reference=np.random.rand(5, 2), metrics={"mean_distance": 0.5}
    )
    back = load_sample(pts.save(tmp_path / "p"))
    assert isinstance(back, Points)
    np.testing.assert_allclose(back.points, pts.points)
    np.testing.assert_allclose(back.reference, pts.reference)
    assert back.metrics == {"mean_distance": 0.5}
    nums = load_sample(Numbers(values=[5, 10, 3], rule="multiples of 5").save(tmp_path / "n"))
    assert nums.values == [5, 10, 3] and nums.rule == "multiples of 5"
    text = load_sample(Text(texts=["héllo", "wörld"], prompt="h").save(tmp_path / "t"))
    assert text.texts == ["héllo", "wörld"]


@pytest.mark.parametrize("channels", [1, 3])
def test_images_round_trip_through_png_grid(tmp_path, channels):
    imgs = np.random.randint(0, 255, (7, 9, 11, channels), dtype=np.uint8)
    sample = Images(images=imgs, labels=[str(i) for i in range(7)], metrics={"acc": 0.9})
    path = sample.save(tmp_path / "step_0000010")
    assert path.suffix == ".png"
    back = load_sample(path)
    np.testing.assert_array_equal(back.images, imgs)
    assert back.labels == sample.labels and back.metrics == {"acc": 0.9}


def test_unreadable_or_unknown_samples_raise_the_documented_error(tmp_path):
    (tmp_path / "a.json").write_text("{not json")
    (tmp_path / "b.json").write_text('{"kind": "hologram"}')
    for name in ("a.json", "b.json", "missing.json"):
        with pytest.raises(SampleFormatError):
            load_sample(tmp_path / name)
