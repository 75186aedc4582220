"""What every CLI command shares: exit codes, the usage error, loading plugins."""

from __future__ import annotations

import sys

from studio.plugins import PluginManager, load_plugins

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_NAN, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class UsageError(Exception):
    """Bad arguments or input: printed as one line, exit code 2."""


def load_manager(args) -> PluginManager:
    manager = load_plugins()
    for rec in manager.problems():
        for message, _tb in rec.errors:
            print(f"warning: plugin {rec.name}: {message}", file=sys.stderr)
    return manager
