"""The networks, losses, presets and sample kinds of the autoencoders plugin, checked
without training: the book's layer sizes, the KL term against torch.distributions,
the reparameterisation trick, the 2-D map, and the kinds' files."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from studio.core import config as cfg
from studio.core.settings import split_settings
from studio_plugins import autoencoders
from studio_plugins.autoencoders import latent
from studio_plugins.autoencoders.kinds import ImagePairs, LatentMap
from studio_plugins.autoencoders.mlp_autoencoder import MLPAutoencoder
from studio_plugins.autoencoders.vae_network import VAE, kl_to_standard_normal


def spec(plugins, model_id):
    return plugins.models[model_id]


def test_plugin_registers_models_kinds_views_and_exporter(plugins):
    assert plugins.records["autoencoders"].ok, plugins.records["autoencoders"].errors
    for model in ("autoencoder", "vae"):
        assert set(plugins.models[model].presets) == {"book", "quick CPU"}
        assert plugins.models[model].default_dataset == "digits"
    assert {"image-pairs", "latent-map"} <= set(plugins.sample_kinds)
    assert {"image-pairs", "latent-map"} <= set(plugins.sample_views)
    assert set(plugins.exporters["autoencoder-decoder-onnx"].applies_to) == {"autoencoder", "vae"}


def test_book_presets_are_the_listings(plugins):
    """The values docs/autoencoders.md states, from the book's chapter 7 listings."""
    ae_values, ae_engine = split_settings(spec(plugins, "autoencoder").presets["book"])
    ae = cfg.build(spec(plugins, "autoencoder").config_class, ae_values)
    assert (ae.network, ae.image_size, ae.channels, ae.hidden, ae.latent_dim) == (
        "mlp",
        28,
        1,
        200,
        20,
    )
    assert (ae.batch_size, ae.lr, ae_engine["epochs"]) == (32, 2.5e-4, 10)
    vae_values, vae_engine = split_settings(spec(plugins, "vae").presets["book"])
    vae = cfg.build(spec(plugins, "vae").config_class, vae_values)
    assert (vae.image_size, vae.channels, vae.latent_dim, vae.hidden, vae.width) == (
        256,
        3,
        100,
        1024,
        8,
    )
    assert (vae.batch_size, vae.lr, vae.weight_decay, vae_engine["epochs"]) == (16, 1e-4, 1e-5, 10)
    assert (vae.reconstruction, vae.beta, vae.beta_warmup) == ("sse", 1.0, 0)
    # The config defaults are the book's too (a run without a preset is the book's).
    assert cfg.build(spec(plugins, "vae").config_class, {}) == vae
    assert cfg.build(spec(plugins, "autoencoder").config_class, {}) == ae
    assert autoencoders.BOOK_AE["lr"] == 0.00025  # the listing's lr=0.00025


def test_book_autoencoder_is_784_200_20():
    net = MLPAutoencoder((1, 28, 28), 20, 200)
    shapes = {k: tuple(v.shape) for k, v in net.state_dict().items()}
    assert shapes == {
        "common.weight": (200, 784),
        "common.bias": (200,),
        "encoded.weight": (20, 200),
        "encoded.bias": (20,),
        "l1.weight": (200, 20),
        "l1.bias": (200,),
        "decode.weight": (784, 200),
        "decode.bias": (784,),
    }
    with torch.no_grad():
        out, codes = net(torch.rand(3, 1, 28, 28))
    assert out.shape == (3, 1, 28, 28) and codes.shape == (3, 20)
    assert float(out.min()) >= 0 and float(out.max()) <= 1  # a sigmoid, as the book's


def test_book_vae_layers_at_256_colour():
    with torch.device("meta"):  # shapes only: no memory for the 33M weights
        vae = VAE((3, 256, 256), 100, 1024, 8)
        mu, log_std, z, logits = vae(torch.empty(2, 3, 256, 256))
    assert mu.shape == log_std.shape == z.shape == (2, 100)
    assert logits.shape == (2, 3, 256, 256)
    shapes = {k: tuple(v.shape) for k, v in vae.state_dict().items()}
    assert shapes["encoder.conv1.weight"] == (8, 3, 3, 3)
    assert shapes["encoder.conv2.weight"] == (16, 8, 3, 3)
    assert shapes["encoder.conv3.weight"] == (32, 16, 3, 3)
    # 32 x 32 x 32 features: the book's 31 x 31 x 32 with the border fixed (docs).
    assert shapes["encoder.linear1.weight"] == (1024, 32 * 32 * 32)
    assert shapes["encoder.linear2.weight"] == shapes["encoder.linear3.weight"] == (100, 1024)
    assert shapes["decoder.decoder_lin.2.weight"] == (32 * 32 * 32, 1024)
    assert shapes["decoder.decoder_conv.6.weight"] == (8, 3, 3, 3)


def test_kl_term_is_torch_distributions_kl():
    g = torch.Generator().manual_seed(0)
    mu, log_std = torch.randn(64, 10, generator=g), torch.randn(64, 10, generator=g) * 0.5
    ours = kl_to_standard_normal(mu, log_std)
    normal = torch.distributions.Normal
    theirs = torch.distributions.kl_divergence(normal(mu, log_std.exp()), normal(0.0, 1.0))
    torch.testing.assert_close(ours, theirs)
    # The book's formula, written as in its listing.
    std = log_std.exp()
    book = (std**2) / 2 + (mu**2) / 2 - torch.log(std) - 0.5
    torch.testing.assert_close(ours, book)


def test_reparameterisation_draws_from_the_distribution_and_passes_gradients():
    mu = torch.tensor([[1.5, -2.0]]).expand(200_000, 2).clone().requires_grad_(True)
    log_std = torch.log(torch.tensor([[0.5, 2.0]])).expand(200_000, 2).clone().requires_grad_(True)
    z = VAE.reparameterise(mu, log_std, torch.Generator().manual_seed(0))
    torch.testing.assert_close(z.mean(0), torch.tensor([1.5, -2.0]), atol=0.02, rtol=0)
    torch.testing.assert_close(z.std(0), torch.tensor([0.5, 2.0]), atol=0.02, rtol=0)
    z.sum().backward()
    assert torch.all(mu.grad == 1) and float(log_std.grad.abs().sum()) > 0
    again = VAE.reparameterise(mu, log_std, torch.Generator().manual_seed(0))
    assert torch.equal(z, again)  # only the generator it is given


def test_map_plane_is_pca_and_lifts_back():
    g = torch.Generator().manual_seed(0)
    codes = torch.randn(300, 6, generator=g) @ torch.diag(torch.tensor([5.0, 3, 1, 0.5, 0.2, 0.1]))
    plane = latent.Plane(codes)
    assert plane.names == ("PC1", "PC2")
    # The first two principal axes of these codes are the first two coordinates.
    assert torch.allclose(plane.axes.abs()[:, :2], torch.eye(2), atol=0.05)
    points = plane.project(codes)
    from sklearn.decomposition import PCA

    theirs = PCA(2).fit(codes.numpy())
    assert abs(plane.explained - theirs.explained_variance_ratio_.sum()) < 1e-4
    np.testing.assert_allclose(
        np.abs(points.numpy()), np.abs(theirs.transform(codes.numpy())), atol=1e-3
    )
    x, y = points[7].tolist()
    lifted = plane.lift(x, y)
    torch.testing.assert_close(plane.project(lifted)[0], points[7], atol=1e-4, rtol=0)
    two = latent.Plane(codes[:, :2])
    assert two.names == ("z1", "z2") and torch.equal(two.project(codes[:, :2]), codes[:, :2])


def test_image_pairs_and_latent_map_files_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    originals = rng.integers(0, 256, (5, 8, 6, 1), dtype=np.uint8)
    recon = rng.integers(0, 256, (5, 8, 6, 1), dtype=np.uint8)
    pairs = ImagePairs(
        images=recon,
        originals=originals,
        labels=list("abcde"),
        columns=3,
        metrics={"recon_error": 0.5},
    )
    back = ImagePairs.load(pairs.save(tmp_path / "pairs"))
    assert np.array_equal(back.images, recon) and np.array_equal(back.originals, originals)
    assert back.labels == list("abcde") and back.columns == 3
    assert back.metrics == {"recon_error": 0.5}
    assert pairs.grid().shape == (2 * 2 * (8 + 2) + 2, 3 * (6 + 2) + 2, 1)  # 2 rows of pairs
    with pytest.raises(ValueError, match="differ in shape"):
        ImagePairs(images=recon, originals=originals[:2])
    m = LatentMap(
        points=rng.normal(size=(4, 2)),
        classes=[0, 1, 1, 0],
        class_names=["x", "y"],
        axes=("PC1", "PC2"),
        explained=0.4,
    )
    loaded = LatentMap.load(m.save(tmp_path / "map"))
    np.testing.assert_allclose(loaded.points, m.points, atol=1e-5)
    assert (loaded.classes, loaded.class_names, loaded.axes) == (
        [0, 1, 1, 0],
        ["x", "y"],
        ("PC1", "PC2"),
    )
