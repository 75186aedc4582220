"""The plugin dialog says what a disabled plugin would contribute: a built-in one's
hook module is read without enabling it; a third-party one that was never imported is
not run for this, and is described by what it contributed when it was last loaded.
Long contributions wrap in the table."""

from __future__ import annotations

import sys
import textwrap

from PySide6.QtCore import QSettings

from studio.plugins import PluginManager, load_plugins
from studio.ui.plugin_dialog import COLUMNS, PluginDialog, describe

CONTRIBUTES = COLUMNS.index("Contributes")
PLUGIN = textwrap.dedent("""
    from pathlib import Path
    from studio import api

    STUDIO_API = "1.1"
    __version__ = "1.2"
    Path(__file__).with_suffix(".ran").write_text("imported")


    @api.hookimpl
    def studio_datasets():
        return [
            api.DatasetSpec(
                id="w2-preview-data", name="d", description="", kind="images", loader=list
            )
        ]
""")


def _row(dialog: PluginDialog, name: str) -> int:
    return [r.name for r in dialog.records].index(name)


def test_a_disabled_builtin_says_what_it_would_contribute(qtbot):
    manager = load_plugins(["shapes_gan"])
    record = manager.records["shapes_gan"]
    assert record.status == "disabled" and record.contributions == {}
    assert "gan-shape" not in manager.models  # nothing was enabled by looking
    text = describe(record)
    assert "Contributes: nothing while disabled." in text
    assert "Contract version: 1.1, read without enabling it" in text
    assert "Enabled, it would contribute:" in text
    assert "  models: gan-shape, gan-numbers" in text
    assert "  datasets: exponential-curve, multiples-of-5" in text
    dialog = PluginDialog(manager)
    qtbot.addWidget(dialog)
    cell = dialog.table.item(_row(dialog, "shapes_gan"), CONTRIBUTES).text()
    assert cell.startswith("if enabled: models: gan-shape, gan-numbers; datasets:")
    assert "gan-shape" not in manager.models


def test_a_third_party_plugin_is_not_run_to_be_described(qtbot, tmp_path):
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "w2_preview.py").write_text(PLUGIN)
    ran = folder / "w2_preview.ran"
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)

    # Loaded once: the dialog remembers what it contributes.
    loaded = PluginManager()
    loaded.load_file_plugins(folder)
    assert loaded.records["file:w2_preview"].ok and ran.exists()
    first = PluginDialog(loaded, settings)
    qtbot.addWidget(first)
    first.close()
    sys.modules.pop(loaded.records["file:w2_preview"].module)  # as in a new session
    ran.unlink()

    # A later session where it is disabled: described from memory, its code not run.
    manager = PluginManager(disabled=["file:w2_preview"])
    manager.load_file_plugins(folder)
    record = manager.records["file:w2_preview"]
    assert record.status == "disabled"
    text = describe(record)
    assert "not known: its code is not run while it is disabled" in text
    dialog = PluginDialog(manager, settings)
    qtbot.addWidget(dialog)
    row = _row(dialog, "file:w2_preview")
    cell = dialog.table.item(row, CONTRIBUTES).text()
    assert cell == "if enabled (as of version 1.2): datasets: w2-preview-data"
    dialog.select("file:w2_preview")
    assert "Enabled, it would contribute (as of version 1.2):" in dialog.details.toPlainText()
    assert not ran.exists()

    # With nothing remembered: it says it does not know, and why.
    fresh = PluginDialog(
        manager, QSettings(str(tmp_path / "other.ini"), QSettings.Format.IniFormat)
    )
    qtbot.addWidget(fresh)
    cell = fresh.table.item(_row(fresh, "file:w2_preview"), CONTRIBUTES).text()
    assert cell == "not known: its code is not run while it is disabled"
    assert not ran.exists()


def test_long_contributions_wrap_once_the_dialog_is_shown(qtbot, plugins):
    """The Contributes column stretches to the dialog's edge when it shows: rows follow
    its width (they were measured before, on one line, and the text was cut)."""
    dialog = PluginDialog(plugins)
    qtbot.addWidget(dialog)
    dialog.resize(900, 600)
    dialog.show()
    qtbot.waitExposed(dialog)
    table, metrics = dialog.table, dialog.table.fontMetrics()
    width = {
        r: metrics.horizontalAdvance(table.item(r, CONTRIBUTES).text())
        for r in range(table.rowCount())
    }
    longest = max(width, key=width.get)
    assert table.wordWrap() and width[longest] > table.columnWidth(CONTRIBUTES)
    qtbot.waitUntil(lambda: table.rowHeight(longest) >= 2 * metrics.height(), timeout=60_000)
    dialog.refresh()  # enable, disable, install: the table is rebuilt
    qtbot.waitUntil(lambda: table.rowHeight(longest) >= 2 * metrics.height(), timeout=60_000)
