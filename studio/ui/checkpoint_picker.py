"""The Explore tab's checkpoint picker: "latest" or one of the run's saved checkpoints
("step 1,500 (12:03)"), shown above every model's sampling controls by the shared
``SamplingWidget``. It lists the run's folder again each time it is opened, so the
checkpoints a live run writes appear without a reload."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

from studio.core.run_sampler import checkpoint_choices
from studio.ui.layout_fit import compact_combo

LATEST = -1  # the combo's item data for "latest" (Qt keeps no None)
HELP = (
    "Which checkpoint Generate samples from: the latest (followed as training saves "
    "new ones), or one saved earlier, to see how the model changed"
)


class _ListingCombo(QComboBox):
    """A combo box that lists the run's checkpoints again as its popup opens."""

    def __init__(self, picker: CheckpointPicker) -> None:
        super().__init__()
        self._picker = picker

    def showPopup(self) -> None:  # Qt's: called as the list opens
        self._picker.refresh()
        super().showPopup()


class CheckpointPicker(QWidget):
    """``Checkpoint [latest (step 2,000)]``: ``step`` is the pick (``None``: the
    latest); ``picked`` is emitted with it when the user picks one."""

    picked = Signal(object)  # the step picked (None: the latest)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._path: Path | None = None
        self._step: int | None = None
        self.combo = _ListingCombo(self)
        compact_combo(self.combo, 22)  # "step 28,200 (Nov 28 12:03)"
        self.combo.setProperty("help", HELP)
        self.combo.setToolTip(HELP)
        self.combo.activated.connect(self._on_activated)
        label = QLabel("Checkpoint")
        label.setToolTip(HELP)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(label)
        layout.addWidget(self.combo)
        layout.addStretch(1)
        self.refresh()

    @property
    def step(self) -> int | None:
        """The step picked (``None``: the latest checkpoint)."""
        return self._step

    def set_run(self, path: Path | None) -> None:
        """List the checkpoints of the run at ``path`` (``None``: no run); the pick goes
        back to the latest."""
        self._path = path
        self._step = None
        self.refresh()

    def choose(self, step: int | None) -> None:
        """Show ``step`` as the pick (``None``: the latest) without emitting ``picked``."""
        self._step = step
        self.refresh()

    def steps(self) -> list[int]:
        """The steps listed, newest first (without "latest")."""
        data = [self.combo.itemData(i) for i in range(self.combo.count())]
        return [d for d in data if d != LATEST]

    def refresh(self) -> bool:
        """List the run's checkpoints again, newest first after "latest". Returns
        ``False`` when the step picked is gone (pruned): the pick is then the latest."""
        choices = checkpoint_choices(self._path) if self._path is not None else []
        kept = self._step is None or any(c.step == self._step for c in choices)
        if not kept:
            self._step = None
        self.combo.blockSignals(True)
        self.combo.clear()
        newest = f"latest (step {choices[-1].step:,})" if choices else "latest"
        self.combo.addItem(newest, LATEST)
        for choice in reversed(choices):
            self.combo.addItem(choice.label(), choice.step)
        index = self.combo.findData(LATEST if self._step is None else self._step)
        self.combo.setCurrentIndex(max(index, 0))
        self.combo.blockSignals(False)
        return kept

    def _on_activated(self, index: int) -> None:
        data = self.combo.itemData(index)
        self._step = None if data in (None, LATEST) else int(data)
        self.picked.emit(self._step)


__all__ = ["CheckpointPicker"]
