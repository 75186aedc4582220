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


def test_images_keep_their_columns_and_old_grids_still_read(tmp_path):
    import json
    import math

    from PIL import Image, PngImagePlugin

    strip = Images(images=np.arange(12 * 4 * 5, dtype=np.uint8).reshape(12, 4, 5, 1), columns=12)
    assert strip.grid().shape[:2] == (4 + 4, 12 * 7 + 2)  # one row
    back = load_sample(strip.save(tmp_path / "strip"))
    assert back.columns == 12
    np.testing.assert_array_equal(back.images, strip.images)
    # A grid written by the first release: no "columns", laid out about sqrt(N) wide.
    imgs = np.random.randint(0, 255, (7, 6, 6, 1), dtype=np.uint8)
    old = Images(images=imgs)
    info = PngImagePlugin.PngInfo()
    meta = {"kind": "images", "metrics": {}, "labels": None, "shape": [7, 6, 6, 1]}
    info.add_text("genai_studio", json.dumps(meta))
    grid = old.grid(columns=math.ceil(math.sqrt(7)))
    Image.fromarray(grid[..., 0]).save(tmp_path / "old.png", pnginfo=info)
    np.testing.assert_array_equal(load_sample(tmp_path / "old.png").images, imgs)


def test_load_sample_reads_only_the_kinds_it_is_given(tmp_path):
    from studio.core.contributions import SampleKindSpec
    from studio.core.samples import UnknownSampleKind

    path = Numbers(values=[5], metrics={"valid": 1.0}).save(tmp_path / "n")
    assert load_sample(path, {"numbers": SampleKindSpec("numbers", Numbers)}).values == [5]
    with pytest.raises(UnknownSampleKind) as err:
        load_sample(path, {"points": SampleKindSpec("points", Points)})
    assert err.value.kind == "numbers" and err.value.metrics == {"valid": 1.0}
    assert "'numbers' is not provided by any enabled plugin" in str(err.value)
    png = Images(images=np.zeros((1, 2, 2, 1), np.uint8)).save(tmp_path / "i")
    with pytest.raises(UnknownSampleKind):
        load_sample(png, {})


def test_sample_kind_specs_are_checked():
    from studio.core.contributions import ContributionError, SampleKindSpec, SampleViewSpec

    SampleKindSpec("text", Text).validate()
    with pytest.raises(ContributionError, match="must subclass Sample"):
        SampleKindSpec("text", dict).validate()
    with pytest.raises(ContributionError, match=r"Text\.kind is 'text'"):
        SampleKindSpec("prose", Text).validate()
    with pytest.raises(ContributionError, match="factory must be callable"):
        SampleViewSpec("text", None).validate()


def test_the_built_in_kinds_come_from_the_samples_plugin():
    from studio.plugins import PluginManager, load_plugins

    manager = load_plugins()
    assert {"points", "numbers", "text", "images"} <= set(manager.sample_kinds)
    for kind in ("points", "numbers", "text", "images"):
        assert manager.owner("sample kind", kind) == "samples"
        assert manager.owner("sample view", kind) == "samples"
    manager.set_enabled("samples", False)
    assert "points" not in manager.sample_kinds
    assert manager.missing_kind_message("points") == (
        "The sample kind 'points' comes from plugin samples, which is disabled; "
        "enable or install it to see it."
    )
    fresh = PluginManager()
    assert fresh.missing_kind_message("hologram") == (
        "Unknown sample kind 'hologram': no installed plugin provides it."
    )
    assert "plugin studio-holo, which is not installed" in fresh.missing_kind_message(
        "hologram", hint="studio-holo"
    )
