"""Chapters 4 and 5 of the book: image GANs (fully connected GAN, DCGAN, conditional
GAN with a WGAN-GP critic option), a latent space explorer and generator export.

This is the plugin's hook module, imported at start-up: it stays cheap. Torch is
imported inside the factories below (when a run starts), Qt inside the widget factory.
"""

from __future__ import annotations

from studio import api

from .config import CGANConfig, DCGANConfig, GANConfig
from .options import ExploreOptions, LabelOptions

STUDIO_API = "1.1"
__version__ = "0.1.0"

MODEL_IDS = ("gan-mlp", "dcgan", "cgan")


def _trainer(model_id: str):
    def factory(config, dataset, device):
        from .trainers import TRAINERS

        return TRAINERS[model_id](config, dataset, device)

    factory.__name__ = f"{model_id.replace('-', '_')}_trainer"
    return factory


def _widget(context):
    from .widget import ImageGANWidget

    return ImageGANWidget(context)


def _load_digits():
    return api.load_digits()


def _export_onnx(source, path):
    from .export import export_onnx

    export_onnx(source, path)


def _export_safetensors(source, path):
    from .export import export_safetensors

    export_safetensors(source, path)


@api.hookimpl
def studio_models() -> list[api.ModelSpec]:
    return [
        api.ModelSpec(
            id="gan-mlp",
            name="GAN: fully connected (images)",
            description=(
                "Chapter 4: a fully connected generator (noise 100 -> 256 -> 512 -> 1024 "
                "-> pixels) against a fully connected discriminator with dropout; BCE, "
                "Adam 1e-4. Layers are sized from the image size and channels."
            ),
            dataset_kinds=("images", "labelled-images"),
            config_class=GANConfig,
            sample_options=ExploreOptions,
            trainer_factory=_trainer("gan-mlp"),
            default_dataset="digits",
            presets={
                # The listing: Fashion-MNIST's 60,000 images in batches of 32, the
                # discriminator stepped on real then fake, 50 epochs (93,750 steps).
                "book": {
                    "batch_size": 32,
                    "lr": 1e-4,
                    "image_size": 28,
                    "channels": 1,
                    "d_update": "real, then fake",
                    "steps": 93_750,
                    "sample_every": 1875,
                },
                "quick CPU": {
                    "batch_size": 64,
                    "lr": 2e-4,
                    "image_size": 28,
                    "steps": 3000,
                    "sample_every": 250,
                },
            },
            default_steps=20000,
            widget_factory=_widget,
            sample_kind="images",
        ),
        api.ModelSpec(
            id="dcgan",
            name="DCGAN",
            description=(
                "Chapter 4 and PyTorch's DCGAN example: a transposed-convolution "
                "generator and a strided-convolution discriminator with batch norm, "
                "N(0, 0.02) weights, Adam 2e-4 (0.5, 0.999); 32x32 or 64x64, greyscale "
                "or colour."
            ),
            dataset_kinds=("images", "labelled-images"),
            config_class=DCGANConfig,
            sample_options=LabelOptions,  # the codes of a run trained with codes
            trainer_factory=_trainer("dcgan"),
            default_dataset="digits",
            presets={
                # The listing: 63,632 anime faces, colour, 64x64, batches of 128 for 20
                # epochs (9,960 steps); PyTorch's default initial weights (the book's
                # weights_init never reaches a layer); the generator's step on fresh
                # noise.
                "book": {
                    "batch_size": 128,
                    "image_size": 64,
                    "channels": 3,
                    "ngf": 64,
                    "ndf": 64,
                    "lr": 2e-4,
                    "beta1": 0.5,
                    "beta2": 0.999,
                    "init": "pytorch",
                    "g_fresh_noise": True,
                    "steps": 9_960,
                    "sample_every": 498,
                },
                # The digits are 1,797 images: the discriminator learns them by heart
                # and the game oscillates. An R1 penalty and shifted images lift the
                # classifier's digit accuracy from 0.61 to 0.72 at 6,000 steps; ten
                # InfoGAN codes beside a smaller noise (62, as the InfoGAN paper),
                # which keep the generator from drawing between two digits, to 0.77-0.82
                # at 6,000 and 0.83 at 8,000 (docs/image-gans.md).
                "quick CPU": {
                    "batch_size": 64,
                    "image_size": 32,
                    "ngf": 16,
                    "ndf": 16,
                    "lr": 2e-4,
                    "r1_gamma": 1.0,
                    "augment": "translation",
                    "codes": 10,
                    "latent_dim": 62,
                    "steps": 8000,
                    "sample_every": 250,
                },
            },
            default_steps=5000,
            widget_factory=_widget,
            sample_kind="images",
        ),
        api.ModelSpec(
            id="cgan",
            # The loss is a field of the form (the quick preset trains with bce): the
            # name says what every setting has in common.
            name="Conditional GAN",
            description=(
                "Chapter 5: the class is fed to the generator and the critic, so you "
                "choose the class of an image (or mix two). Loss: wgan-gp (the book: "
                "Wasserstein critic, gradient penalty 10, 5 critic steps per generator "
                "step) or bce (the classic GAN loss, as the quick CPU preset)."
            ),
            dataset_kinds=("labelled-images",),
            config_class=CGANConfig,
            sample_options=LabelOptions,
            trainer_factory=_trainer("cgan"),
            default_dataset="digits",
            presets={
                # The listing: faces with and without glasses, colour, 256x256, batches
                # of 16, a generator 32 wide and a critic 16 wide, WGAN-GP (5 critic
                # steps, penalty 10), Adam 1e-4 (0, 0.9), 28,200 generator steps, and
                # PyTorch's default initial weights (its weights_init does nothing).
                # Its penalty is taken over the image and the label planes: ours over
                # the image only (docs/image-gans.md).
                "book": {
                    "batch_size": 16,
                    "loss": "wgan-gp",
                    "critic_steps": 5,
                    "gp_weight": 10.0,
                    "lr": 1e-4,
                    "beta1": 0.0,
                    "beta2": 0.9,
                    "image_size": 256,
                    "channels": 3,
                    "ngf": 32,
                    "ndf": 16,
                    "init": "pytorch",
                    "steps": 28_200,
                    "sample_every": 500,
                },
                # WGAN-GP costs about 8 DCGAN steps a step (5 critic updates, each with
                # a double backward) and learns the classes slowly: on 2 CPU cores it
                # has not picked them up after 150 steps (4 minutes). The BCE loss
                # reaches 0.95 label accuracy in 400 steps (about a minute).
                "quick CPU": {
                    "batch_size": 64,
                    "loss": "bce",
                    "lr": 2e-4,
                    "beta1": 0.5,
                    "beta2": 0.999,
                    "image_size": 32,
                    "ngf": 16,
                    "ndf": 16,
                    "steps": 800,
                    "sample_every": 100,
                },
            },
            default_steps=5000,
            widget_factory=_widget,
            sample_kind="images",
        ),
    ]


@api.hookimpl
def studio_datasets() -> list[api.DatasetSpec]:
    return [
        api.DatasetSpec(
            id="digits",
            name="Handwritten digits (8x8, upscaled)",
            description=(
                "scikit-learn's bundled digits: 1,797 greyscale images of 0-9 in ten "
                "classes, 8x8 pixels upscaled to 32x32. Ships inside scikit-learn."
            ),
            kind="labelled-images",
            loader=_load_digits,
            items=1797,
        )
    ]


@api.hookimpl
def studio_exporters() -> list[api.ExporterSpec]:
    return [
        api.ExporterSpec(
            id="image-gan-onnx",
            name="Generator as ONNX",
            suffix=".onnx",
            export=_export_onnx,
            applies_to=MODEL_IDS,
        ),
        api.ExporterSpec(
            id="image-gan-safetensors",
            name="Generator weights (safetensors)",
            suffix=".safetensors",
            export=_export_safetensors,
            applies_to=MODEL_IDS,
        ),
    ]
