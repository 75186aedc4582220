"""Contract tests of the image GANs plugin: it loads, its forms build, each model trains
a few steps through the real engine with finite losses, samples (only from the
generator it is given), checkpoints and resumes; the explorer and the class mix do
what they say; the generator exports to safetensors and to ONNX (run in onnxruntime);
a dropped folder of colour images trains at 64x64; the widget samples."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from studio import api
from studio.core import config as cfg
from studio.core.rundir import RunDir
from studio.core.session import RunSampler, TrainSettings, create_engine, resume_engine

MODELS = ["gan-mlp", "dcgan", "cgan"]
# Small networks: these tests check the plumbing, the learning tests check learning.
TINY = {
    "gan-mlp": {"hidden": 32, "batch_size": 32, "preview_images": 16},
    "dcgan": {"image_size": 32, "ngf": 8, "ndf": 8, "batch_size": 32, "preview_images": 16},
    "cgan": {"ngf": 8, "ndf": 8, "batch_size": 16, "critic_steps": 2},
}
# "dcgan-codes": DCGAN with InfoGAN codes, whose generator also takes (code) vectors.
TINY["dcgan-codes"] = {**TINY["dcgan"], "codes": 4}
VARIANTS = [*MODELS, "dcgan-codes"]
CONDITIONAL = ["dcgan-codes", "cgan"]


def model_of(variant: str) -> str:
    return variant.removesuffix("-codes")


def tiny_trainer(plugins, variant: str, **overrides):
    """A trainer of ``variant`` on the digits, built outside the engine (seeded)."""
    spec = plugins.models[model_of(variant)]
    config = cfg.build(spec.config_class, {**TINY[variant], **overrides})
    torch.manual_seed(0)
    return spec.trainer_factory(config, plugins.dataset("digits").loader(), torch.device("cpu"))


def train_steps(trainer, steps: int) -> None:
    images, labels = trainer.dataset.train
    n = trainer.batch_size
    for step in range(steps):
        idx = torch.arange(step * n, (step + 1) * n) % len(images)
        trainer.train_step((images[idx], labels[idx]), step)


def test_plugin_loads_with_its_models_dataset_and_exporters(plugins):
    assert plugins.records["image_gans"].ok, plugins.records["image_gans"].errors
    for model in MODELS:
        spec = plugins.models[model]
        assert spec.default_dataset == "digits"
        assert set(spec.presets) == {"book", "quick CPU"}
        assert plugins.datasets["digits"].kind in spec.dataset_kinds
        assert spec.sample_kind == "images"
    assert plugins.models["cgan"].dataset_kinds == ("labelled-images",)
    assert {"image-gan-onnx", "image-gan-safetensors"} <= set(plugins.exporters)
    assert set(plugins.exporters["image-gan-onnx"].applies_to) == set(MODELS)


def test_digits_are_embedded_labelled_images(plugins):
    spec = plugins.dataset("digits")
    data = spec.loader()
    images, labels = data.train
    assert data.kind == "labelled-images" and spec.items == len(images) == 1797
    assert images.shape == (1797, 1, 32, 32) and images.dtype == torch.uint8
    assert int(images.max()) == 255 and int(images.min()) == 0
    assert labels.dtype == torch.int64 and sorted(labels.unique().tolist()) == list(range(10))
    assert data.info["classes"] == [str(i) for i in range(10)]


def test_book_presets_are_the_book_settings(plugins):
    mlp = cfg.build(plugins.models["gan-mlp"].config_class, {})
    assert (mlp.latent_dim, mlp.hidden, mlp.lr, mlp.dropout) == (100, 256, 1e-4, 0.3)
    dc = cfg.build(plugins.models["dcgan"].config_class, {})
    assert (dc.lr, dc.beta1, dc.beta2, dc.image_size, dc.ngf, dc.ndf) == (
        2e-4,
        0.5,
        0.999,
        64,
        64,
        64,
    )
    cg = cfg.build(plugins.models["cgan"].config_class, {})
    assert (cg.loss, cg.critic_steps, cg.gp_weight) == ("wgan-gp", 5, 10.0)


def test_networks_have_the_book_shapes(plugins):
    mlp = tiny_trainer(plugins, "gan-mlp", hidden=256)
    sizes = [m.out_features for m in mlp.generator.modules() if isinstance(m, torch.nn.Linear)]
    assert sizes == [256, 512, 1024, 28 * 28]
    sizes = [m.out_features for m in mlp.discriminator.modules() if isinstance(m, torch.nn.Linear)]
    assert sizes == [1024, 512, 256, 1]
    for size in (32, 64):
        dc = tiny_trainer(plugins, "dcgan", image_size=size, channels=3, ngf=64, ndf=64)
        with torch.no_grad():
            out = dc.generator(torch.randn(2, 100))
            assert out.shape == (2, 3, size, size) and out.abs().max() <= 1
            assert dc.discriminator(out).shape == (2,)
        convs = [m for m in dc.generator.modules() if isinstance(m, torch.nn.ConvTranspose2d)]
        assert convs[0].out_channels == 64 * (8 if size == 64 else 4)
        weights = torch.cat([c.weight.detach().flatten() for c in convs])
        assert abs(float(weights.std()) - 0.02) < 0.002  # N(0, 0.02) initialisation


@pytest.mark.parametrize("model", VARIANTS)
def test_trains_samples_checkpoints_and_resumes(plugins, tmp_path, model):
    source = plugins.model_source(model_of(model))
    dataset = plugins.dataset(source.spec.default_dataset)
    config = cfg.build(source.spec.config_class, TINY[model])
    settings = TrainSettings(steps=12, device="cpu", sample_every=6, checkpoint_every=6)
    result = create_engine(source, dataset, config, settings, tmp_path / "r").run()
    assert result.state == "finished", result.message
    run = RunDir(tmp_path / "r")
    rows = [r for r in run.read_metrics() if "g_loss" in r]
    assert len(rows) == 12
    assert all(math.isfinite(v) for r in rows for k, v in r.items() if k.endswith("loss"))
    assert run.checkpoint_steps() == [6, 12]
    previews = [r for r in run.read_metrics() if "sample/mean_image_error" in r]
    assert [r["step"] for r in previews] == [0, 6, 12]

    sample = RunSampler(tmp_path / "r", plugins.resolve_run).sample(seed=1, n=10)
    assert isinstance(sample, api.Images) and sample.images.dtype == np.uint8
    assert sample.images.shape[0] == 10 and sample.images.shape[-1] == 1
    again = RunSampler(tmp_path / "r", plugins.resolve_run).sample(seed=1, n=10)
    assert np.array_equal(sample.images, again.images)  # same seed and checkpoint
    other = RunSampler(tmp_path / "r", plugins.resolve_run).sample(seed=2, n=10)
    assert not np.array_equal(sample.images, other.images)

    engine = resume_engine(tmp_path / "r", plugins.resolve_run, total_steps=18)
    assert engine.step == 12 and engine.run().state == "finished"
    assert run.checkpoint_steps()[-1] == 18


@pytest.mark.parametrize("model", VARIANTS)
def test_sample_draws_only_from_the_generator_it_is_given(plugins, model):
    trainer = tiny_trainer(plugins, model)
    train_steps(trainer, 2)
    state = torch.get_rng_state()
    with trainer.eval_mode():
        a = trainer.sample(torch.Generator().manual_seed(7))
        b = trainer.sample(torch.Generator().manual_seed(7))
    assert torch.equal(state, torch.get_rng_state())  # the training stream is untouched
    assert np.array_equal(a.images, b.images)
    assert set(a.metrics) == {"mean_image_error", "diversity"}


@pytest.mark.parametrize("precision", ["bf16"])
@pytest.mark.parametrize("model", VARIANTS)
def test_trains_under_mixed_precision(plugins, tmp_path, model, precision):
    source = plugins.model_source(model_of(model))
    config = cfg.build(source.spec.config_class, TINY[model])
    settings = TrainSettings(
        steps=2, device="cpu", precision=precision, sample_every=2, checkpoint_every=0
    )
    result = create_engine(
        source, plugins.dataset("digits"), config, settings, tmp_path / "r"
    ).run()
    assert result.state == "finished", result.message


def test_translation_shifts_each_image_within_its_bound_and_passes_gradients():
    from studio_plugins.image_gans.augment import translate

    dots = torch.full((64, 1, 16, 16), -1.0)
    dots[:, :, 8, 8] = 1.0  # one lit pixel in the middle of each image
    shifted = translate(dots.clone().requires_grad_(True), fraction=0.125)  # up to 2 px
    where = (shifted[:, 0] == 1).nonzero()[:, 1:] - 8
    assert len(where) == 64 and where.abs().max() <= 2  # every dot moved, within bounds
    assert len({tuple(w) for w in where.tolist()}) > 10  # and independently per image
    source = torch.randn(4, 3, 16, 16, requires_grad=True)
    translate(source).sum().backward()
    assert source.grad is not None and source.grad.sum() == 4 * 3 * 16 * 16


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_dcgan_trains_with_r1_penalty_and_augmentation(plugins, tmp_path, precision):
    source = plugins.model_source("dcgan")
    config = cfg.build(
        source.spec.config_class, {**TINY["dcgan"], "r1_gamma": 1.0, "augment": "translation"}
    )
    settings = TrainSettings(
        steps=6, device="cpu", precision=precision, sample_every=0, checkpoint_every=0
    )
    path = tmp_path / "r"
    result = create_engine(source, plugins.dataset("digits"), config, settings, path).run()
    assert result.state == "finished", result.message
    rows = [r for r in RunDir(path).read_metrics() if "r1" in r]
    assert len(rows) == 6 and all(math.isfinite(r["r1"]) and r["r1"] > 0 for r in rows)


def test_r1_penalty_is_the_squared_gradient_norm_at_real_images(plugins):
    trainer = tiny_trainer(plugins, "dcgan", r1_gamma=1.0)
    real = trainer.dataset.train[0][:8].float().requires_grad_(True)
    penalty = trainer.r1_penalty(trainer.discriminator(real), real)
    (grads,) = torch.autograd.grad(trainer.discriminator(real).sum(), real)
    assert torch.allclose(penalty, grads.pow(2).sum((1, 2, 3)).mean(), rtol=1e-5)
    penalty.backward()  # the penalty trains the discriminator: it has a gradient
    assert any(p.grad is not None for p in trainer.discriminator.parameters())


def test_dcgan_with_codes_learns_to_read_them_back(plugins):
    """InfoGAN: the discriminator's code head and the generator together make the code
    readable from the image; the code-reading loss falls from chance (ln 4 for four
    codes) within 150 steps (to about 0.15 at this learning rate; 1.3 after 20)."""
    trainer = tiny_trainer(plugins, "dcgan-codes", lr=1e-3)
    assert trainer.classes == ["code 0", "code 1", "code 2", "code 3"]
    images, labels = trainer.dataset.train
    losses = []
    for step in range(150):
        idx = torch.randint(len(images), (32,))
        losses.append(float(trainer.train_step((images[idx], labels[idx]), step)["code_loss"]))
    first, last = sum(losses[:5]) / 5, sum(losses[-20:]) / 20
    assert first > 0.8 * math.log(4), losses[:5]
    assert last < 0.5 * first, (first, last)
    with trainer.eval_mode():
        preview = trainer.sample(torch.Generator().manual_seed(0))
        with pytest.raises(ValueError, match="code vectors"):
            trainer.generate(torch.randn(2, 100))
    # The preview shows every code, whole rows each (4 codes: 2 rows of 8 each).
    assert preview.labels == [f"code {c}" for c in range(4) for _ in range(16)]
    assert preview.columns == 8


def test_cgan_preview_shows_every_class_a_row_each(plugins):
    trainer = tiny_trainer(plugins, "cgan")
    with trainer.eval_mode():
        sample = trainer.sample(torch.Generator().manual_seed(0))
    assert sample.images.shape[0] == 100  # 10 classes x 10: a 10 x 10 grid
    assert sample.labels == [str(c) for c in range(10) for _ in range(10)]
    assert sample.columns == 10
    trainer = tiny_trainer(plugins, "cgan", preview_per_class=3)  # one row of 3 a class
    with trainer.eval_mode():
        sample = trainer.sample(torch.Generator().manual_seed(0))
    assert sample.images.shape[0] == 30 and sample.columns == 3


def test_cgan_samples_a_class_and_mixes_two(plugins):
    from studio_plugins.image_gans.options import LabelOptions
    from studio_plugins.image_gans.pixels import to_uint8

    trainer = tiny_trainer(plugins, "cgan")
    train_steps(trainer, 2)
    with trainer.eval_mode():

        def draw(**options):
            return trainer.sample(torch.Generator().manual_seed(3), 6, LabelOptions(**options))

        three = draw(label="3")
        assert three.labels == ["3"] * 6 and not three.metrics
        assert np.array_equal(draw(label="3", mix_with="8", mix=1.0).images, three.images)
        assert np.array_equal(draw(label="8", mix_with="3", mix=0.0).images, three.images)
        half = draw(label="3", mix_with="8", mix=0.5)
        assert half.labels == ["0.5x3 + 0.5x8"] * 6
        assert not np.array_equal(half.images, three.images)
        # The mixed label vector is what the generator was given.
        z = trainer.noise(6, torch.Generator().manual_seed(3))
        y = torch.zeros(6, 10)
        y[:, 3] = y[:, 8] = 0.5
        assert np.array_equal(to_uint8(trainer.generate(z, y)), half.images)
        with pytest.raises(api.ConfigError, match=r"^label: '10' is not one of 0, 1"):
            draw(label="10")
        with pytest.raises(api.ConfigError, match=r"^mix_with: 'eight' is not one of"):
            draw(label="3", mix_with="eight")
        with pytest.raises(api.ConfigError, match=r"^mix_with: give label too"):
            draw(mix_with="8")


def test_typed_options_are_checked_and_name_the_bad_option(plugins, tmp_path):
    """The options as the CLI's ``-o`` and the Explore controls give them: strings
    and JSON values, converted to each option's type; a bad one is a ConfigError whose
    message starts with the option's name, from the options class (type, range,
    choices, unknown name) or from the run (a class it does not have)."""
    from studio.core.run_sampler import RunSampler as Sampler
    from studio.core.sampling import build_options
    from studio_plugins.image_gans.options import ExploreOptions, LabelOptions

    assert plugins.models["gan-mlp"].sample_options is ExploreOptions
    assert plugins.models["dcgan"].sample_options is LabelOptions
    assert plugins.models["cgan"].sample_options is LabelOptions
    opts = build_options(LabelOptions, {"label": 3, "mix": "0.25", "explore": "interpolate"})
    assert (opts.label, opts.mix, opts.explore, opts.steps) == ("3", 0.25, "interpolate", 8)
    for values, start in [
        ({"steps": "many"}, "steps: 'many' is not a valid int"),
        ({"steps": 1}, "steps: 1 is below the minimum 2"),
        ({"mix": 1.5}, "mix: 1.5 is above the maximum 1"),
        ({"explore": "zoom"}, "explore: 'zoom' is not one of none, interpolate, arithmetic"),
        ({"temperature": 0.8}, "temperature: no such sampling option"),
        ({"spherical": "maybe"}, "spherical: 'maybe' is not a valid bool"),
    ]:
        with pytest.raises(api.ConfigError) as caught:
            build_options(LabelOptions, values)
        assert str(caught.value).startswith(start), caught.value
    with pytest.raises(api.ConfigError, match=r"^label: no such sampling option"):
        build_options(ExploreOptions, {"label": 1})

    # Through a run, as `genai-studio-cli sample -o label=...` samples.
    source = plugins.model_source("dcgan")
    config = cfg.build(source.spec.config_class, TINY["dcgan"])
    settings = TrainSettings(steps=1, device="cpu", sample_every=0, checkpoint_every=1)
    create_engine(source, plugins.dataset("digits"), config, settings, tmp_path / "r").run()
    sampler = Sampler(tmp_path / "r", plugins.resolve_run)
    with pytest.raises(api.ConfigError, match=r"^label: this DCGAN has no codes"):
        sampler.sample(seed=0, n=2, options={"label": "3"})
    with pytest.raises(api.ConfigError, match=r"^label_a: this DCGAN has no codes"):
        sampler.sample(seed=0, options={"explore": "arithmetic", "label_a": "1"})
    strip = sampler.sample(seed=0, options={"explore": "interpolate", "steps": "12"})
    assert strip.images.shape[0] == 12 and strip.columns == 12  # one captioned row
    assert len(strip.labels) == 12 and strip.labels[0] == "a: seed 0"


@pytest.mark.parametrize("model", ["dcgan", *CONDITIONAL])
def test_explorer_interpolates_and_does_arithmetic_from_seeds(plugins, model):
    from studio_plugins.image_gans.explore import latent
    from studio_plugins.image_gans.options import LabelOptions
    from studio_plugins.image_gans.pixels import to_uint8

    trainer = tiny_trainer(plugins, model)
    train_steps(trainer, 2)
    g = torch.Generator().manual_seed(0)
    conditional = model in CONDITIONAL
    extra = {"label_a": "1", "label_b": "3"} if conditional else {}
    if model == "dcgan-codes":  # codes by name or by index
        extra["label_b"] = "code 3"

    def explore(mode: str, **options):
        return trainer.sample(g, None, LabelOptions(explore=mode, **options))

    with trainer.eval_mode():
        strip = explore("interpolate", seed_a=11, seed_b=22, steps=5, **extra)
        assert strip.images.shape[0] == 5 and strip.columns == 5  # one row
        assert strip.labels[0].startswith("a: seed 11") and strip.labels[-1].startswith(
            "b: seed 22"
        )
        assert strip.labels[1:-1] == ["t=0.25", "t=0.50", "t=0.75"]
        if model == "cgan":
            assert strip.labels[0] == "a: seed 11, class 1"
        if model == "dcgan-codes":
            assert strip.labels[0] == "a: seed 11, code 1"
            assert strip.labels[-1] == "b: seed 22, code 3"
        ends = torch.cat([latent(100, 11), latent(100, 22)])
        k = len(trainer.classes)
        y = torch.eye(k)[[1, 3]] if conditional else None
        # Each end is the image of its seed's latent alone (eval mode: batch-independent).
        assert np.array_equal(to_uint8(trainer.generate(ends, y)), strip.images[[0, -1]])

        sums = explore("arithmetic", seed_a=1, seed_b=2, seed_c=3)
        assert sums.images.shape[0] == 4 and sums.labels[3] == "a - b + c"
        assert sums.columns == 4
        z = latent(100, 1) - latent(100, 2) + latent(100, 3)
        y = torch.eye(k)[[0]] if conditional else None  # class 0 - 0 + 0
        assert np.array_equal(to_uint8(trainer.generate(z, y)), sums.images[3:])
        spherical = explore("interpolate", seed_a=11, seed_b=22, spherical=True)
        assert spherical.images.shape[0] == 8
        with pytest.raises(api.ConfigError, match=r"^explore: unknown mode 'zoom'"):
            explore("zoom")


@pytest.mark.parametrize("model", VARIANTS)
def test_generator_exports_to_onnx_and_safetensors(plugins, tmp_path, model):
    import onnxruntime as ort
    from safetensors.torch import load_file

    trainer = tiny_trainer(plugins, model)
    train_steps(trainer, 3)  # batch norm running statistics away from their start
    onnx_path, st_path = tmp_path / "g.onnx", tmp_path / "g.safetensors"
    plugins.exporters["image-gan-onnx"].export(trainer, onnx_path)
    plugins.exporters["image-gan-safetensors"].export(trainer, st_path)

    z = torch.randn(5, 100, generator=torch.Generator().manual_seed(0))
    feeds = {"z": z.numpy()}
    y = None
    if model in CONDITIONAL:
        k = len(trainer.classes)
        y = torch.eye(k)[[0, 3, 1, 2, 3]] * 0.7 + torch.eye(k)[[1, 1, 2, 2, 0]] * 0.3
        feeds["labels"] = y.numpy()
    with trainer.eval_mode():
        expected = trainer.generate(z, y).numpy()
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    got = session.run(["images"], feeds)[0]
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-4)
    meta = session.get_modelmeta().custom_metadata_map
    assert meta["latent_dim"] == "100"
    assert json.loads(meta["classes"]) == (trainer.classes if model in CONDITIONAL else [])

    weights = load_file(str(st_path))
    assert weights.keys() == trainer.generator.state_dict().keys()
    fresh = tiny_trainer(plugins, model)
    fresh.generator.load_state_dict(weights)
    with fresh.eval_mode():
        assert np.array_equal(fresh.generate(z, y).numpy(), expected)


def test_a_dropped_folder_of_colour_images_trains_dcgan_at_64(plugins, tmp_path):
    """The readers' lazily decoded files, through prepare_images, at 64x64 colour."""
    from PIL import Image

    rng = np.random.default_rng(0)
    for cls in ("cats", "dogs"):
        (tmp_path / "drop" / cls).mkdir(parents=True)
        for i in range(12):
            pixels = rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(tmp_path / "drop" / cls / f"{i}.png")
    dataset = plugins.dataset_from_path(tmp_path / "drop", reader="image-classes")
    source = plugins.model_source("dcgan")
    config = cfg.build(
        source.spec.config_class,
        {"image_size": 64, "channels": 3, "ngf": 4, "ndf": 4, "batch_size": 8, "preview_images": 4},
    )
    settings = TrainSettings(steps=3, device="cpu", sample_every=3, checkpoint_every=3)
    assert create_engine(source, dataset, config, settings, tmp_path / "r").run().state == (
        "finished"
    )
    sample = RunSampler(tmp_path / "r", plugins.resolve_run).sample(seed=0, n=2)
    assert sample.images.shape == (2, 64, 64, 3)
    # The conditional GAN takes the sub-folders as classes.
    cgan = plugins.model_source("cgan")
    config = cfg.build(cgan.spec.config_class, {"ngf": 4, "ndf": 4, "batch_size": 8})
    settings = TrainSettings(steps=2, device="cpu", sample_every=2, checkpoint_every=0)
    assert create_engine(cgan, dataset, config, settings, tmp_path / "c").run().state == (
        "finished"
    )
    labels = api.Images.load_png(next((tmp_path / "c" / "samples").glob("*.png"))).labels
    assert list(dict.fromkeys(labels)) == ["cats", "dogs"]


def test_cgan_refuses_unlabelled_images(plugins):
    spec = plugins.models["cgan"]
    images = plugins.dataset("digits").loader().train[0]
    flat = api.LoadedDataset(kind="images", train=(images,))
    config = cfg.build(spec.config_class, TINY["cgan"])
    with pytest.raises(api.DatasetError, match="labelled images"):
        spec.trainer_factory(config, flat, torch.device("cpu"))


@pytest.mark.parametrize("model", ["dcgan", *CONDITIONAL])
def test_sampling_widget_samples_and_explores(qtbot, plugins, tmp_path, model):
    from studio.api_qt import SamplingContext
    from studio_plugins.image_gans.options import LabelOptions

    source = plugins.model_source(model_of(model))
    config = cfg.build(source.spec.config_class, TINY[model])
    settings = TrainSettings(steps=4, device="cpu", sample_every=4, checkpoint_every=0)
    create_engine(source, plugins.dataset("digits"), config, settings, tmp_path / "r").run()
    widget = source.spec.widget_factory(SamplingContext(source.spec, plugins.resolve_run))
    qtbot.addWidget(widget)
    widget.resize(1000, 760)
    widget.show()
    assert not widget.generate_button.isEnabled() and not widget.interpolate_button.isEnabled()
    # The generated option editors that fit sit in the explorer; the form is hidden.
    assert not widget.options_form.isVisible() and widget.steps.isVisible()
    assert widget.steps is widget.options_form.editor("steps")
    assert widget.steps.maximum() == 64  # the range declared in options.py
    widget.set_run(tmp_path / "r")
    assert widget.run is not None and widget.run.path == tmp_path / "r"
    assert widget.interpolate_button.isEnabled()
    # The class (code) pickers show only for a model that takes classes (codes).
    assert widget.class_box.isVisible() == (model in CONDITIONAL)
    assert widget.class_boxes["a"].isVisible() == (model in CONDITIONAL)
    if model == "cgan":  # the classes come from the run handle
        assert widget.classes == widget.run.class_names == [str(i) for i in range(10)]
        assert widget.class_title.text() == "Class"
        widget.class_box.setCurrentIndex(1 + 4)  # class "4"
        widget.mix_box.setCurrentIndex(1 + 9)  # mixed with "9"
        widget.mix_slider.setValue(70)
        assert widget.current_options() == LabelOptions(label="4", mix_with="9", mix=0.7)
    if model == "dcgan-codes":  # the codes from the run's config, through the handle
        assert widget.run.config.codes == 4
        assert widget.classes == ["code 0", "code 1", "code 2", "code 3"]
        assert widget.class_title.text() == "Code"
        assert widget.class_box.itemText(0) == "every code"
        widget.class_box.setCurrentIndex(1 + 2)
        widget.mix_box.setCurrentIndex(1 + 3)
        widget.mix_slider.setValue(70)
        expected = LabelOptions(label="code 2", mix_with="code 3", mix=0.7)
        assert widget.current_options() == expected
    widget.count.setValue(12)
    with qtbot.waitSignal(widget.sampled, timeout=60_000) as blocker:
        widget.generate_button.click()
    sample = blocker.args[0]
    assert sample.images.shape[0] == 12
    if model == "cgan":
        assert sample.labels == ["0.7x4 + 0.3x9"] * 12
    if model == "dcgan-codes":
        assert sample.labels == ["0.7xcode 2 + 0.3xcode 3"] * 12
    assert "checkpoint at step 4" in widget.status.text()

    widget.seed_boxes["a"].setValue(5)
    widget.seed_boxes["b"].setValue(6)
    widget.steps.setValue(12)
    if model in CONDITIONAL:
        widget.class_boxes["b"].setCurrentIndex(3)
    widget.spherical.setChecked(model == "cgan")
    asked = widget.options_for("interpolate")
    assert (asked.explore, asked.seed_a, asked.seed_b, asked.steps) == ("interpolate", 5, 6, 12)
    assert asked.spherical == (model == "cgan")
    if model in CONDITIONAL:
        assert (asked.label_a, asked.label_b) == (widget.classes[0], widget.classes[3])
    with qtbot.waitSignal(widget.sampled, timeout=60_000) as blocker:
        widget.interpolate_button.click()
    strip = blocker.args[0]
    assert strip.images.shape[0] == 12 and strip.columns == 12  # one captioned row
    assert strip.labels[0].startswith("a: seed 5") and strip.labels[-1].startswith("b: seed 6")
    if model in CONDITIONAL:
        assert strip.labels[-1].endswith(widget.classes[3])
    assert widget.strip.captions == strip.labels
    row = {widget.strip.grid.getItemPosition(i)[0] for i in range(widget.strip.grid.count())}
    assert row == {0, 1}  # pictures on row 0, captions on row 1: one strip
    assert "a: seed 5" in widget.status.text()
    with qtbot.waitSignal(widget.sampled, timeout=60_000) as blocker:
        widget.arithmetic_button.click()
    assert blocker.args[0].labels[-1] == "a - b + c"
    assert widget.interpolate_button.isEnabled()
    widget.grab().save(str(tmp_path / f"widget-{model}.png"))


def test_sampling_widget_takes_the_run_handle_and_reports_a_bad_class(qtbot, plugins, tmp_path):
    """The widget reads the run only through the RunHandle the app gives it: the class
    names it lists are the handle's. A class the run does not have fails with the
    trainer's message naming the option, and the widget stays usable."""
    import dataclasses

    from studio.api_qt import RunHandle, SamplingContext

    source = plugins.model_source("cgan")
    config = cfg.build(source.spec.config_class, TINY["cgan"])
    settings = TrainSettings(steps=1, device="cpu", sample_every=1, checkpoint_every=1)
    create_engine(source, plugins.dataset("digits"), config, settings, tmp_path / "r").run()
    handle = RunHandle.open(tmp_path / "r", source.spec)
    assert handle.class_names == [str(i) for i in range(10)]
    names = ["zero", "one", *handle.class_names[2:]]  # not the names the run knows
    widget = source.spec.widget_factory(SamplingContext(source.spec, plugins.resolve_run))
    qtbot.addWidget(widget)
    widget.set_run(dataclasses.replace(handle, class_names=names))
    assert widget.run.class_names == names and widget.classes == names
    widget.class_box.setCurrentIndex(1)  # "zero"
    widget.count.setValue(3)
    widget.generate_button.click()
    qtbot.waitUntil(lambda: "Could not sample" in widget.status.text(), timeout=60_000)
    assert "label: 'zero' is not one of 0, 1" in widget.status.text()
    assert widget.generate_button.isEnabled() and widget.interpolate_button.isEnabled()
    widget.class_box.setCurrentIndex(1 + 2)  # "2": a name the run has
    with qtbot.waitSignal(widget.sampled, timeout=60_000) as blocker:
        widget.generate_button.click()
    assert blocker.args[0].labels == ["2"] * 3
    widget.set_run(None)
    assert widget.run is None and not widget.interpolate_button.isEnabled()
