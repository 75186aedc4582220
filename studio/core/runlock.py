"""One writer per run folder: an OS-level lock on ``<run>/.lock`` while a run trains.

The lock is taken with ``fcntl.flock`` (``msvcrt.locking`` on Windows), so the operating
system drops it when the holding process ends, however it ends: a killed run is never
locked forever. The file holds the holder's pid and host, for the message a second
writer gets. Reading the lock (``holder``) never creates the file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import time
from pathlib import Path
from typing import IO

from studio.core.rundir import RunDirError

LOCK_NAME = ".lock"
RETRIES = 10

try:  # POSIX
    import fcntl

    def _try_lock(fh: IO[bytes], exclusive: bool) -> bool:
        mode = (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB
        try:
            fcntl.flock(fh.fileno(), mode)
        except OSError as exc:
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                return False
            raise
        return True

    def _unlock(fh: IO[bytes]) -> None:
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

except ImportError:  # pragma: no cover - Windows
    try:
        import msvcrt

        def _try_lock(fh: IO[bytes], exclusive: bool) -> bool:
            fh.seek(0)
            try:
                msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
            except OSError:
                return False
            if not exclusive:  # a probe: give it back at once
                fh.seek(0)
                msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
            return True

        def _unlock(fh: IO[bytes]) -> None:
            fh.seek(0)
            msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)

    except ImportError:  # no locking primitive: fall back to the pid in status.json

        def _try_lock(fh: IO[bytes], exclusive: bool) -> bool:
            return True

        def _unlock(fh: IO[bytes]) -> None:
            return None


class RunLocked(RunDirError):
    """Another process is writing this run; the message names its pid."""

    def __init__(self, path: Path, pid: int | None, host: str = "") -> None:
        who = f"process {pid}" if pid else "another process"
        if host and host != socket.gethostname():
            who += f" on {host}"
        super().__init__(
            f"{path} is being trained by {who}; wait for it to end or stop it "
            "(a run folder has one writer at a time)"
        )
        self.pid = pid


def _read_holder(path: Path) -> tuple[int | None, str]:
    try:
        text = path.read_text(encoding="utf-8").split()
    except OSError:
        return None, ""
    pid = int(text[0]) if text and text[0].isdigit() else None
    return pid, (text[1] if len(text) > 1 else "")


class RunLock:
    """The writer's lock on one run folder. ``acquire()`` or raise ``RunLocked``;
    ``release()`` (also on garbage collection and process exit)."""

    def __init__(self, run_path: Path | str) -> None:
        self.run_path = Path(run_path)
        self.path = self.run_path / LOCK_NAME
        self._fh: IO[bytes] | None = None

    @property
    def held(self) -> bool:
        return self._fh is not None

    def acquire(self) -> RunLock:
        """Take the lock (creating the run folder if needed). ``RunLocked`` if another
        process (or another writer in this one) holds it; ``OSError`` if the folder
        cannot be written."""
        if self._fh is not None:
            return self
        if self.run_path.exists() and not self.run_path.is_dir():
            raise NotADirectoryError(
                errno.ENOTDIR, "is a file, not a run folder", str(self.run_path)
            )
        self.run_path.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+b")  # noqa: SIM115 - held open for the run's lifetime
        try:
            # A reader's probe (``holder``) holds a shared lock for a moment: try again
            # briefly before calling the run taken.
            for _ in range(RETRIES):
                if _try_lock(fh, exclusive=True):
                    break
                time.sleep(0.05)
            else:
                pid, host = _read_holder(self.path)
                raise RunLocked(self.run_path, pid, host)
            fh.seek(0)
            fh.truncate()
            fh.write(f"{os.getpid()} {socket.gethostname()}\n".encode())
            fh.flush()
        except BaseException:
            fh.close()
            raise
        self._fh = fh
        return self

    def release(self) -> None:
        fh, self._fh = self._fh, None
        if fh is None:
            return
        with contextlib.suppress(OSError):
            _unlock(fh)
        fh.close()

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()

    def __del__(self) -> None:
        self.release()


def holder(run_path: Path | str) -> int | None:
    """The pid of the process writing this run (``0`` if unknown), or ``None`` when
    nobody holds its lock. Never creates the lock file."""
    path = Path(run_path) / LOCK_NAME
    try:
        fh = open(path, "rb")  # noqa: SIM115
    except OSError:
        return None
    try:
        if _try_lock(fh, exclusive=False):
            with contextlib.suppress(OSError):
                _unlock(fh)
            return None
        pid, _host = _read_holder(path)
        return pid or 0
    except OSError:
        return None
    finally:
        fh.close()
