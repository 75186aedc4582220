"""Playing audio from the app, where the machine can (Qt-free).

Qt's Essentials wheel has no multimedia module, so the app plays through, in order:

1. ``miniaudio`` (a 0.6 MB wheel bundling the miniaudio C library; no system
   library needed) when it is installed;
2. a command-line player found on PATH (``paplay``, ``aplay``, ``afplay``, ``ffplay``)
   given a temporary WAV file;
3. nothing: ``play`` raises ``PlaybackUnavailable`` with a message saying so and how
   to get sound (the piece can always be saved as WAV or MIDI).

A machine with no sound device fails in 1 at once (miniaudio cannot open a device)
and in 2 as soon as the player exits with an error (``poll`` returns its message);
both end as a message, never an exception in the GUI. ``GENAI_STUDIO_AUDIO`` may force
one backend: ``miniaudio``, ``command`` or ``none``."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

PLAYERS = (("paplay", []), ("aplay", ["-q"]), ("afplay", []), ("ffplay", ["-nodisp", "-autoexit"]))
NO_SOUND = (
    "No sound output here: install the miniaudio package (pip install miniaudio) or a "
    "player such as aplay or paplay; the piece can still be saved as WAV or MIDI."
)


class PlaybackUnavailable(RuntimeError):
    """Sound cannot be played on this machine (the message says why)."""


def _has_miniaudio() -> bool:
    try:
        import miniaudio  # noqa: F401
    except Exception:
        return False
    return True


def _command() -> list[str] | None:
    for name, args in PLAYERS:
        path = shutil.which(name)
        if path:
            return [path, *args]
    return None


def backend() -> str:
    """ "miniaudio", "command" or "none" (what ``Player`` will use)."""
    forced = os.environ.get("GENAI_STUDIO_AUDIO", "").strip().lower()
    if forced in ("miniaudio", "command", "none"):
        return forced
    if _has_miniaudio():
        return "miniaudio"
    return "command" if _command() else "none"


class Player:
    """Plays one piece at a time; ``position`` is the seconds played so far."""

    def __init__(self) -> None:
        self.backend = backend()
        self._device = None
        self._process: subprocess.Popen | None = None
        self._wav: Path | None = None
        self._started = 0.0
        self._length = 0.0

    @property
    def playing(self) -> bool:
        if not self._started:
            return False
        return time.monotonic() - self._started < self._length

    @property
    def position(self) -> float:
        return min(self._length, time.monotonic() - self._started) if self._started else 0.0

    def play(self, audio: np.ndarray, rate: int) -> None:
        """Start playing mono float audio; ``PlaybackUnavailable`` if it cannot."""
        self.stop()
        if self.backend == "none":
            raise PlaybackUnavailable(NO_SOUND)
        pcm = (np.clip(audio, -1, 1) * 32767).astype("<i2")
        if self.backend == "miniaudio":
            self._play_miniaudio(pcm, rate)
        else:
            self._play_command(pcm, rate)
        self._started, self._length = time.monotonic(), len(pcm) / rate

    def _play_miniaudio(self, pcm: np.ndarray, rate: int) -> None:
        import miniaudio

        def frames():
            wanted = yield b""
            i = 0
            while i < len(pcm):
                chunk = pcm[i : i + wanted]
                i += len(chunk)
                wanted = yield chunk.tobytes()

        try:
            device = miniaudio.PlaybackDevice(
                output_format=miniaudio.SampleFormat.SIGNED16, nchannels=1, sample_rate=rate
            )
        except Exception as exc:
            raise PlaybackUnavailable(f"No sound device could be opened ({exc}).") from None
        stream = frames()
        next(stream)
        device.start(stream)
        self._device = device

    def _play_command(self, pcm: np.ndarray, rate: int) -> None:
        from .synth import write_wav

        command = _command()
        if command is None:
            raise PlaybackUnavailable(NO_SOUND)
        fd, name = tempfile.mkstemp(suffix=".wav", prefix="genai-studio-")
        os.close(fd)
        self._wav = write_wav(pcm.astype(np.float32) / 32767, Path(name), rate)
        self._process = subprocess.Popen(
            [*command, str(self._wav)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )

    def poll(self) -> str | None:
        """A message if the player stopped with an error (no sound device), else None."""
        p = self._process
        if p is None or p.poll() is None or p.returncode == 0:
            return None
        err = (p.stderr.read() if p.stderr else b"").decode(errors="replace").strip()
        self._process = None
        self._started = 0.0
        last = err.splitlines()[-1] if err else f"exit status {p.returncode}"
        return f"The player could not play the piece ({last}); save it as WAV instead."

    def stop(self) -> None:
        if self._device is not None:
            self._device.close()
            self._device = None
        if self._process is not None:
            if self._process.poll() is None:
                self._process.terminate()
            self._process = None
        if self._wav is not None:
            self._wav.unlink(missing_ok=True)
            self._wav = None
        self._started = 0.0
