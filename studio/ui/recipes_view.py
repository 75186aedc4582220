"""The Recipes dock: the book's experiments, chapter by chapter, one click away.

A list of the recipes (``studio.core.recipes``) on top; below it, the chosen one: its
model, the data it needs (the embedded stand-in, or what to drop), what the book
printed, and two buttons. "Set up" chooses the recipe's model, preset and data in the
workbench (the Config dock then shows them, to change one thing); "Run" also starts
training. The window does both through ``recipe_requested``.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from studio.core import recipes
from studio.core.recipes import Recipe

_FINAL_NAMES = {
    "test_accuracy": "test accuracy",
    "epochs_trained": "epochs",
    "early_stop_epoch": "early stop after epoch",
    "early_stop_patience": "patience (epochs)",
    "min_val_loss": "best validation loss",
    "min_val_loss_epoch": "best at epoch",
}


def _figure(value: float) -> str:
    return f"{value:,}" if float(value).is_integer() else f"{value:.4g}"


class RecipesView(QWidget):
    """Emits ``recipe_requested(recipe_id, quick, run)`` when a button is pressed."""

    recipe_requested = Signal(str, bool, bool)

    def __init__(self, model_ids: Iterable[str] = (), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.setAccessibleName("Recipes")
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setTextFormat(Qt.TextFormat.PlainText)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.quick = QCheckBox("Quick CPU settings")
        self.quick.setToolTip(
            "The recipe's 'quick CPU' preset (minutes on a laptop) instead of the book's"
        )
        self.setup_button = QPushButton("Set up")
        self.setup_button.setToolTip("Choose the recipe's model, preset and data; don't train")
        self.run_button = QPushButton("Run")
        self.run_button.setToolTip("Set the recipe up and start training")
        self.setup_button.clicked.connect(lambda: self._request(run=False))
        self.run_button.clicked.connect(lambda: self._request(run=True))

        panel = QWidget()
        lay = QVBoxLayout(panel)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.title)
        lay.addWidget(self.details, 1)
        lay.addWidget(self.quick)
        buttons = QHBoxLayout()
        buttons.addWidget(self.setup_button)
        buttons.addWidget(self.run_button)
        lay.addLayout(buttons)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.list)
        split.addWidget(panel)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        outer.addWidget(split)
        self.list.currentItemChanged.connect(lambda *_: self._show())
        self.set_models(model_ids)

    def set_models(self, model_ids: Iterable[str]) -> None:
        """Fill the list; recipes whose model is not installed are shown as coming."""
        self._models = set(model_ids)
        current = self.current_recipe()
        self.list.clear()
        for r in recipes.all_recipes():
            ready = recipes.available(r, self._models)
            text = f"Ch. {r.chapter}: {r.title}" + ("" if ready else " (coming)")
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, r.id)
            item.setToolTip(f"{r.id}: model {r.model_id}")
            if not ready:
                item.setForeground(self.palette().placeholderText())
            self.list.addItem(item)
            if current is not None and r.id == current.id:
                self.list.setCurrentItem(item)
        if self.list.currentItem() is None and self.list.count():
            self.list.setCurrentRow(0)
        self._show()

    def current_recipe(self) -> Recipe | None:
        item = self.list.currentItem() if hasattr(self, "list") else None
        if item is None:
            return None
        return recipes.recipe(item.data(Qt.ItemDataRole.UserRole))

    def select(self, recipe_id: str) -> None:
        for row in range(self.list.count()):
            if self.list.item(row).data(Qt.ItemDataRole.UserRole) == recipe_id:
                self.list.setCurrentRow(row)
                return
        raise KeyError(recipe_id)

    def _show(self) -> None:
        r = self.current_recipe()
        ready = r is not None and recipes.available(r, self._models)
        for button in (self.setup_button, self.run_button):
            button.setEnabled(ready)
        if r is None:
            self.title.setText("")
            self.details.setText("")
            return
        self.title.setText(f"Chapter {r.chapter}: {r.title}")
        lines = [f"Model: {r.model_id}", f"The book trains on: {r.book_data}."]
        if r.dataset and r.stand_in:
            lines.append(f"Here: the embedded {r.dataset} stand in. Or drop {r.data_help}.")
        elif r.dataset:
            lines.append(f"Data: embedded ({r.dataset}).")
        else:
            lines.append(f"Data: drop {r.data_help}.")
        final = r.book_final()
        if final:
            shown = "; ".join(f"{_FINAL_NAMES.get(k, k)} {_figure(v)}" for k, v in final.items())
            lines.append(f"The book printed: {shown}.")
        if r.book_curves():
            lines.append("Its curves are drawn dashed beside your run's (Training tab).")
        if r.notes:
            lines.append(r.notes + ".")
        if not ready:
            lines.append(f"Coming: the model {r.model_id} is not installed yet.")
        self.details.setText("\n".join(lines))

    def _request(self, run: bool) -> None:
        r = self.current_recipe()
        if r is not None:
            self.recipe_requested.emit(r.id, self.quick.isChecked(), run)
