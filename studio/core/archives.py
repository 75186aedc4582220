"""Dropped archives (.zip, .tar, .tar.gz, .tgz, .tar.bz2, .tar.xz), unpacked safely:
no member may land outside the target folder ("../", absolute paths, links), and an
archive that would unpack to an absurd size or number of files is refused before
anything is written. Errors are ``DatasetError`` naming the archive and the reason."""

from __future__ import annotations

import os
import shutil
import stat
import tarfile
import zipfile
from pathlib import Path, PurePosixPath

from studio.core.errors import DatasetError

MAX_BYTES = 20 * 1024**3  # unpacked, in all
MAX_FILES = 1_000_000
MAX_RATIO = 200  # unpacked/packed size of one member beyond which it is a zip bomb
ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")


def is_archive(path: Path) -> bool:
    name = Path(path).name.lower()
    return Path(path).is_file() and name.endswith(ARCHIVE_SUFFIXES)


def archive_stem(path: Path) -> str:
    name = Path(path).name
    for suffix in sorted(ARCHIVE_SUFFIXES, key=len, reverse=True):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)] or "archive"
    return Path(path).stem


def _safe_name(archive: Path, name: str) -> PurePosixPath:
    p = PurePosixPath(name.replace("\\", "/"))
    if p.is_absolute() or ".." in p.parts or (p.parts and ":" in p.parts[0]):
        raise DatasetError(f"{archive}: member {name!r} would be written outside its folder")
    return p


def _check_totals(archive: Path, files: int, total: int, limit_bytes: int) -> None:
    if files > MAX_FILES:
        raise DatasetError(f"{archive}: {files:,} files is more than the {MAX_FILES:,} allowed")
    if total > limit_bytes:
        raise DatasetError(
            f"{archive}: it would unpack to {total / 1024**3:.1f} GiB, more than the "
            f"{limit_bytes / 1024**3:.0f} GiB allowed"
        )


def _extract_zip(archive: Path, dest: Path, limit_bytes: int) -> None:
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise DatasetError(f"{archive}: not a readable zip archive ({exc})") from None
    with zf:
        members = [m for m in zf.infolist() if not m.is_dir()]
        for m in members:
            _safe_name(archive, m.filename)
            if stat.S_ISLNK(m.external_attr >> 16):
                raise DatasetError(f"{archive}: member {m.filename!r} is a link; refused")
            if m.file_size > 1024**2 and m.file_size > MAX_RATIO * max(1, m.compress_size):
                raise DatasetError(
                    f"{archive}: member {m.filename!r} would unpack {m.file_size:,} bytes from "
                    f"{m.compress_size:,} (a decompression bomb); refused"
                )
        _check_totals(archive, len(members), sum(m.file_size for m in members), limit_bytes)
        for m in members:
            target = dest.joinpath(*_safe_name(archive, m.filename).parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            written = 0
            try:
                with zf.open(m) as src, open(target, "wb") as out:
                    while chunk := src.read(1 << 20):
                        written += len(chunk)
                        if written > m.file_size:  # the header lied about the size
                            raise DatasetError(
                                f"{archive}: member {m.filename!r} is larger than declared"
                            )
                        out.write(chunk)
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                raise DatasetError(f"{archive}: member {m.filename!r} is damaged ({exc})") from None


def _extract_tar(archive: Path, dest: Path, limit_bytes: int) -> None:
    try:
        tf = tarfile.open(archive)  # noqa: SIM115 (closed by the "with" below)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise DatasetError(f"{archive}: not a readable tar archive ({exc})") from None
    with tf:
        try:
            members = tf.getmembers()
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise DatasetError(f"{archive}: the archive is damaged ({exc})") from None
        for m in members:
            _safe_name(archive, m.name)
            if m.issym() or m.islnk():
                raise DatasetError(f"{archive}: member {m.name!r} is a link; refused")
            if not (m.isfile() or m.isdir()):
                raise DatasetError(f"{archive}: member {m.name!r} is not a plain file; refused")
        files = [m for m in members if m.isfile()]
        _check_totals(archive, len(files), sum(m.size for m in files), limit_bytes)
        try:
            # The "data" filter refuses what escapes the folder, links and devices too.
            tf.extractall(dest, members=members, filter="data")
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise DatasetError(f"{archive}: the archive is damaged ({exc})") from None


def extract(archive: Path, dest: Path, limit_bytes: int = MAX_BYTES) -> Path:
    """Unpack ``archive`` into the new folder ``dest``; returns the data folder (the one
    folder inside when the archive wraps everything in a single folder). On any error
    nothing is left behind."""
    archive, dest = Path(archive), Path(dest)
    if dest.exists():
        raise DatasetError(f"{dest} already exists; not unpacking {archive.name} over it")
    tmp = dest.with_name(f".{dest.name}.partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        if archive.name.lower().endswith(".zip"):
            _extract_zip(archive, tmp, limit_bytes)
        else:
            _extract_tar(archive, tmp, limit_bytes)
        os.rename(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    entries = [p for p in dest.iterdir() if not p.name.startswith(".")]
    if not entries:
        raise DatasetError(f"{archive}: the archive is empty")
    return entries[0] if len(entries) == 1 and entries[0].is_dir() else dest
