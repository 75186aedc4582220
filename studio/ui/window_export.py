"""Export from the window: a run's weights through the model exporters the plugins
contribute (ONNX, safetensors), as the CLI's ``export`` does, off the GUI thread."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from studio.core.contributions import ExporterSpec
from studio.core.rundir import RunDir, RunDirError
from studio.plugins import PluginManager
from studio.ui.tasks import run_in_thread


def exporters_for(plugins: PluginManager, run: Path | None) -> list[ExporterSpec]:
    """The model exporters that apply to ``run``'s model (by id or sample kind)."""
    if run is None:
        return []
    try:
        model = plugins.models.get(RunDir(run).record().model)
    except RunDirError:
        return []
    if model is None:
        return []
    return [
        e
        for e in plugins.exporters.values()
        if not e.applies_to or model.id in e.applies_to or model.sample_kind in e.applies_to
    ]


def export_run(
    plugins: PluginManager,
    run: Path,
    exporter: ExporterSpec,
    out: Path,
    done: Callable[[str], object],
    failed: Callable[[str, str], object],
    receiver: object = None,
) -> None:
    """Write ``run``'s newest intact checkpoint with ``exporter`` to ``out`` (its
    suffix added when missing), on the thread pool; ``done(message)`` or
    ``failed(message, details)`` on the GUI thread."""
    out = Path(out)
    if not out.suffix:
        out = out.with_suffix(exporter.suffix)

    def work() -> str:
        from studio.core.run_sampler import RunSampler

        sampler = RunSampler(run, plugins.resolve_run, device="cpu")
        exporter.export(sampler.trainer(), out)
        note = f" ({sampler.note})" if sampler.note else ""
        return (
            f"{exporter.name} of {Path(run).name} (checkpoint at step "
            f"{sampler.loaded_step}) written to {out}{note}"
        )

    run_in_thread(work, done, failed, receiver=receiver)
