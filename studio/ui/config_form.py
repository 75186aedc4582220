"""The config form: built from a model's config dataclass, with presets, and the
engine settings every run has, built the same way from ``EngineSettings``."""

from __future__ import annotations

import shlex
from collections.abc import Callable
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
from studio.core.contributions import ModelSpec
from studio.core.settings import (
    EngineSettings,
    build_settings,
    describe_settings,
    split_settings,
)
from studio.ui.layout_fit import compact_combo

CUSTOM = "custom"


def _fmt(value: float) -> str:
    return f"{value:g}"


class ConfigForm(QWidget):
    """``set_model(spec)`` rebuilds the form; ``values()`` returns (config, settings)."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec: ModelSpec | None = None
        # Which preset a model opens on (None: its first); the window picks by device.
        self.choose_preset: Callable[[ModelSpec], str | None] | None = None
        self.editors: dict[str, tuple[cfg.FieldInfo, QWidget]] = {}
        self.labels: dict[str, QLabel] = {}
        self.dataset_id = ""
        self.reader: str | None = None
        layout = QVBoxLayout(self)
        self.preset = QComboBox()
        compact_combo(self.preset, 12)
        self.preset.currentTextChanged.connect(self._apply_preset)
        top = QFormLayout()
        top.addRow("Preset", self.preset)
        layout.addLayout(top)
        self.model_box = QGroupBox("Model")
        self.model_form = _form(self.model_box)
        layout.addWidget(self.model_box)

        # One editor per engine setting, generated like the model's; each is also an
        # attribute named after its setting (``form.steps``, ``form.tensorboard``...).
        engine = QGroupBox("Training")
        self.engine_form = _form(engine)
        self.engine_editors: dict[str, tuple[cfg.FieldInfo, QWidget]] = {}
        for info in describe_settings():
            editor = self._device_editor() if info.name == "device" else self._editor(info)
            label = QLabel(info.label)
            label.setToolTip(info.help)
            editor.setToolTip(info.help)
            self.engine_form.addRow(label, editor)
            self.engine_editors[info.name] = (info, editor)
            setattr(self, info.name, editor)
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

    def _device_editor(self) -> QComboBox:
        # The devices torch sees are probed after the window shows (``set_devices``).
        w = QComboBox()
        compact_combo(w, 8)
        w.addItems(["auto", "cpu"])
        w.currentTextChanged.connect(self._on_edit)
        return w

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
        self.labels.clear()
        self.model_box.setTitle(spec.name)
        infos = cfg.describe(spec.config_class)
        names = {i.name: _lower_first(i.label) for i in infos}
        for info in infos:
            editor = self._editor(info)
            label = QLabel(info.label)
            # A field used only for some values of another says so, greyed out or not.
            condition = cfg.active_when_text(info, names)
            tip = f"{info.help}\n({condition})" if info.help and condition else info.help
            tip = tip or condition.capitalize()
            label.setToolTip(tip)
            editor.setToolTip(tip)
            editor.setProperty("help", tip)  # a combo box's tooltip: its text, then this
            self.model_form.addRow(label, editor)
            self.editors[info.name] = (info, editor)
            self.labels[info.name] = label
        self._write(self.engine_editors["steps"], spec.default_steps)
        self.preset.blockSignals(True)
        self.preset.clear()
        self.preset.addItems([*spec.presets, CUSTOM])
        self.preset.blockSignals(False)
        chosen = self.choose_preset(spec) if self.choose_preset is not None else None
        first = chosen if chosen in spec.presets else next(iter(spec.presets), CUSTOM)
        self.preset.setCurrentText(first)
        self._apply_preset(first)
        self._update_command()  # also for a model without presets

    def set_dataset(self, dataset_id: str, reader: str | None = None) -> None:
        """The dataset the command line names: an embedded id, or a path and its reader."""
        self.dataset_id = dataset_id
        self.reader = reader
        self._update_command()

    def _editor(self, info: cfg.FieldInfo) -> QWidget:
        if info.choices is not None:
            w = QComboBox()
            compact_combo(w, 8)
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

    @staticmethod
    def _write(entry: tuple[cfg.FieldInfo, QWidget], value: Any) -> None:
        """Show ``value`` in an editor without counting it as the user's edit."""
        info, w = entry
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

    @staticmethod
    def _read(w: QWidget) -> Any:
        if isinstance(w, QComboBox):
            return w.currentText()
        if isinstance(w, QCheckBox):
            return w.isChecked()
        if isinstance(w, QSpinBox):
            return w.value()
        return w.text()

    def _set_editor(self, name: str, value: Any) -> None:
        self._write(self.editors[name], value)

    def show_run(self, record: Any) -> None:
        """Show the settings a run was trained with (preset: custom), so the form and
        its command line repeat that run; the device and TensorBoard stay the user's."""
        for name, value in record.config.items():
            if name in self.editors:
                self._set_editor(name, value)
        saved = record.engine_settings()
        for name, entry in self.engine_editors.items():
            if name not in ("device", "tensorboard"):
                self._write(entry, getattr(saved, name))
        self.preset.blockSignals(True)
        self.preset.setCurrentText(CUSTOM)
        self.preset.blockSignals(False)
        self._update_command()

    def _apply_preset(self, name: str) -> None:
        """The config's defaults overlaid with the preset; the engine settings it names
        (the others stay as they are)."""
        if self.spec is None or name not in self.spec.presets:
            return
        for info in cfg.describe(self.spec.config_class):
            self._set_editor(info.name, info.default)
        config_values, engine_values = split_settings(self.spec.presets[name])
        for key, value in config_values.items():
            if key in self.editors:
                self._set_editor(key, value)
        for key, value in engine_values.items():
            self._write(self.engine_editors[key], value)
        self._on_edit(from_preset=True)

    def _on_edit(self, *args: Any, from_preset: bool = False) -> None:
        if not from_preset and self.preset.currentText() != CUSTOM:
            self.preset.blockSignals(True)
            self.preset.setCurrentText(CUSTOM)
            self.preset.blockSignals(False)
        self._update_command()
        self.changed.emit()

    def raw_config(self) -> dict[str, Any]:
        """The model's config values as the editors hold them (not yet checked)."""
        return {name: self._read(w) for name, (_info, w) in self.editors.items()}

    def raw_settings(self) -> dict[str, Any]:
        """The engine settings as the editors hold them (not yet checked)."""
        return {name: self._read(w) for name, (_info, w) in self.engine_editors.items()}

    def values(self) -> tuple[Any, EngineSettings]:
        """The config instance and engine settings; raises ``ConfigError`` if invalid."""
        assert self.spec is not None
        try:
            config = cfg.build(self.spec.config_class, self.raw_config())
            settings = build_settings(self.raw_settings())
        except cfg.ConfigError as exc:
            self.error.setText(str(exc))
            raise
        self.error.setText("")
        return config, settings

    def is_active(self, name: str) -> bool:
        """Whether config field ``name`` is used with the values in the form (a field
        declared with ``active_when`` is greyed out otherwise)."""
        return cfg.is_active(self.editors[name][0], self.raw_config())

    def _update_active(self) -> None:
        """Grey out the fields the other fields' values leave unused (``active_when``);
        their values stay, and are passed on."""
        values = self.raw_config()
        for name, (info, editor) in self.editors.items():
            if info.active_when:
                on = cfg.is_active(info, values)
                editor.setEnabled(on)
                self.labels[name].setEnabled(on)

    def _update_command(self) -> None:
        """The same run from a shell: the model, its data, every engine setting that
        differs from the engine's default (and the steps), and every config value that
        differs from the config's default. (Called after every change: it also greys
        out the fields left unused.)"""
        if self.spec is None:
            return
        self._update_active()
        parts = ["genai-studio-cli", "train", "--model", self.spec.id]
        if self.dataset_id:
            parts += ["--dataset", self.dataset_id]
        if self.reader:
            parts += ["--reader", self.reader]
        for name, (info, w) in self.engine_editors.items():
            value = self._read(w)
            flag = f"--{name.replace('_', '-')}"
            if info.type is bool:
                if bool(value) != bool(info.default):
                    parts.append(flag if value else f"--no-{name.replace('_', '-')}")
            elif name == "steps" or not _same(value, info.default):
                parts += [flag, str(value)]
        defaults = {i.name: i.default for i in cfg.describe(self.spec.config_class)}
        for name, value in self.raw_config().items():
            if not _same(value, defaults[name]):
                parts += [f"--{name.replace('_', '-')}", str(value)]
        parts += ["--run-dir", "RUN_DIR"]
        self.command.setPlainText(shlex.join(parts))


def _form(box: QWidget) -> QFormLayout:
    """A form whose long rows put the editor under its label rather than widen the
    dock (the Config dock scrolls vertically only)."""
    form = QFormLayout(box)
    form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    return form


def _lower_first(label: str) -> str:
    """ "Gp weight" -> "gp weight" (in a sentence), but "GPT size" stays."""
    return label if label[1:2].isupper() else label[:1].lower() + label[1:]


def _same(value: Any, default: Any) -> bool:
    return str(value) == str(default) or (
        isinstance(default, float) and _safe_float(value) == default
    )


def _safe_float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
