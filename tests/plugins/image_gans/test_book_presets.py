"""The chapter 4 and 5 "book" presets hold the values of the book's listings (so they
cannot drift; docs/image-gans.md lists them with the book's bugs we fix), and the book's
training options (the discriminator stepped on real then fake, PyTorch's default
initial weights, the generator's step on fresh noise) train."""

from __future__ import annotations

import pytest
import torch

from studio.testing import train_run


def book(plugins, model: str) -> dict:
    return plugins.models[model].presets["book"]


def test_gan_mlp_book_preset(plugins):
    p = book(plugins, "gan-mlp")
    assert (p["batch_size"], p["lr"], p["image_size"], p["channels"]) == (32, 1e-4, 28, 1)
    assert p["d_update"] == "real, then fake"
    assert p["steps"] == 50 * 60_000 // 32  # 50 epochs of Fashion-MNIST


def test_dcgan_book_preset(plugins):
    p = book(plugins, "dcgan")
    assert (p["batch_size"], p["image_size"], p["channels"]) == (128, 64, 3)
    assert (p["lr"], p["beta1"], p["beta2"]) == (2e-4, 0.5, 0.999)
    assert p["init"] == "pytorch" and p["g_fresh_noise"] is True
    assert p["steps"] == 20 * 498  # 20 epochs of 63,632 faces in batches of 128


def test_cgan_book_preset(plugins):
    p = book(plugins, "cgan")
    assert (p["batch_size"], p["image_size"], p["channels"]) == (16, 256, 3)
    assert (p["ngf"], p["ndf"], p["init"]) == (32, 16, "pytorch")
    assert (p["loss"], p["critic_steps"], p["gp_weight"]) == ("wgan-gp", 5, 10.0)
    assert (p["lr"], p["beta1"], p["beta2"], p["steps"]) == (1e-4, 0.0, 0.9, 28_200)


def test_pytorch_init_is_the_default_one():
    from studio_plugins.image_gans.dcgan_networks import DCGenerator, pytorch_init

    g = DCGenerator(8, 1, 32, 8)  # the DCGAN paper's: norm scales drawn from N(1, 0.02)
    norm = g.net[1]
    assert not torch.equal(norm.weight, torch.ones_like(norm.weight))
    last = g.net[-2]  # ConvTranspose2d(8, 1): PyTorch's uniform bound is 1/sqrt(1 * 16)
    pytorch_init(g)
    assert torch.equal(norm.weight, torch.ones_like(norm.weight))  # PyTorch's: scale 1
    assert last.weight.abs().max() <= 0.25 and last.weight.std() > 0.1  # not N(0, 0.02)


@pytest.mark.parametrize(
    ("model", "config"),
    [
        ("gan-mlp", {"d_update": "real, then fake", "batch_size": 16}),
        ("dcgan", {"init": "pytorch", "g_fresh_noise": True, "image_size": 32, "ngf": 8, "ndf": 8}),
        ("cgan", {"init": "pytorch", "image_size": 32, "ngf": 8, "ndf": 8, "batch_size": 8}),
    ],
)
def test_book_options_train(model, config, plugins):
    run = train_run(model, steps=2, config=config, manager=plugins)
    assert run.checkpoint_steps() == [2]
