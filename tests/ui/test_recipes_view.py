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
