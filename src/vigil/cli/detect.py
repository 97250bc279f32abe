"""``vigil detect``: run the detectors over what the store holds."""

from __future__ import annotations

import click

from vigil.cli.context import CliContext, pass_cli
from vigil.detections.registry import REGISTRY
from vigil.ingest.progress import TerminalProgress


@click.command()
@click.option("--rebuild", is_flag=True, required=True,
              help="Forget learned state and replay every stored record in time order.")
@click.option("--batch-size", default=5000, show_default=True, type=click.IntRange(1, 100_000))
@pass_cli
def detect(cli: CliContext, rebuild: bool, batch_size: int) -> None:
    """Recompute baselines and detections from the stored records.

    Gives the same detections as streaming ingest (detection ids come from the evidence), so
    running it again changes nothing; admin actions and dismissals are kept. One transaction:
    interrupted, it changes nothing; ingests wait for it (stop followers first).
    """
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
