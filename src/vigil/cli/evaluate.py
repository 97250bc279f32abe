"""``vigil eval``: score the stored detections against a simulated tenant's labels."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click

from vigil.cli.context import CliContext, pass_cli
from vigil.cli.output import emit_json
from vigil.evaluate import load_labels, score, table, to_dict


@click.command("eval")
@click.option("--labels", "labels_path", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="labels.json written by `vigil simulate`.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="json: the full report on stdout.")
@click.option("--slack-minutes", default=60, show_default=True,
              help="How long before a label's start a detection may be.")
@click.option("--horizon-hours", default=48, show_default=True,
              help="How long after a label's end (or a benign change) a detection may be.")
@pass_cli
def evaluate(cli: CliContext, labels_path: Path, fmt: str, slack_minutes: int,
             horizon_hours: int) -> None:
    """Per riskEventType precision, recall, F1 and detection delay of the detections in the
    database, and medium/high detections on benign-change principals (matching rules: the
    vigil.evaluate.scoring module documentation).
    """
    try:
        labels = load_labels(labels_path)
    except (OSError, ValueError) as exc:
        raise click.UsageError(str(exc)) from exc
    detections = cli.app().store.risk.list_detections()
    report = score(labels, detections, slack=timedelta(minutes=slack_minutes),
                   horizon=timedelta(hours=horizon_hours))
    if fmt == "json":
        emit_json(to_dict(report))
    else:
        click.echo(table(report))
