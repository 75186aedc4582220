"""Sampling widgets of the text models (Qt: imported only when the widget is shown).

The language-model widget streams tokens into the view as they are generated: the
trainer's ``sample`` runs on a worker thread and calls ``on_token`` there, which only
emits a signal; Qt queues it to the GUI thread, where the slot appends the text.
Widgets are never touched from the worker thread.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import Signal
from PySide6.QtGui import QFont, QTextCursor
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from studio.api_qt import SamplingWidget


class TextSamplingWidget(SamplingWidget):
    """Prompt, temperature, top-k, top-p, max new tokens, seed; Generate and Stop."""

    token_arrived = Signal(int, str)  # (sample index, new text), from the worker thread

    def __init__(self, context) -> None:
        super().__init__(context)
        self._stop: threading.Event | None = None

        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.stop_button.setToolTip("Stop generating; the text so far is kept")
        self.stop_button.clicked.connect(self.stop)
        self.controls.insertWidget(
            self.controls.indexOf(self.generate_button) + 1, self.stop_button
        )

        self.prompt = QPlainTextEdit()
        self.prompt.setPlaceholderText("Prompt (empty: start of a line)")
        self.prompt.setMaximumHeight(70)
        self.temperature = QDoubleSpinBox(minimum=0.0, maximum=5.0, singleStep=0.1, value=0.8)
        self.temperature.setToolTip("Higher: more surprising text; 0: always the likeliest token")
        self.top_k = QSpinBox(minimum=0, maximum=100_000, value=0)
        self.top_k.setSpecialValueText("off")
        self.top_k.setToolTip("Sample only among the k likeliest tokens (off: all)")
        self.top_p = QDoubleSpinBox(minimum=0.01, maximum=1.0, singleStep=0.05, value=0.95)
        self.top_p.setToolTip("Sample among the likeliest tokens that make up this probability")
        self.max_tokens = QSpinBox(minimum=1, maximum=4096, value=300, singleStep=50)
        self.max_tokens.setToolTip("How many tokens to generate")

        settings = QWidget()
        form = QHBoxLayout(settings)
        form.setContentsMargins(0, 0, 0, 0)
        for label, editor in (
            ("Temperature", self.temperature),
            ("Top-k", self.top_k),
            ("Top-p", self.top_p),
            ("Max new tokens", self.max_tokens),
        ):
            form.addWidget(QLabel(label))
            form.addWidget(editor)
        form.addStretch(1)
        self.body.addWidget(self.prompt)
        self.body.addWidget(settings)

        self.view = QPlainTextEdit(readOnly=True)
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.view.setFont(mono)
        self.view.setPlaceholderText("Generated text appears here, token by token.")
        self.body.addWidget(self.view, 1)
        self.token_arrived.connect(self._append)

    # --- sampling ----------------------------------------------------------------------
    def sample_options(self) -> dict:
        return {
            "prompt": self.prompt.toPlainText(),
            "temperature": self.temperature.value(),
            "top_k": self.top_k.value(),
            "top_p": self.top_p.value(),
            "max_new_tokens": self.max_tokens.value(),
        }

    def generate(self) -> None:
        if self._run_path is None or self._busy:
            return
        self._stop = threading.Event()
        options = self.sample_options()
        self.view.setPlainText(options["prompt"])
        self.request_sample(
            seed=self.seed.value(), n=1, on_token=self._on_token, stop=self._stop, **options
        )
        self.stop_button.setEnabled(self._busy)

    def _on_token(self, index: int, piece: str) -> None:
        # Worker thread: only emit (a queued signal), never touch a widget here.
        if index == 0:
            try:
                self.token_arrived.emit(index, piece)
            except RuntimeError:  # the widget was deleted while generating
                if self._stop is not None:
                    self._stop.set()

    def _append(self, index: int, piece: str) -> None:
        cursor = self.view.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(piece)
        self.view.setTextCursor(cursor)
        self.view.ensureCursorVisible()

    def stop(self) -> None:
        if self._stop is not None:
            self._stop.set()
        self.stop_button.setEnabled(False)

    def show_sample(self, sample) -> None:
        self.stop_button.setEnabled(False)
        # The whole text once more: the streamed pieces and the final text agree, but a
        # byte-level token split inside a character is only complete here.
        self.view.setPlainText(sample.texts[0] if sample.texts else "")
        known = sample.metrics.get("known_words")
        stopped = self._stop is not None and self._stop.is_set()
        extra = (" Stopped." if stopped else "") + (
            f" {known:.0%} of its words (3+ letters) occur in the corpus." if known else ""
        )
        self.status.setText(self.status.text() + extra)

    def _on_failed(self, message: str, details: str) -> None:
        self.stop_button.setEnabled(False)
        super()._on_failed(message, details)

    def closeEvent(self, event) -> None:
        self.stop()
        super().closeEvent(event)


class ClassifierWidget(SamplingWidget):
    """Type a text, see the class probabilities; Generate with no text shows held-out
    examples with their predicted and true classes."""

    def __init__(self, context) -> None:
        super().__init__(context)
        self.generate_button.setText("Classify")
        self.text = QPlainTextEdit()
        self.text.setPlaceholderText("Text to classify (empty: held-out examples)")
        self.text.setMaximumHeight(110)
        self.count = QSpinBox(minimum=1, maximum=100, value=8)
        row = QFormLayout()
        row.addRow("Held-out examples", self.count)
        self.body.addWidget(self.text)
        self.body.addLayout(row)
        self.view = QPlainTextEdit(readOnly=True)
        self.body.addWidget(self.view, 1)

    def generate(self) -> None:
        text = self.text.toPlainText()
        options = {"text": text} if text.strip() else {}
        self.request_sample(seed=self.seed.value(), n=self.count.value(), **options)

    def show_sample(self, sample) -> None:
        sep = "\n" + "-" * 40 + "\n"
        self.view.setPlainText(sep.join(sample.texts))
        accuracy = sample.metrics.get("accuracy")
        if accuracy is not None:
            self.status.setText(self.status.text() + f" Held-out accuracy {accuracy:.1%}.")
