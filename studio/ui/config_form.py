"""The config form: built from a model's config dataclass, with presets and the
engine settings every run has (steps, seed, device, precision, cadences)."""

from __future__ import annotations

import shlex
from typing import Any

from PySide6.QtCore import QLocale, Signal
from PySide6.QtGui import QDoubleValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio.core import config as cfg
from studio.core.contributions import ENGINE_PRESET_KEYS, ModelSpec
from studio.core.devices_names import PRECISIONS
from studio.core.session import TrainSettings

CUSTOM = "custom"


def _fmt(value: float) -> str:
    return f"{value:g}"


class ConfigForm(QWidget):
    """``set_model(spec)`` rebuilds the form; ``values()`` returns (config, settings)."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec: ModelSpec | None = None
        self.editors: dict[str, tuple[cfg.FieldInfo, QWidget]] = {}
        self.dataset_id = ""
        self.reader: str | None = None
        layout = QVBoxLayout(self)
        self.preset = QComboBox()
        self.preset.currentTextChanged.connect(self._apply_preset)
        top = QFormLayout()
        top.addRow("Preset", self.preset)
        layout.addLayout(top)
        self.model_box = QGroupBox("Model")
        self.model_form = QFormLayout(self.model_box)
        layout.addWidget(self.model_box)

        engine = QGroupBox("Training")
        form = QFormLayout(engine)
        self.steps = QSpinBox(minimum=1, maximum=10_000_000, singleStep=100, value=1000)
        self.seed = QSpinBox(minimum=0, maximum=2**31 - 1, value=0)
        self.device = QComboBox()
        self.device.addItems(["auto", "cpu"])
        self.precision = QComboBox()
        self.precision.addItems(PRECISIONS)
        self.precision.setToolTip("Mixed precision (bf16/fp16) speeds up training on GPUs")
        self.sample_every = QSpinBox(minimum=0, maximum=1_000_000, value=100)
        self.sample_every.setToolTip("Preview samples at a fixed seed every N steps (0: never)")
        self.checkpoint_every = QSpinBox(minimum=0, maximum=1_000_000, value=500)
        self.validate_every = QSpinBox(minimum=0, maximum=1_000_000, value=0)
        self.validate_every.setToolTip(
            "Validation metrics on the held-out split every N steps (0: never)"
        )
        form.addRow("Steps", self.steps)
        form.addRow("Seed", self.seed)
        form.addRow("Device", self.device)
        form.addRow("Precision", self.precision)
        form.addRow("Sample every", self.sample_every)
        form.addRow("Checkpoint every", self.checkpoint_every)
        form.addRow("Validate every", self.validate_every)
        self.tensorboard = QCheckBox("Also write TensorBoard event files")
        self.tensorboard.setToolTip("Scalars and image samples in <run>/tensorboard")
        form.addRow("", self.tensorboard)
        layout.addWidget(engine)
        self.error = QLabel()
        self.error.setStyleSheet("color: #c0392b;")
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        layout.addWidget(QLabel("Same run from a shell:"))
        self.command = QPlainTextEdit(readOnly=True)
        self.command.setMaximumHeight(70)
        layout.addWidget(self.command)
        layout.addStretch(1)
        for w in (
            self.steps,
            self.seed,
            self.sample_every,
            self.checkpoint_every,
            self.validate_every,
        ):
            w.valueChanged.connect(self._on_edit)
        for w in (self.device, self.precision):
            w.currentTextChanged.connect(self._on_edit)
        self.tensorboard.toggled.connect(self._on_edit)

    def set_devices(self, devices: list[str]) -> None:
        current = self.device.currentText()
        self.device.blockSignals(True)
        self.device.clear()
        self.device.addItems(["auto", *devices])
        self.device.setCurrentText(current if current in ["auto", *devices] else "auto")
        self.device.blockSignals(False)

    def set_model(self, spec: ModelSpec, dataset_id: str = "", reader: str | None = None) -> None:
        self.spec = spec
        self.dataset_id = dataset_id or (spec.default_dataset or "")
        self.reader = reader if dataset_id else None
        while self.model_form.rowCount():
            self.model_form.removeRow(0)
        self.editors.clear()
        self.model_box.setTitle(spec.name)
        for info in cfg.describe(spec.config_class):
            editor = self._editor(info)
            label = QLabel(info.label)
            label.setToolTip(info.help)
            editor.setToolTip(info.help)
            self.model_form.addRow(label, editor)
            self.editors[info.name] = (info, editor)
        self.steps.setValue(spec.default_steps)
        self.preset.blockSignals(True)
        self.preset.clear()
        self.preset.addItems([*spec.presets, CUSTOM])
        self.preset.blockSignals(False)
        first = next(iter(spec.presets), CUSTOM)
        self.preset.setCurrentText(first)
        self._apply_preset(first)

    def set_dataset(self, dataset_id: str, reader: str | None = None) -> None:
        """The dataset the command line names: an embedded id, or a path and its reader."""
        self.dataset_id = dataset_id
        self.reader = reader
        self._update_command()

    def _editor(self, info: cfg.FieldInfo) -> QWidget:
        if info.choices is not None:
            w = QComboBox()
            w.addItems([str(c) for c in info.choices])
            w.setCurrentText(str(info.default))
            w.currentTextChanged.connect(self._on_edit)
        elif info.type is bool:
            w = QCheckBox()
            w.setChecked(bool(info.default))
            w.toggled.connect(self._on_edit)
        elif info.type is int:
            w = QSpinBox()
            w.setRange(
                int(info.min if info.min is not None else -(10**9)),
                int(info.max if info.max is not None else 10**9),
            )
            w.setValue(int(info.default))
            w.valueChanged.connect(self._on_edit)
        elif info.type is float:
            w = QLineEdit(_fmt(info.default))
            validator = QDoubleValidator(w)
            validator.setLocale(QLocale.c())  # "0.001" and "1e-3" whatever the user's locale
            w.setValidator(validator)
            w.textEdited.connect(self._on_edit)
        else:
            w = QLineEdit(str(info.default))
            w.textEdited.connect(self._on_edit)
        return w

    def _set_editor(self, name: str, value: Any) -> None:
        info, w = self.editors[name]
        w.blockSignals(True)
        if isinstance(w, QComboBox):
            w.setCurrentText(str(value))
        elif isinstance(w, QCheckBox):
            w.setChecked(bool(value))
        elif isinstance(w, QSpinBox):
            w.setValue(int(value))
        else:
            w.setText(_fmt(value) if info.type is float else str(value))
        w.blockSignals(False)

    def show_run(self, record: Any) -> None:
        """Show the settings a run was trained with (preset: custom), so the form and
        its command line repeat that run."""
        for name, value in record.config.items():
            if name in self.editors:
                self._set_editor(name, value)
        for widget, value in (
            (self.steps, record.steps),
            (self.seed, record.seed),
            (self.sample_every, record.sample_every),
            (self.checkpoint_every, record.checkpoint_every),
            (self.validate_every, record.extra.get("validate_every", 0)),
        ):
            widget.blockSignals(True)
            widget.setValue(int(value))
            widget.blockSignals(False)
        self.precision.setCurrentText(record.precision)
        self.preset.blockSignals(True)
        self.preset.setCurrentText(CUSTOM)
        self.preset.blockSignals(False)
        self._update_command()

    def _apply_preset(self, name: str) -> None:
        if self.spec is None or name not in self.spec.presets:
            return
        for info in cfg.describe(self.spec.config_class):
            self._set_editor(info.name, info.default)
        engine_widgets = {
            "steps": self.steps,
            "seed": self.seed,
            "sample_every": self.sample_every,
            "checkpoint_every": self.checkpoint_every,
            "validate_every": self.validate_every,
        }
        for key, value in self.spec.presets[name].items():
            if key in self.editors:
                self._set_editor(key, value)
            elif key in engine_widgets:
                engine_widgets[key].blockSignals(True)
                engine_widgets[key].setValue(int(value))
                engine_widgets[key].blockSignals(False)
            elif key in ENGINE_PRESET_KEYS and key in ("device", "precision"):
                getattr(self, key).setCurrentText(str(value))
        self._on_edit(from_preset=True)

    def _on_edit(self, *args: Any, from_preset: bool = False) -> None:
        if not from_preset and self.preset.currentText() != CUSTOM:
            self.preset.blockSignals(True)
            self.preset.setCurrentText(CUSTOM)
            self.preset.blockSignals(False)
        self._update_command()
        self.changed.emit()

    def raw_config(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, (_info, w) in self.editors.items():
            if isinstance(w, QComboBox):
                out[name] = w.currentText()
            elif isinstance(w, QCheckBox):
                out[name] = w.isChecked()
            elif isinstance(w, QSpinBox):
                out[name] = w.value()
            else:
                out[name] = w.text()
        return out

    def values(self) -> tuple[Any, TrainSettings]:
        """The config instance and engine settings; raises ``ConfigError`` if invalid."""
        assert self.spec is not None
        try:
            config = cfg.build(self.spec.config_class, self.raw_config())
        except cfg.ConfigError as exc:
            self.error.setText(str(exc))
            raise
        self.error.setText("")
        settings = TrainSettings(
            steps=self.steps.value(),
            seed=self.seed.value(),
            device=self.device.currentText(),
            precision=self.precision.currentText(),
            sample_every=self.sample_every.value(),
            checkpoint_every=self.checkpoint_every.value(),
            validate_every=self.validate_every.value(),
            tensorboard=self.tensorboard.isChecked(),
        )
        return config, settings

    def _update_command(self) -> None:
        if self.spec is None:
            return
        parts = ["genai-studio-cli", "train", "--model", self.spec.id]
        if self.dataset_id:
            parts += ["--dataset", self.dataset_id]
        if self.reader:
            parts += ["--reader", self.reader]
        parts += [
            "--steps",
            str(self.steps.value()),
            "--seed",
            str(self.seed.value()),
            "--device",
            self.device.currentText(),
            "--precision",
            self.precision.currentText(),
            "--sample-every",
            str(self.sample_every.value()),
            "--checkpoint-every",
            str(self.checkpoint_every.value()),
        ]
        if self.validate_every.value():
            parts += ["--validate-every", str(self.validate_every.value())]
        if self.tensorboard.isChecked():
            parts.append("--tensorboard")
        defaults = {i.name: i.default for i in cfg.describe(self.spec.config_class)}
        for name, value in self.raw_config().items():
            if str(value) != str(defaults[name]) and not (
                isinstance(defaults[name], float) and _safe_float(value) == defaults[name]
            ):
                parts += [f"--{name.replace('_', '-')}", str(value)]
        parts += ["--run-dir", "RUN_DIR"]
        self.command.setPlainText(shlex.join(parts))


def _safe_float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
