"""Qt views of the ``translation`` sample kind: an attention heat map (target
subwords down, source subwords across) and the gallery's view of a preview sample.
Imported only when a view is built."""

from __future__ import annotations

import html

import numpy as np
from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSizePolicy, QWidget

from studio.api_qt import SampleView


def _label(token: str) -> str:
    return token.replace(" ", "·") if token.strip() else repr(token)


class AttentionMap(QWidget):
    """A heat map of attention weights: one row per query token, one column per key
    token, darker = more weight. Clicking a row selects it (``row_clicked``)."""

    row_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.weights = np.zeros((0, 0))
        self.rows: list[str] = []
        self.columns: list[str] = []
        self.selected = -1
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(200, 160)
        self.font_ = QFont()
        self.font_.setPointSize(9)

    def set_weights(self, weights: np.ndarray, rows: list[str], columns: list[str]) -> None:
        self.weights = np.asarray(weights, dtype=float)
        self.rows, self.columns = list(rows), list(columns)
        if not 0 <= self.selected < len(self.rows):
            self.selected = -1
        self.updateGeometry()
        self.update()

    def select_row(self, row: int) -> None:
        self.selected = row
        self.update()

    def _margins(self) -> tuple[int, int]:
        fm = QFontMetrics(self.font_)
        left = max([fm.horizontalAdvance(_label(r)) for r in self.rows] or [0]) + 8
        top = max([fm.horizontalAdvance(_label(c)) for c in self.columns] or [0]) + 8
        return left, top

    def _cell(self) -> tuple[int, int, float, float]:
        left, top = self._margins()
        n_rows, n_cols = max(1, len(self.rows)), max(1, len(self.columns))
        w = min(64.0, max(4.0, (self.width() - left - 4) / n_cols))
        h = min(36.0, max(4.0, (self.height() - top - 4) / n_rows))
        return left, top, w, h

    def sizeHint(self) -> QSize:
        left, top = self._margins()
        return QSize(left + 28 * max(1, len(self.columns)), top + 22 * max(1, len(self.rows)))

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("white"))
        if self.weights.size == 0:
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No attention to show")
            return
        painter.setFont(self.font_)
        left, top, w, h = self._cell()
        peak = float(self.weights.max()) or 1.0
        for r in range(self.weights.shape[0]):
            for c in range(self.weights.shape[1]):
                level = int(255 * (1 - self.weights[r, c] / peak))
                painter.fillRect(
                    QRect(int(left + c * w), int(top + r * h), int(w) + 1, int(h) + 1),
                    QColor(level, level, 255 if level > 0 else 120),
                )
        painter.setPen(QColor("black"))
        for r, token in enumerate(self.rows):
            box = QRect(0, int(top + r * h), left - 4, int(h))
            painter.drawText(
                box, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, _label(token)
            )
        painter.save()
        painter.rotate(-90)
        for c, token in enumerate(self.columns):
            # Rotated: x runs up the widget, y across it.
            box = QRect(-top + 4, int(left + c * w), top - 8, int(w))
            painter.drawText(
                box, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, _label(token)
            )
        painter.restore()
        if 0 <= self.selected < len(self.rows):
            painter.setPen(QPen(QColor("#d62728"), 2))
            painter.drawRect(
                QRect(int(left), int(top + self.selected * h), int(w * len(self.columns)), int(h))
            )
        painter.end()

    def mousePressEvent(self, event) -> None:
        _left, top, _w, h = self._cell()
        row = int((event.position().y() - top) // h)
        if 0 <= row < len(self.rows) and event.position().y() >= top:
            self.select_row(row)
            self.row_clicked.emit(row)


def source_strip(tokens: list[str], weights: np.ndarray | None) -> str:
    """The source subwords as HTML, each shaded by its weight (None: plain)."""
    parts = []
    peak = float(weights.max()) if weights is not None and weights.size else 1.0
    for i, token in enumerate(tokens):
        text = html.escape(_label(token))
        if weights is None or peak <= 0:
            parts.append(f"<span>{text}</span>")
        else:
            alpha = weights[i] / peak
            parts.append(
                f"<span style='background-color: rgba(214,39,40,{alpha:.2f})'>"
                f"{text}</span> <small>{weights[i]:.2f}</small>"
            )
    return " ".join(parts)


class TranslationView(SampleView):
    """The gallery's view: each sentence, its translation (and reference), and the
    decoder's cross-attention (last layer, mean over heads) of the one chosen."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout()
        row.addWidget(QLabel("Sentence"))
        self.choice = QComboBox()
        self.choice.currentIndexChanged.connect(self._draw)
        row.addWidget(self.choice, 1)
        self.body.addLayout(row)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.body.addWidget(self.text)
        self.map = AttentionMap()
        self.body.addWidget(self.map, 1)
        self.body.addWidget(self.caption)
        self.sample = None

    def show_sample(self, sample) -> None:
        self.sample = sample
        self.choice.blockSignals(True)
        self.choice.clear()
        self.choice.addItems([s[:60] for s in sample.sources])
        self.choice.blockSignals(False)
        self._draw(0)
        self.show_caption(sample, f"{len(sample.sources)} sentences")

    def _draw(self, index: int) -> None:
        s = self.sample
        if s is None or not 0 <= index < len(s.sources):
            return
        lines = [f"<b>{html.escape(s.sources[index])}</b>"]
        if index < len(s.translations):
            lines.append(f"→ {html.escape(s.translations[index])}")
        if index < len(s.references) and s.references[index]:
            mark = "✓" if s.references[index] == s.translations[index] else "✗"
            lines.append(f"<i>reference: {html.escape(s.references[index])}</i> {mark}")
        self.text.setText("<br>".join(lines))
        if index < len(s.cross_attention):
            weights = np.asarray(s.cross_attention[index])[-1].mean(0)
            self.map.set_weights(weights, s.target_tokens[index], s.source_tokens[index])
        else:
            self.map.set_weights(np.zeros((0, 0)), [], [])
