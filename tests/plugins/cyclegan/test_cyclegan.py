"""CycleGAN's parts and plumbing: the plugin loads with its model, embedded domains,
sample kind and exporters; the book preset is the book's listing; the networks are the
paper's (parameter counts of its code, a 70x70 receptive field) initialised as the
book means to; the image pool and the learning-rate decay do what they say; the run
resumes exactly; sampling translates data images, an image file or a whole folder
(streamed, cancellable); the generators export to ONNX and run in onnxruntime."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch
from torch import nn

from studio import api
from studio.core import config as cfg
from studio.core.samples import load_sample
from studio.core.session import RunSampler, resume_engine
from studio.core.settings import split_settings
from studio.testing import check_plugin_contract, sample_run, stream_run, train_run
from studio_plugins.cyclegan import domains
from studio_plugins.cyclegan.discriminator import PatchDiscriminator
from studio_plugins.cyclegan.generator import ResnetGenerator
from studio_plugins.cyclegan.pool import ImagePool
from studio_plugins.cyclegan.triples import ImageTriples
from studio_plugins.cyclegan.weights import initialise

from .conftest import TINY


def test_plugin_loads_its_model_domains_kind_and_exporters(cyclegan_manager):
    m = cyclegan_manager
    assert m.records["cyclegan"].ok, m.records["cyclegan"].errors
    spec = m.models["cyclegan"]
    assert spec.default_dataset == "digit-domains" and spec.sample_kind == "image-triples"
    assert set(spec.presets) == {"book", "paper", "quick CPU"}
    assert m.datasets["digit-domains"].kind in spec.dataset_kinds == ("two-domain-images",)
    assert {"cyclegan-onnx-ab", "cyclegan-onnx-ba"} <= set(m.exporters)
    assert "image-triples" in m.sample_kinds


def test_embedded_domains_are_unpaired_and_follow_their_rule(cyclegan_manager):
    data = cyclegan_manager.dataset("digit-domains").loader()
    a, b = data.train[0], data.info["domain_b"][0]
    assert a.shape == (808, 1, 32, 32) and b.shape == (809, 1, 32, 32) and a.dtype == torch.uint8
    held_a, held_b, labels = domains.held_out()
    assert len(held_a) == len(held_b) == len(labels) == 180
    # B is A inverted on striped paper, and the rule undoes exactly.
    assert torch.allclose(domains.render_b(held_a), held_b, atol=1 / 127)
    assert torch.allclose(domains.derender_b(held_b), held_a, atol=3 / 127)
    assert float(held_b.mean()) > 0 > float(held_a.mean())  # in [-1, 1]
    # No digit image is in both domains: B's digits, the rule undone, are none of A's.
    a_flat = (a.float() / 127.5 - 1).flatten(1)
    b_as_a = domains.derender_b(b.float() / 127.5 - 1).flatten(1)
    assert float(torch.cdist(b_as_a, a_flat).min()) > 1.0


def test_book_preset_is_the_books_listing(cyclegan_manager):
    """The values docs/cyclegan.md states for the book's chapter 6 listing."""
    spec = cyclegan_manager.models["cyclegan"]
    values, engine = split_settings(spec.presets["book"])
    book = cfg.build(spec.config_class, values)
    assert (book.image_size, book.channels, book.batch_size) == (256, 3, 1)
    assert (book.ngf, book.ndf, book.blocks) == (64, 64, 9)
    assert (book.lr, book.beta1, book.beta2) == (1e-5, 0.5, 0.999)
    assert (book.cycle_weight, book.identity, book.pool_size) == (10.0, 0.0, 0)
    assert (book.decay_steps, book.sigmoid, book.flip, book.init) == (0, True, True, "normal")
    assert engine["precision"] == "fp16"
    assert cfg.build(spec.config_class, {}) == book  # the defaults are the book's
    paper = cfg.build(spec.config_class, split_settings(spec.presets["paper"])[0])
    assert (paper.lr, paper.identity, paper.pool_size, paper.sigmoid) == (2e-4, 0.5, 50, False)
    assert paper.decay_from == paper.decay_steps == 100 * 1334
    quick = spec.presets["quick CPU"]
    assert (quick["image_size"], quick["channels"]) == (32, 1)


def test_networks_are_the_papers():
    # The paper's code prints 11.378 M and 2.765 M parameters for these (256 px, colour).
    assert sum(p.numel() for p in ResnetGenerator(3, 64, 9).parameters()) == 11_378_179
    assert sum(p.numel() for p in ResnetGenerator(3, 64, 6).parameters()) == 7_837_699
    assert sum(p.numel() for p in PatchDiscriminator(3, 64).parameters()) == 2_764_737
    g, d = ResnetGenerator(1, 8, 2), PatchDiscriminator(1, 8)
    x = torch.rand(2, 1, 64, 64) * 2 - 1
    assert g(x).shape == x.shape and g(x).abs().max() <= 1
    assert d(x).shape == (2, 1, 6, 6)
    assert all(not m.affine for m in g.modules() if isinstance(m, nn.InstanceNorm2d))
    # Each score sees a 70x70 patch: the input pixels one output depends on (with the
    # norms, which mix a whole map, taken out).
    for i, m in enumerate(d.model):
        if isinstance(m, nn.InstanceNorm2d):
            d.model[i] = nn.Identity()
    image = torch.zeros(1, 1, 256, 256, requires_grad=True)
    d(image)[0, 0, 15, 15].backward()
    rows, cols = (image.grad[0, 0].abs() > 0).nonzero().unbind(1)
    assert (int(rows.max() - rows.min()) + 1, int(cols.max() - cols.min()) + 1) == (70, 70)


def books_weights_init(m):  # the book's function (utils/ch06util.py), as it is called
    name = m.__class__.__name__
    if name.find("Conv") != -1 or name.find("Linear") != -1:
        nn.init.normal_(m.weight.data, 0.0, 0.02)
        nn.init.constant_(m.bias.data, 0)
    elif name.find("Norm2d") != -1:
        nn.init.constant_(m.weight.data, 1)
        nn.init.constant_(m.bias.data, 0)


def test_weights_are_initialised_as_the_book_means_to():
    torch.manual_seed(0)
    net = ResnetGenerator(3, 16, 2)
    before = [p.detach().clone() for p in net.parameters()]
    books_weights_init(net)  # called on the whole network: changes nothing
    assert all(torch.equal(p, q) for p, q in zip(before, net.parameters(), strict=True))
    with pytest.raises(AttributeError):  # applied to each layer: fails on the norms
        net.apply(books_weights_init)
    normal = initialise(ResnetGenerator(3, 16, 2), "normal")
    weights = torch.cat([m.weight.detach().flatten() for m in convs_of(normal)])
    assert abs(float(weights.std()) - 0.02) < 0.002
    assert all(float(m.bias.detach().abs().max()) == 0 for m in convs_of(normal))
    # PyTorch's default (what the book trains with): uniform, scaled by each layer's
    # inputs (the first 7x7 convolution's 3 x 49: std 1/sqrt(3 x 147) = 0.048).
    first = convs_of(initialise(ResnetGenerator(3, 16, 2), "default"))[0]
    assert abs(float(first.weight.detach().std()) - 0.048) < 0.004
    assert float(first.bias.detach().abs().max()) > 0


def convs_of(net: nn.Module) -> list[nn.Module]:
    return [m for m in net.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]


def test_image_pool_keeps_fifty_and_shows_old_images_half_of_the_time():
    torch.manual_seed(0)
    assert torch.equal(ImagePool(0).query(torch.ones(3, 1, 4, 4)), torch.ones(3, 1, 4, 4))
    pool = ImagePool(50)
    for i in range(50):  # filling up: each image is shown as it is
        assert float(pool.query(torch.full((1, 1, 4, 4), float(i)))[0, 0, 0, 0]) == i
    new = (1000 + torch.arange(400.0)).view(-1, 1, 1, 1).expand(-1, 1, 4, 4)
    shown = pool.query(new)[:, 0, 0, 0]
    old = float((shown != new[:, 0, 0, 0]).float().mean())  # a stored image instead
    assert len(pool) == 50 and 0.4 < old < 0.6
    state = pool.state()
    again = ImagePool(50)
    again.load_state(state, torch.device("cpu"))
    assert torch.equal(again.images, pool.images)


def test_learning_rate_is_constant_then_falls_linearly(cyclegan_manager):
    spec = cyclegan_manager.models["cyclegan"]
    values = {**split_settings(spec.presets["quick CPU"])[0], **TINY}
    config = cfg.build(spec.config_class, {**values, "decay_from": 10, "decay_steps": 20})
    data = cyclegan_manager.dataset("digit-domains").loader()
    trainer = spec.trainer_factory(config, data, torch.device("cpu"))
    assert [trainer.lr_factor(s) for s in (0, 9, 10, 20, 30, 40)] == [1, 1, 1, 0.5, 0, 0]


def test_passes_the_contract_checks(cyclegan_manager, tmp_path, studio_one_thread):
    report = check_plugin_contract(cyclegan_manager, "cyclegan", tmp_path, preset="quick CPU")
    assert isinstance(report.sample, ImageTriples) and report.checks[-1] == "resumes"


def test_resume_is_exact_with_the_pool(cyclegan_manager, tmp_path, studio_one_thread):
    """Stopped at step 3 and resumed to 6 gives the weights (and pools) of a straight run."""
    kwargs = dict(preset="quick CPU", config=TINY, manager=cyclegan_manager, seed=3)
    straight = train_run("cyclegan", 6, path=tmp_path / "straight", **kwargs)
    train_run("cyclegan", 3, path=tmp_path / "resumed", **kwargs)
    resume_engine(tmp_path / "resumed", cyclegan_manager.resolve_run, total_steps=6).run()
    a = RunSampler(straight.path, cyclegan_manager.resolve_run).trainer()
    b = RunSampler(tmp_path / "resumed", cyclegan_manager.resolve_run).trainer()
    for name, value in a.weights().items():
        assert torch.equal(value, b.weights()[name]), name
    assert torch.equal(a.pool_a.images, b.pool_a.images) and len(a.pool_b) == 6 * 8


def test_samples_each_way_one_way_and_save_as_their_kind(cyclegan_run, cyclegan_manager, tmp_path):
    both = sample_run(cyclegan_run, seed=1, options={"images": 5}, manager=cyclegan_manager)
    assert isinstance(both, ImageTriples) and both.images.shape == (30, 32, 32, 1)
    assert [role for role, _ in both.rows()] == ["A", "A->B", "A->B->A", "B", "B->A", "B->A->B"]
    back = load_sample(both.save(tmp_path / "s"), cyclegan_manager.sample_kinds)
    assert isinstance(back, ImageTriples) and np.array_equal(back.images, both.images)
    assert back.labels == both.labels and back.metrics == pytest.approx(both.metrics)
    one = sample_run(cyclegan_run, 1, {"direction": "B->A", "images": 4}, manager=cyclegan_manager)
    assert [role for role, _ in one.rows()] == ["B", "B->A", "B->A->B"]
    source, translated, _ = one.triples("B->A")
    assert source.mean() > 128 > translated.mean()  # dark on light becomes light on dark
    with pytest.raises(api.ConfigError, match=r"^direction"):
        sample_run(cyclegan_run, options={"direction": "sideways"}, manager=cyclegan_manager)


def write_digits(folder, images, names):
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    for image, name in zip(images, names, strict=True):
        Image.fromarray(domains.to_uint8(image[0]).numpy()).save(folder / name)


def test_translates_an_image_file_and_a_folder(cyclegan_run, cyclegan_manager, tmp_path):
    held_a, _, _ = domains.held_out()
    write_digits(tmp_path / "in", held_a[:19], [f"d{i:02}.png" for i in range(19)])
    (tmp_path / "in" / "broken.png").write_bytes(b"not a png")
    (tmp_path / "in" / "notes.txt").write_text("not an image")
    m = cyclegan_manager
    one = sample_run(cyclegan_run, options={"image": str(tmp_path / "in" / "d03.png")}, manager=m)
    assert [len(images) for _, images in one.rows()] == [1, 1, 1]
    assert one.triples("A->B")[1].mean() > 128  # became dark on light paper
    with pytest.raises(api.DatasetError, match=r"broken\.png"):
        sample_run(cyclegan_run, options={"image": str(tmp_path / "in" / "broken.png")}, manager=m)

    options = {"folder": str(tmp_path / "in")}
    parts = list(stream_run(cyclegan_run, options=options, manager=m))
    assert [int(p.metrics["done"]) for p in parts] == [8, 16, 20]
    assert parts[-1].metrics["total"] == 20 and parts[-1].metrics["failed"] == 1
    out = tmp_path / "in-A2B"
    assert sorted(p.name for p in out.glob("d*.png")) == [f"d{i:02}.png" for i in range(19)]
    assert "broken.png" in (out / "not-translated.txt").read_text()
    # Stop after the first part: the rest is not written.
    shutil.rmtree(out)
    cancel = api.CancelToken()
    stream = stream_run(cyclegan_run, options=options, cancel=cancel, manager=m)
    next(stream)
    cancel.cancel()
    with pytest.raises(api.SamplingCancelled):
        next(stream)
    assert len(list(out.glob("d*.png"))) == 7  # the first 8 files, broken.png among them
    same = {"folder": str(tmp_path / "in"), "out_folder": str(tmp_path / "in")}
    with pytest.raises(api.ConfigError, match=r"^out_folder"):
        sample_run(cyclegan_run, options=same, manager=m)


def test_generators_export_to_onnx(cyclegan_run, cyclegan_manager, tmp_path):
    import onnx
    import onnxruntime as ort

    trainer = RunSampler(cyclegan_run.path, cyclegan_manager.resolve_run).trainer()
    held_a, held_b, _ = domains.held_out()
    for tag, images, net in (("ab", held_a, trainer.g_ab), ("ba", held_b, trainer.g_ba)):
        path = tmp_path / f"{tag}.onnx"
        cyclegan_manager.exporters[f"cyclegan-onnx-{tag}"].export(trainer, path)
        meta = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
        assert meta["direction"] == ("A->B" if tag == "ab" else "B->A")
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        for batch in (images[:3], torch.nn.functional.interpolate(images[:2], size=64)):
            (got,) = session.run(None, {"images": batch.numpy()})
            with torch.no_grad():
                want = net(batch).numpy()
            assert got.shape == want.shape
            np.testing.assert_allclose(got, want, atol=1e-4)


def test_trains_on_a_dropped_trainA_trainB_folder(cyclegan_manager, tmp_path, studio_one_thread):
    """The readers' layout (trainA/trainB of colour photos, any size) at 32x32 colour."""
    from PIL import Image

    rng = np.random.default_rng(0)
    for domain, shade in (("trainA", 40), ("trainB", 200)):
        (tmp_path / "photos" / domain).mkdir(parents=True)
        for i in range(5 if domain == "trainA" else 3):
            pixels = rng.integers(0, 56, (48, 40, 3)) + shade
            Image.fromarray(pixels.astype(np.uint8)).save(tmp_path / "photos" / domain / f"{i}.jpg")
    config = {**TINY, "channels": 3}
    run = train_run(
        "cyclegan",
        2,
        path=tmp_path / "run",
        dataset=tmp_path / "photos",
        preset="quick CPU",
        config=config,
        manager=cyclegan_manager,
    )
    assert run.dataset["prep"]["domains"] == ["trainA", "trainB"]
    sample = sample_run(run, options={"images": 3}, manager=cyclegan_manager)
    assert sample.images.shape == (18, 32, 32, 3) and "translation_error" not in sample.metrics
