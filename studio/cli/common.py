"""What every CLI command shares: exit codes, the usage error, loading plugins."""

from __future__ import annotations

import sys

from studio.plugins import PluginManager, load_plugins

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_NAN, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class UsageError(Exception):
    """Bad arguments or input: printed as one line, exit code 2."""


def plugins() -> PluginManager:
    """Every plugin the window would load: installed ones and the single-file plugins
    of the user plugin folder (a model trained in the window from a single .py file
    resumes, samples and exports here too)."""
    from studio.plugin_install import user_plugin_dir

    return load_plugins(plugin_dir=user_plugin_dir())


def load_manager(args) -> PluginManager:
    """The plugins, with a warning line for each one that failed to load."""
    manager = plugins()
    for rec in manager.problems():
        for message, _tb in rec.errors:
            print(f"warning: plugin {rec.name}: {message}", file=sys.stderr)
    return manager


def run_resolver(manager: PluginManager, args):
    """How a run's model and dataset are found: a dataset path from a run made
    elsewhere is read only with ``--trust-dataset-path``."""
    import functools

    trust = bool(getattr(args, "trust_dataset_path", False))
    return functools.partial(manager.resolve_run, trust_dataset_path=trust)
