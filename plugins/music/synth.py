"""Notes to sound: a small additive synthesiser in NumPy (needs nothing), or FluidSynth
with a SoundFont where the user has both (better sounding, optional).

The built-in voice is three harmonics under an attack-decay-release envelope, one
timbre per track (brighter for higher tracks), mixed and normalised to -1 dB."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import wave
from pathlib import Path

import numpy as np

RATE = 22_050
ATTACK, RELEASE = 0.01, 0.08  # seconds
# Relative amplitudes of harmonics 1, 2, 3 per track (cycled).
TIMBRES = [(1.0, 0.35, 0.15), (1.0, 0.5, 0.1), (1.0, 0.25, 0.3), (1.0, 0.6, 0.25)]
SOUNDFONT_ENV = "GENAI_STUDIO_SOUNDFONT"
SOUNDFONTS = (
    "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "/usr/share/soundfonts/FluidR3_GM.sf2",
    "/usr/share/sounds/sf2/TimGM6mb.sf2",
)


def render(notes: np.ndarray, rate: int = RATE, tail: float = 0.3) -> np.ndarray:
    """Mono float32 audio in [-1, 1] of ``notes`` (rows: track, pitch, start, end,
    velocity; times in seconds)."""
    notes = np.asarray(notes, dtype=np.float64).reshape(-1, 5)
    length = (notes[:, 3].max() if len(notes) else 0.0) + RELEASE + tail
    out = np.zeros(int(length * rate) + 1, dtype=np.float64)
    for track, pitch, start, end, velocity in notes:
        dur = max(end - start, 0.02)
        n = int((dur + RELEASE) * rate)
        t = np.arange(n) / rate
        freq = 440.0 * 2 ** ((pitch - 69) / 12)
        wave_ = np.zeros(n)
        for h, amp in enumerate(TIMBRES[int(track) % len(TIMBRES)], start=1):
            if freq * h < rate / 2:  # no partial above Nyquist
                wave_ += amp * np.sin(2 * np.pi * freq * h * t)
        # Attack to 1, a gentle decay to 0.6 while held, a release after the end.
        env = np.minimum(1.0, t / ATTACK) * (0.6 + 0.4 * np.exp(-t / 0.3))
        env[t > dur] *= np.exp(-(t[t > dur] - dur) / (RELEASE / 4))
        a = int(start * rate)
        seg = out[a : a + n]
        seg += (velocity / 127.0) * env[: len(seg)] * wave_[: len(seg)]
    peak = np.abs(out).max()
    if peak > 0:
        out *= 0.89 / peak  # -1 dB
    return out.astype(np.float32)


def write_wav(audio: np.ndarray, path: Path, rate: int = RATE) -> Path:
    """16-bit mono PCM WAV (the standard library's ``wave``)."""
    pcm = (np.clip(audio, -1, 1) * 32767).astype("<i2")
    path = Path(path)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return path


def soundfont() -> Path | None:
    """A SoundFont FluidSynth can use: $GENAI_STUDIO_SOUNDFONT or a system one."""
    for candidate in (os.environ.get(SOUNDFONT_ENV, ""), *SOUNDFONTS):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def fluidsynth_available() -> bool:
    return shutil.which("fluidsynth") is not None and soundfont() is not None


def write_wav_fluidsynth(midi_path: Path, path: Path, rate: int = 44_100) -> Path:
    """Render a MIDI file through FluidSynth and a SoundFont (``fluidsynth_available``)."""
    font = soundfont()
    if shutil.which("fluidsynth") is None or font is None:
        raise RuntimeError("FluidSynth or a SoundFont is missing")
    cmd = ["fluidsynth", "-ni", "-g", "0.8", "-F", str(path), "-r", str(rate), str(font)]
    subprocess.run([*cmd, str(midi_path)], check=True, capture_output=True, timeout=600)
    return Path(path)


def notes_to_wav(notes: np.ndarray, path: Path, tracks: list[str], synth: str = "auto") -> Path:
    """A WAV of ``notes``: FluidSynth where it and a SoundFont are present and ``synth``
    is "auto" or "fluidsynth", else the built-in synthesiser."""
    if synth in ("auto", "fluidsynth") and fluidsynth_available():
        from .midi_io import write_midi

        with tempfile.TemporaryDirectory() as tmp:
            mid = write_midi(notes, Path(tmp) / "piece.mid", tracks)
            return write_wav_fluidsynth(mid, path)
    return write_wav(render(notes), path)
