"""Built-in dataset readers: image folders, text, parallel text, tables, tensors and
music. A reader says whether it accepts a dropped path (cheaply, in ``detect``) and
loads it (off the GUI thread); on a drop the highest priority wins.

This is the hook module: torch, Pillow and NumPy are imported only when a loader runs.
"""

from __future__ import annotations

from pathlib import Path

from studio import api

from . import captions, detect

STUDIO_API = "1.0"
__version__ = "0.1.0"


def _lazy(module: str, function: str):
    def load(path: Path) -> api.LoadedDataset:
        import importlib

        mod = importlib.import_module(f"{__name__}.{module}")
        return getattr(mod, function)(Path(path))

    load.__name__ = f"{module}.{function}"
    return load


def _two_domains_by_name(path: Path) -> bool:
    return detect.accepts_two_domains(path) and detect.names_two_domains(path)


@api.hookimpl
def studio_dataset_readers() -> list[api.ReaderSpec]:
    images = tuple(f"*{s}" for s in sorted(detect.IMAGE_SUFFIXES))
    return [
        api.ReaderSpec(
            id="image-classes",
            name="Labelled images (one sub-folder per class)",
            kind="labelled-images",
            accepts=detect.accepts_labelled_images,
            load=_lazy("images", "load_labelled"),
            priority=20,
            patterns=images,
        ),
        api.ReaderSpec(
            id="image-two-domains",
            name="Two image domains (CycleGAN: A and B)",
            kind="two-domain-images",
            accepts=detect.accepts_two_domains,
            load=_lazy("images", "load_two_domains"),
            priority=20,
            patterns=images,
        ),
        api.ReaderSpec(
            id="image-two-domains-named",
            name="Two image domains (trainA / trainB)",
            kind="two-domain-images",
            accepts=_two_domains_by_name,
            load=_lazy("images", "load_two_domains"),
            priority=30,
            patterns=images,
        ),
        api.ReaderSpec(
            id="image-folder",
            name="Images (unlabelled)",
            kind="images",
            accepts=detect.accepts_flat_images,
            load=_lazy("images", "load_flat"),
            priority=10,
            patterns=images,
        ),
        api.ReaderSpec(
            id="captioned-images",
            name="Images with captions (image.png + image.txt, or a file,caption CSV)",
            kind=captions.KIND,
            accepts=captions.accepts,
            load=_lazy("captions", "load_captions"),
            priority=30,  # above the image folder, text and CSV readers it overlaps
            patterns=(*images, "*.txt", "*.csv"),
        ),
        api.ReaderSpec(
            id="text",
            name="Text corpus",
            kind="text",
            accepts=detect.accepts_text,
            load=_lazy("text", "load_text"),
            priority=10,
            patterns=("*.txt",),
        ),
        api.ReaderSpec(
            id="text-pairs",
            name="Parallel text (source<TAB>target)",
            kind="text-pairs",
            accepts=detect.accepts_pairs,
            load=_lazy("text", "load_pairs"),
            priority=20,
            patterns=("*.tsv", "*.tab"),
        ),
        api.ReaderSpec(
            id="csv",
            name="Numeric table (CSV)",
            kind="table",
            accepts=detect.accepts_csv,
            load=_lazy("tables", "load_csv"),
            priority=10,
            patterns=("*.csv",),
        ),
        api.ReaderSpec(
            id="npy",
            name="NumPy array (.npy)",
            kind="tensor",
            accepts=detect.accepts_npy,
            load=_lazy("tables", "load_npy"),
            priority=10,
            patterns=("*.npy",),
        ),
        api.ReaderSpec(
            id="npz",
            name="NumPy arrays (.npz)",
            kind="tensor",
            accepts=detect.accepts_npz,
            load=_lazy("tables", "load_npz"),
            priority=10,
            patterns=("*.npz",),
        ),
        api.ReaderSpec(
            id="midi",
            name="MIDI files (piano roll, 16th notes)",
            kind="music-pianoroll",
            accepts=detect.accepts_midi,
            load=_lazy("midi", "load_midi"),
            priority=20,
            patterns=("*.mid", "*.midi"),
        ),
        api.ReaderSpec(
            id="musicxml",
            name="MusicXML scores (piano roll, 16th notes)",
            kind="music-pianoroll",
            accepts=detect.accepts_musicxml,
            load=_lazy("musicxml", "load_musicxml"),
            priority=20,
            patterns=("*.musicxml", "*.mxl", "*.xml"),
        ),
        api.ReaderSpec(
            id="jsb-chorales",
            name="Chorales (JSB JSON: 4 voices, 16th notes)",
            kind="music-chorales",
            accepts=detect.accepts_chorales_json,
            load=_lazy("music", "load_chorales"),
            priority=20,
            patterns=("*.json",),
        ),
    ]
