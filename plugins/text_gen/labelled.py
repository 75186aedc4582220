"""Labelled text for fine-tuning a classifier: a reader and a built-in dataset.

Layouts the reader accepts (kind ``labelled-text``):

- a folder with one sub-folder per class, holding .txt files: each file is one text,
  except in a class folder that holds a single .txt file, whose non-empty lines are
  its texts;
- a .tsv (or .tab) file of ``text<TAB>label`` lines (an optional ``text<TAB>label``
  header is skipped). A .tsv is taken as labelled only when its last column looks like
  labels: in the first 64 KB, at least 4 lines, 2 to 50 distinct values that are short
  (at most 40 characters) and repeat (no more distinct values than a third of the lines).
  Parallel text (English<TAB>French: almost every value distinct) is left to the
  built-in ``text-pairs`` reader.

Priorities: 25 for such a .tsv (above ``text-pairs``' 20, which accepts any .tsv) and
20 for a class folder (the built-in ``text`` reader, 10, accepts a folder only when
.txt files lie at its top). ``accepts_*`` are cheap and torch-free: they run on the GUI
thread for every drop.

The built-in dataset ``python-docs-vs-docstrings`` needs no data at hand: paragraphs of
CPython's reference prose (``pydoc_data.topics``) against docstrings of standard
library modules, two real kinds of English about Python.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from studio import api

PEEK_BYTES = 64 * 1024
MAX_LABEL = 40
MAX_CLASSES = 50
TSV_SUFFIXES = (".tsv", ".tab")
BUILTIN_ID = "python-docs-vs-docstrings"


def _class_folders(path: Path) -> list[Path]:
    try:
        with os.scandir(path) as it:
            dirs = [Path(e.path) for e in it if e.is_dir(follow_symlinks=False)]
    except OSError:
        return []
    out = []
    for d in sorted(dirs):
        if d.name.startswith("."):
            continue
        try:
            with os.scandir(d) as it:
                if any(e.name.lower().endswith(".txt") and e.is_file() for e in it):
                    out.append(d)
        except OSError:
            continue
    return out


def accepts_folder(path: Path) -> bool:
    return Path(path).is_dir() and len(_class_folders(Path(path))) >= 2


def _split_tsv_line(line: str) -> tuple[str, str] | None:
    if "\t" not in line:
        return None
    text, label = line.rsplit("\t", 1)
    text, label = text.strip(), label.strip()
    return (text, label) if text and label else None


def _is_header(pair: tuple[str, str]) -> bool:
    return pair[0].lower() in ("text", "sentence", "review") and pair[1].lower() in (
        "label",
        "class",
        "category",
    )


def accepts_tsv(path: Path) -> bool:
    path = Path(path)
    if not (path.is_file() and path.suffix.lower() in TSV_SUFFIXES):
        return False
    try:
        with open(path, "rb") as fh:
            head = fh.read(PEEK_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return False
    lines = head.splitlines()
    if len(head) == PEEK_BYTES:
        lines = lines[:-1]  # probably cut
    pairs = [p for p in map(_split_tsv_line, lines) if p]
    if pairs and _is_header(pairs[0]):
        pairs = pairs[1:]
    if len(pairs) < 4:
        return False
    labels = {label for _, label in pairs}
    return (
        2 <= len(labels) <= MAX_CLASSES
        and len(labels) <= len(pairs) / 3
        and all(len(label) <= MAX_LABEL for label in labels)
    )


def _read(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise api.DatasetError(f"{path}: cannot read it ({exc})") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise api.DatasetError(f"{path}: not UTF-8 text; save it as UTF-8") from None


def _dataset(texts: list[str], labels: list[str], source: str, name: str) -> api.LoadedDataset:
    from .data import LabelledTexts  # torch: only when a dataset is loaded

    classes = sorted(set(labels))
    if len(classes) < 2:
        raise api.DatasetError(f"{source}: needs at least two classes, found {classes}")
    index = {c: i for i, c in enumerate(classes)}
    y = [index[label] for label in labels]
    return api.LoadedDataset(
        kind="labelled-text",
        train=LabelledTexts(texts, y),
        info={
            "texts": texts,
            "labels": y,
            "classes": classes,
            "counts": {c: labels.count(c) for c in classes},
            "source": source,
        },
        name=name,
    )


def load_folder(path: Path) -> api.LoadedDataset:
    path = Path(path)
    texts: list[str] = []
    labels: list[str] = []
    for folder in _class_folders(path):
        files = sorted(f for f in folder.iterdir() if f.suffix.lower() == ".txt" and f.is_file())
        if len(files) == 1:
            items = [line.strip() for line in _read(files[0]).splitlines() if line.strip()]
        else:
            items = [t.strip() for t in map(_read, files) if t.strip()]
        texts += items
        labels += [folder.name] * len(items)
    if not texts:
        raise api.DatasetError(f"{path}: no text in its class folders")
    return _dataset(texts, labels, str(path), path.name)


def load_tsv(path: Path) -> api.LoadedDataset:
    path = Path(path)
    pairs = [p for p in map(_split_tsv_line, _read(path).splitlines()) if p]
    if pairs and _is_header(pairs[0]):
        pairs = pairs[1:]
    if not pairs:
        raise api.DatasetError(f"{path}: no text<TAB>label lines")
    return _dataset([t for t, _ in pairs], [lab for _, lab in pairs], str(path), path.stem)


def load_builtin(per_class: int = 1500, seed: int = 0) -> api.LoadedDataset:
    """Reference prose against docstrings: paragraphs of 60-600 characters, balanced."""
    texts, labels = _builtin_texts(per_class, seed)
    return _dataset(list(texts), list(labels), "pydoc_data.topics and docstrings", BUILTIN_ID)


@functools.lru_cache(maxsize=2)
def _builtin_texts(per_class: int, seed: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    # Parsing some 35 modules takes seconds; a run, its sampler and a resume all load it.
    import ast
    import importlib.util
    import random

    from .data import python_docs_text

    def paragraphs(text: str) -> list[str]:
        out = []
        for block in text.split("\n\n"):
            lines = block.splitlines()
            if not lines or any(line.startswith((" ", "\t")) for line in lines):
                continue  # code, grammar and examples are indented: prose only
            para = " ".join(line.strip() for line in lines)
            if 60 <= len(para) <= 600 and not set(para) <= set("*=-~^ "):
                out.append(para)
        return out

    reference = paragraphs(python_docs_text())
    docstrings: list[str] = []
    modules = [
        "argparse",
        "collections.abc",
        "configparser",
        "csv",
        "datetime",
        "decimal",
        "email.message",
        "fractions",
        "ftplib",
        "functools",
        "http.client",
        "http.cookiejar",
        "imaplib",
        "inspect",
        "ipaddress",
        "logging",
        "mailbox",
        "pathlib",
        "pickle",
        "pydoc",
        "shutil",
        "smtplib",
        "socket",
        "statistics",
        "string",
        "subprocess",
        "tarfile",
        "tempfile",
        "textwrap",
        "threading",
        "tkinter",
        "typing",
        "unittest.case",
        "urllib.request",
        "zipfile",
    ]
    for name in modules:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        if spec is None or not spec.origin or not spec.origin.endswith(".py"):
            continue
        tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                doc = ast.get_docstring(node)
                if doc:
                    docstrings += paragraphs(doc)
    rng = random.Random(seed)
    rng.shuffle(reference)
    rng.shuffle(docstrings)
    n = min(per_class, len(reference), len(docstrings))
    return tuple(reference[:n] + docstrings[:n]), ("reference",) * n + ("docstring",) * n
