"""``vigil detect``: run the detectors over what the store holds."""

from __future__ import annotations

import click

from vigil.cli.context import CliContext, pass_cli
from vigil.cli.output import emit_json
from vigil.detections.registry import REGISTRY, detector_params
from vigil.ingest.progress import TerminalProgress


@click.command()
@click.option("--rebuild", is_flag=True,
              help="Forget learned state and replay every stored record in time order.")
@click.option("--batch-size", default=5000, show_default=True, type=click.IntRange(1, 100_000),
              help="Records replayed (and handed to the detectors) at a time.")
@click.option("--params", "show_params", is_flag=True,
              help="Print every tunable detector's parameters as JSON, defaults with the "
                   "settings' [detectors.<riskEventType>] overrides applied, and exit.")
@pass_cli
def detect(cli: CliContext, rebuild: bool, batch_size: int, show_params: bool) -> None:
    """Recompute baselines and detections from the stored records (--rebuild), or show the
    detectors' parameters (--params).

    The rebuild gives the same detections as streaming ingest (detection ids come from the
    evidence), so running it again changes nothing; admin actions and dismissals are kept. One
    transaction: interrupted, it changes nothing; ingests wait for it (stop followers first).
    After changing detector parameters, rebuild to apply them to what is stored.
    """
    if show_params:
        params = detector_params(cli.settings.detectors)
        emit_json({name: p.to_dict() for name, p in params.items()})
        return
    if not rebuild:
        raise click.UsageError("give --rebuild (recompute) or --params (show parameters)")
    app = cli.app()
    progress = TerminalProgress() if TerminalProgress.wanted() else None
    changed = app.detection.rebuild(
        batch_size,
        progress=(lambda n: progress.update("store", n)) if progress is not None else None,
    )
    if progress is not None:
        progress.close()
    names = ", ".join(REGISTRY) or "none registered"
    click.echo(f"detectors: {names}; risk changes: {changed}", err=True)
