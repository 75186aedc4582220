"""The book's experiments, chapter 2 to chapter 15, one click (or one command) away.

A recipe names a model, its two presets ("book": the book's listing, its bugs fixed;
"quick CPU": minutes on a laptop), the data it needs (an embedded dataset where the app
has one, otherwise what to drop and where to get it) and what the book's notebooks
printed while training (``book_figures``), drawn beside the live run on the same step
axis. Recipes whose model has not landed are listed as coming, not hidden. Qt-free: the
window's Recipes view and ``genai-studio-cli recipes`` / ``train --recipe`` read this.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from studio.core.book_figures import BOOK_FIGURES

BOOK = "book"
QUICK = "quick CPU"


@dataclass(frozen=True)
class BookCurve:
    """One curve the book printed, on our step axis: ``points`` are (optimizer step,
    value); ``metric`` is the name our run logs the same quantity under."""

    metric: str
    label: str
    points: tuple[tuple[int, float], ...]


@dataclass(frozen=True)
class Recipe:
    """One experiment of the book (see the module docstring)."""

    id: str
    chapter: int
    title: str
    model_id: str
    book_data: str  # the data the book trains on
    dataset: str | None = None  # an embedded dataset id the recipe trains on by default
    stand_in: bool = False  # the embedded dataset stands in for the book's data
    data_help: str = ""  # what to drop, what the folder must look like, where to get it
    figures_key: str | None = None  # key of BOOK_FIGURES
    # our metric name for each series the book printed
    metric_names: dict[str, str] = field(default_factory=dict)
    notes: str = ""
    book_preset: str = BOOK  # the model's preset that follows the book's listing
    quick_preset: str = QUICK

    @property
    def figures(self) -> dict | None:
        return BOOK_FIGURES.get(self.figures_key) if self.figures_key else None

    def book_curves(self) -> list[BookCurve]:
        """The book's printed curves on the optimizer-step axis (empty when it printed
        none): for an epoch unit, step = (x + 1 - x_index_base) * steps_per_unit."""
        fig = self.figures
        if not fig:
            return []
        base, per = fig["x_index_base"], fig["steps_per_unit"]
        curves = []
        for name, points in fig["series"].items():
            metric = self.metric_names.get(name, name)
            steps = tuple((int((x + 1 - base) * per), float(v)) for x, v in points)
            curves.append(BookCurve(metric, f"book: {name.replace('_', ' ')}", steps))
        return curves

    def book_final(self) -> dict[str, float]:
        """The final figures the book printed (test accuracy, early-stop epoch...)."""
        fig = self.figures
        return dict(fig["final"]) if fig else {}

    def embedded_dataset(self, models: Mapping[str, Any]) -> str | None:
        """The embedded dataset the recipe trains on when none is given: its stand-in,
        else its model's own (``models``: model id -> ModelSpec); None: one must be
        dropped."""
        spec = models.get(self.model_id)
        return self.dataset or (spec.default_dataset if spec is not None else None)

    def preset(self, quick: bool = False) -> str:
        """The model preset this recipe trains with (``quick``: the CPU one)."""
        return self.quick_preset if quick else self.book_preset


_IMAGES_FOLDER = (
    "a folder with one sub-folder per class (for example fashion/0-tshirt/*.png, "
    "fashion/9-boot/*.png), or a .zip of it"
)

RECIPES: tuple[Recipe, ...] = (
    Recipe(
        "ch02-binary",
        2,
        "Binary classifier: t-shirts vs ankle boots",
        "classifier",
        book_data="Fashion-MNIST classes 0 and 9 (12,000 images)",
        dataset="digits",
        stand_in=True,
        data_help=f"Fashion-MNIST's classes 0 and 9 as {_IMAGES_FOLDER}",
        figures_key="ch02-binary",
        metric_names={"train_loss": "loss"},
        notes="The book's dropout after the output layer floors its loss near 0.17",
        book_preset="book binary",
        quick_preset="book binary",  # the book's small network is quick on the digits
    ),
    Recipe(
        "ch02-multiclass",
        2,
        "Ten-class classifier with early stopping",
        "classifier",
        book_data="Fashion-MNIST (50,000 train, 10,000 validation)",
        dataset="digits",
        stand_in=True,
        data_help=f"Fashion-MNIST as {_IMAGES_FOLDER}",
        figures_key="ch02-multiclass",
        metric_names={"train_loss": "loss", "val_loss": "val/loss"},
    ),
    Recipe(
        "ch03-shape",
        3,
        "GAN: points on the curve y = 1.08^x",
        "gan-shape",
        book_data="points on y = 1.08^x, x in [0, 50], generated in code",
        dataset="exponential-curve",
    ),
    Recipe(
        "ch03-numbers",
        3,
        "GAN: multiples of 5",
        "gan-numbers",
        book_data="integers 0-99 that are multiples of 5, generated in code",
        dataset="multiples-of-5",
    ),
    Recipe(
        "ch04-mlp-gan",
        4,
        "Fully connected GAN: clothing images",
        "gan-mlp",
        book_data="Fashion-MNIST (60,000 grayscale 28x28)",
        dataset="digits",
        stand_in=True,
        data_help=f"Fashion-MNIST as {_IMAGES_FOLDER} (labels are not used)",
    ),
    Recipe(
        "ch04-dcgan",
        4,
        "DCGAN: anime faces",
        "dcgan",
        book_data="63,632 anime faces (colour, resized to 64x64)",
        dataset="digits",
        stand_in=True,
        data_help="a folder of face images (the book uses Kaggle's anime faces), any size",
    ),
    Recipe(
        "ch05-cgan",
        5,
        "Conditional GAN (WGAN-GP): faces with and without glasses",
        "cgan",
        book_data="5,000 faces with or without eyeglasses (colour, 256x256)",
        dataset="digits",
        stand_in=True,
        data_help=f"faces as {_IMAGES_FOLDER} (glasses/ and noglasses/)",
    ),
    Recipe(
        "ch06-cyclegan",
        6,
        "CycleGAN: black hair to blond hair",
        "cyclegan",
        book_data="CelebA faces with black or blond hair (two domains, 256x256)",
        data_help="two folders of images: trainA/ and trainB/ (or two sub-folders you assign)",
    ),
    Recipe(
        "ch07-ae",
        7,
        "Autoencoder: handwritten digits",
        "autoencoder",
        book_data="MNIST (60,000 handwritten digits, 28x28)",
        dataset="digits",
        stand_in=True,
        data_help=f"MNIST as {_IMAGES_FOLDER}",
    ),
    Recipe(
        "ch07-vae",
        7,
        "Variational autoencoder: faces with glasses",
        "vae",
        book_data="faces with eyeglasses (colour, 256x256)",
        dataset="digits",
        stand_in=True,
        data_help="a folder of face images",
    ),
    Recipe(
        "ch08-lstm",
        8,
        "LSTM: write like Anna Karenina",
        "lstm",
        book_data="Anna Karenina (437,098 words, 12,778 distinct)",
        data_help="anna.txt: Anna Karenina from Project Gutenberg (ebook 1399), as plain text",
    ),
    Recipe(
        "ch10-translator",
        10,
        "Transformer: English to French",
        "translator",
        book_data="47,173 English-French sentence pairs",
        data_help="a tab-separated file of English<TAB>French pairs (for example Tatoeba's "
        "fra.txt from manythings.org); the embedded number words train with no download",
    ),
    Recipe(
        "ch12-gpt",
        12,
        "GPT from scratch: write like Hemingway",
        "gpt",
        book_data="three Hemingway novels (698,207 words)",
        data_help="the novels as .txt files in a folder (A Farewell to Arms is in the public "
        "domain in some countries: Project Gutenberg Canada / Faded Page)",
    ),
    Recipe(
        "ch13-musegan",
        13,
        "MuseGAN: four-part chorales",
        "musegan",
        book_data="the JSB chorales (229 training pieces, 16th-note grid)",
        data_help="Jsb16thSeparated.json (Boulanger-Lewandowski's JSB chorales) or a MIDI folder",
    ),
    Recipe(
        "ch14-music-transformer",
        14,
        "Music Transformer: piano performances",
        "music-transformer",
        book_data="MAESTRO piano performances (MIDI)",
        data_help="a folder of MIDI files (for example MAESTRO's)",
    ),
    Recipe(
        "ch15-diffusion",
        15,
        "Diffusion: flowers",
        "diffusion",
        book_data="Oxford 102 flowers (8,189 images, 64x64)",
        dataset="digits",
        stand_in=True,
        data_help="a folder of flower images",
    ),
    Recipe(
        "ch15-text-to-image",
        15,
        "Text-to-image: images from captions",
        "text-to-image",
        book_data="the book describes text-to-image models without training one",
        dataset="digits",
        stand_in=True,
        data_help="images with captions: image.png + image.txt, or a CSV of file,caption",
    ),
)


def all_recipes() -> tuple[Recipe, ...]:
    return RECIPES


def recipe(recipe_id: str) -> Recipe:
    """The recipe with this id (``KeyError`` naming the known ids otherwise)."""
    for r in RECIPES:
        if r.id == recipe_id:
            return r
    known = ", ".join(r.id for r in RECIPES)
    raise KeyError(f"no recipe {recipe_id!r}; the recipes are: {known}")


def available(recipe: Recipe, model_ids: Iterable[str]) -> bool:
    """Whether the recipe's model is installed (otherwise it is listed as coming)."""
    return recipe.model_id in set(model_ids)
