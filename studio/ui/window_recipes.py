"""The window's side of the Recipes dock: a recipe chosen there sets up the workbench
(its model, its "book" or "quick CPU" preset, its data) and, with Run, starts training;
what the book printed is drawn dashed on the Training tab beside the run's curves."""

from __future__ import annotations

from PySide6.QtCore import Qt

from studio.core import recipes
from studio.core.workbench import WorkbenchError
from studio.ui.recipes_view import RecipesView


class RecipesDock:
    def __init__(self, window) -> None:
        self.window = window
        self.view = RecipesView(window.plugins.models)
        self.dock = window._dock("Recipes", self.view, Qt.DockWidgetArea.LeftDockWidgetArea)
        window.tabifyDockWidget(window.runs_dock, self.dock)
        window.runs_dock.raise_()
        self.view.recipe_requested.connect(self.apply)
        self.active: recipes.Recipe | None = None

    def plugins_changed(self) -> None:
        self.view.set_models(self.window.plugins.models)

    def apply(self, recipe_id: str, quick: bool, run: bool) -> bool:
        """Set the recipe up (and train it when ``run``); False when refused, and why."""
        w = self.window
        recipe = recipes.recipe(recipe_id)
        if w.training.is_running():
            w.notify("warning", "a run is training: stop it before starting a recipe")
            return False
        spec = w.plugins.models.get(recipe.model_id)
        if spec is None:
            w.notify("warning", f"{recipe.title}: its model {recipe.model_id} is not installed")
            return False
        try:
            if not w.bench_view.select_model(recipe.model_id):
                return False
            # through the form, which applies presets and tells the workbench
            w.form.preset.setCurrentText(recipe.preset(quick))
            dataset = recipe.embedded_dataset(w.plugins.models)
            if dataset:
                w.workbench.select_dataset(dataset)
        except (WorkbenchError, KeyError) as exc:
            w.notify("error", f"{recipe.title}: {exc}")
            return False
        self.active = recipe
        data = "other data: " + recipe.book_data if recipe.stand_in else recipe.book_data
        w.loss_plot.set_reference(
            [(c.metric, f"{c.label} ({data})", list(c.points)) for c in recipe.book_curves()]
        )
        w.notify("info", f"recipe {recipe.id}: {recipe.title} ({recipe.preset(quick)})")
        return w.start_training() if run else True
