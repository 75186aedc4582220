"""The Recipes dock lists every chapter's recipe, says what each needs and what the
book printed, and asks the window to set one up (or run it)."""

from __future__ import annotations

from studio.ui.recipes_view import RecipesView


def test_recipes_view_lists_and_requests(qtbot):
    view = RecipesView(["classifier", "gan-shape"])
    qtbot.addWidget(view)
    assert view.list.count() >= 15
    view.select("ch08-lstm")  # its model is not in this list: coming, buttons off
    assert "(coming)" in view.list.currentItem().text()
    assert not view.run_button.isEnabled()
    assert "Anna Karenina" in view.details.text()
    view.select("ch02-multiclass")
    text = view.details.text()
    assert "test accuracy 0.882" in text and "early stop after epoch 19" in text
    assert "digits stand in" in text
    view.quick.setChecked(True)
    with qtbot.waitSignal(view.recipe_requested, timeout=5000) as signal:
        view.run_button.click()
    assert signal.args == ["ch02-multiclass", True, True]
    with qtbot.waitSignal(view.recipe_requested, timeout=5000) as signal:
        view.setup_button.click()
    assert signal.args == ["ch02-multiclass", True, False]


def test_window_sets_up_a_recipe_with_the_books_curves(make_window, qtbot):
    w = make_window()
    w.recipes.view.select("ch02-multiclass")
    w.recipes.view.quick.setChecked(True)
    w.recipes.view.setup_button.click()  # set up, not trained
    assert w.workbench.model_id == "classifier"
    assert w.form.preset.currentText() == "quick CPU"
    assert not w.training.is_running()
    labels = [item.name() for item in w.loss_plot.references]
    assert any(label.startswith("book: val loss") for label in labels)
    assert all("other data" in label for label in labels)  # the digits stand in
    w.recipes.view.select("ch03-shape")
    w.recipes.view.quick.setChecked(False)
    w.recipes.view.setup_button.click()
    assert w.workbench.model_id == "gan-shape" and w.form.preset.currentText() == "book"
    assert w.loss_plot.references == []  # the book printed nothing for chapter 3
