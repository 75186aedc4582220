"""The ``pianoroll`` view (gallery, compare, Explore): notes as bars coloured by track,
bar lines (or seconds), a playhead that follows playback, Play/Stop and Save."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QWidget

from studio.api_qt import SampleView

from .playback import PlaybackUnavailable, Player
from .synth import RATE, render

COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2"]
PROMPT_COLOR = "#9a9a9a"


class RollCanvas(QWidget):
    """Paints the notes of a PianoRoll; ``playhead`` is in seconds (None: hidden)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sample = None
        self.playhead: float | None = None
        self.setMinimumSize(320, 180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_sample(self, sample) -> None:
        self.sample = sample
        self.update()

    def colors(self) -> list[QColor]:
        tracks = self.sample.tracks if self.sample is not None else []
        return [
            QColor(PROMPT_COLOR if name == "prompt" else COLORS[i % len(COLORS)])
            for i, name in enumerate(tracks)
        ]

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#fbfbfb"))
        s = self.sample
        if s is None or not len(s.notes):
            p.setPen(QColor("#777777"))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "no notes")
            return
        notes = s.notes
        lo, hi = int(notes[:, 1].min()) - 2, int(notes[:, 1].max()) + 2
        end = max(s.duration, 1e-3)
        w, h = self.width(), self.height()
        sx, sy = w / end, h / (hi - lo + 1)
        # Octave lines at each C; bar lines (thicker at piece starts) or seconds.
        p.setPen(QPen(QColor("#e4e4e4"), 1))
        for pitch in range(lo, hi + 1):
            if pitch % 12 == 0:
                y = h - (pitch - lo + 1) * sy
                p.drawLine(0, int(y), w, int(y))
        step = s.bar_seconds or 1.0
        t, k = 0.0, 0
        while t <= end + 1e-9:
            piece = s.piece_seconds and abs(t / s.piece_seconds - round(t / s.piece_seconds)) < 1e-6
            p.setPen(QPen(QColor("#555555" if piece else "#c8c8c8"), 2 if piece else 1))
            p.drawLine(int(t * sx), 0, int(t * sx), h)
            k += 1
            t = k * step
        colors = self.colors()
        p.setPen(Qt.PenStyle.NoPen)
        for track, pitch, a, b, _ in notes:
            p.setBrush(colors[int(track) % len(colors)] if colors else QColor(COLORS[0]))
            y = h - (pitch - lo + 1) * sy
            p.drawRect(QRectF(a * sx, y, max(1.0, (b - a) * sx - 1), max(1.0, sy - 0.5)))
        if self.playhead is not None:
            p.setPen(QPen(QColor("#e00000"), 2))
            x = int(self.playhead * sx)
            p.drawLine(x, 0, x, h)


class PianoRollView(SampleView):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.canvas = RollCanvas()
        self.legend = QLabel()
        self.play_button = QPushButton("Play")
        self.stop_button = QPushButton("Stop")
        self.midi_button = QPushButton("Save MIDI…")
        self.wav_button = QPushButton("Save WAV…")
        self.status = QLabel()
        self.status.setWordWrap(True)
        row = QHBoxLayout()
        for b in (self.play_button, self.stop_button, self.midi_button, self.wav_button):
            row.addWidget(b)
        row.addWidget(self.legend, 1)
        self.body.addWidget(self.canvas, 1)
        self.body.addLayout(row)
        self.body.addWidget(self.status)
        self.body.addWidget(self.caption)
        self.player = Player()
        self.timer = QTimer(self)
        self.timer.setInterval(40)
        self.timer.timeout.connect(self._tick)
        self.play_button.clicked.connect(self.play)
        self.stop_button.clicked.connect(self.stop)
        self.midi_button.clicked.connect(lambda: self._ask_save("MIDI files (*.mid)", ".mid"))
        self.wav_button.clicked.connect(lambda: self._ask_save("WAV audio (*.wav)", ".wav"))
        self.sample = None
        self.destroyed.connect(self.player.stop)

    def show_sample(self, sample) -> None:
        self.stop()
        self.sample = sample
        self.canvas.set_sample(sample)
        colors = self.canvas.colors()
        self.legend.setText(
            "  ".join(
                f"<span style='color:{c.name()}'>&#9632;</span> {name}"
                for c, name in zip(colors, sample.tracks, strict=False)
            )
        )
        for b in (self.play_button, self.midi_button, self.wav_button):
            b.setEnabled(len(sample.notes) > 0)
        self.show_caption(sample, sample.caption or sample.summary())

    # --- playback ------------------------------------------------------------
    def play(self) -> None:
        if self.sample is None or not len(self.sample.notes):
            return
        try:
            self.player.play(render(self.sample.notes), RATE)
        except PlaybackUnavailable as exc:
            self.status.setText(str(exc))
            return
        self.status.setText(f"Playing through {self.player.backend}.")
        self.canvas.playhead = 0.0
        self.timer.start()

    def stop(self) -> None:
        self.player.stop()
        self.timer.stop()
        self.canvas.playhead = None
        self.canvas.update()

    def _tick(self) -> None:
        message = self.player.poll()
        if message:
            self.status.setText(message)
        if not self.player.playing:
            self.stop()
            return
        self.canvas.playhead = self.player.position
        self.canvas.update()

    # --- export --------------------------------------------------------------
    def save(self, path: Path) -> Path:
        """Write the shown piece as MIDI or WAV (by the suffix)."""
        written = self.sample.save(Path(path))
        self.status.setText(f"Saved {written}")
        return written

    def _ask_save(self, filter_: str, suffix: str) -> None:
        if self.sample is None:
            return
        name, _ = QFileDialog.getSaveFileName(self, "Save the piece", f"piece{suffix}", filter_)
        if name:
            path = Path(name)
            self.save(path if path.suffix.lower() == suffix else path.with_suffix(suffix))
