"""Controls generated from a model's ``sample_options`` dataclass (the Explore form).

One editor per field: a check box for a bool, a combo box for choices, spin boxes for
numbers (with the field's range), a line edit (or a text box) for a string. Labels
and tooltips come from ``api.param``'s ``label`` and ``help``; a field declared with
``active_when`` is greyed out while the fields it depends on leave it unused.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QWidget,
)

from studio.core.config import FieldInfo, active_when_text, is_active
from studio.core.sampling import build_options, describe_options

_BIG = 1e9


class OptionsForm(QWidget):
    """A compact grid of editors for an options dataclass.

    ``values()`` reads the editors, ``options()`` builds (and checks) the instance,
    ``set_values`` fills them; ``editor(name)`` gives a field's editor to a widget
    that wants to place or tune it. Fields named in ``multiline`` get a text box on
    a row of their own (a prompt).
    """

    changed = Signal()

    def __init__(
        self,
        options_class: type,
        multiline: tuple[str, ...] = (),
        columns: int = 4,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.options_class = options_class
        self.infos = describe_options(options_class)
        self._editors: dict[str, QWidget] = {}
        self._labels: dict[str, QLabel] = {}
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        row, col = 0, 0
        for info in self.infos:
            editor = self._make_editor(info, info.name in multiline)
            label = QLabel(info.label)
            condition = active_when_text(info)  # "used only when sampler is ddim"
            tip = f"{info.help}\n({condition})" if info.help and condition else info.help
            tip = tip or condition.capitalize()
            label.setToolTip(tip)
            editor.setToolTip(tip)
            self._editors[info.name] = editor
            self._labels[info.name] = label
            if info.name in multiline:
                if col:
                    row, col = row + 1, 0
                grid.addWidget(label, row, 0)
                grid.addWidget(editor, row, 1, 1, 2 * columns - 1)
                row += 1
                continue
            grid.addWidget(label, row, 2 * col)
            grid.addWidget(editor, row, 2 * col + 1)
            col += 1
            if col == columns:
                row, col = row + 1, 0
        self.set_values({i.name: i.default for i in self.infos})
        self.changed.connect(self._update_active)
        self._update_active()

    def _make_editor(self, info: FieldInfo, multiline: bool) -> QWidget:
        if info.choices:
            box = QComboBox()
            for choice in info.choices:
                box.addItem(str(choice), choice)
            box.currentIndexChanged.connect(self.changed)
            return box
        if info.type is bool:
            check = QCheckBox()
            check.toggled.connect(self.changed)
            return check
        if info.type is int:
            spin = QSpinBox()
            spin.setRange(
                int(info.min) if info.min is not None else -(2**31) + 1,
                int(info.max) if info.max is not None else 2**31 - 1,
            )
            spin.valueChanged.connect(self.changed)
            return spin
        if info.type is float:
            dspin = QDoubleSpinBox()
            dspin.setDecimals(3)
            dspin.setRange(
                info.min if info.min is not None else -_BIG,
                info.max if info.max is not None else _BIG,
            )
            span = (info.max or 1.0) - (info.min or 0.0)
            dspin.setSingleStep(0.05 if span <= 2 else 0.1)
            dspin.valueChanged.connect(self.changed)
            return dspin
        if multiline:
            text = QPlainTextEdit()
            text.setMaximumHeight(70)
            # A prompt is not code: Tab moves on to the next field, as in a line edit.
            text.setTabChangesFocus(True)
            text.textChanged.connect(self.changed)
            return text
        line = QLineEdit()
        line.textChanged.connect(self.changed)
        return line

    def is_active(self, name: str) -> bool:
        """Whether option ``name`` is used with the values shown (``active_when``)."""
        info = next(i for i in self.infos if i.name == name)
        return is_active(info, self.values())

    def _update_active(self) -> None:
        values = self.values()
        for info in self.infos:
            if info.active_when:
                on = is_active(info, values)
                self._editors[info.name].setEnabled(on)
                self._labels[info.name].setEnabled(on)

    def editor(self, name: str) -> QWidget:
        """The editor of option ``name``."""
        return self._editors[name]

    def label(self, name: str) -> QLabel:
        """The label of option ``name``."""
        return self._labels[name]

    def values(self) -> dict[str, Any]:
        """The editors' values by option name (not yet checked)."""
        out: dict[str, Any] = {}
        for name, w in self._editors.items():
            if isinstance(w, QComboBox):
                out[name] = w.currentData()
            elif isinstance(w, QCheckBox):
                out[name] = w.isChecked()
            elif isinstance(w, (QSpinBox, QDoubleSpinBox)):
                out[name] = w.value()
            elif isinstance(w, QPlainTextEdit):
                out[name] = w.toPlainText()
            elif isinstance(w, QLineEdit):
                out[name] = w.text()
        return out

    def options(self) -> Any:
        """An instance of the options class from the editors (``ConfigError`` names a
        bad option)."""
        return build_options(self.options_class, self.values())

    def set_values(self, values: dict[str, Any]) -> None:
        """Show ``values`` (option name -> value) in the editors."""
        for name, value in values.items():
            w = self._editors.get(name)
            if w is None:
                continue
            if isinstance(w, QComboBox):
                index = w.findData(value)
                if index >= 0:
                    w.setCurrentIndex(index)
            elif isinstance(w, QCheckBox):
                w.setChecked(bool(value))
            elif isinstance(w, QSpinBox):
                w.setValue(int(value))
            elif isinstance(w, QDoubleSpinBox):
                w.setValue(float(value))
            elif isinstance(w, QPlainTextEdit):
                w.setPlainText(str(value))
            elif isinstance(w, QLineEdit):
                w.setText(str(value))


__all__ = ["OptionsForm"]
