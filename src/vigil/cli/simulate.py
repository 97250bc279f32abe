"""``vigil simulate``: write a simulated tenant in real export shapes, with ground-truth labels."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import click

from vigil.cli.output import emit_json
from vigil.paths import source_name
from vigil.simulate import SimConfig, SimulationError
from vigil.simulate import simulate as run_simulation
from vigil.simulate.attacks import SCENARIOS
from vigil.simulate.config import DEFAULT_END, SHAPES
from vigil.simulate.writers.output import summary_lines

SCENARIO_HELP = (
    "Scenario to include (repeatable): NAME or NAME/VARIANT; 'none' for a benign tenant. "
    f"Default: all of {', '.join(SCENARIOS)}."
)


@click.command()
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write (must be empty unless --force).")
@click.option("--seed", default=1, show_default=True, help="Random seed; same seed, same bytes.")
@click.option("--days", default=45, show_default=True, help="Length of the timeline in days.")
@click.option("--sps", default=200, show_default=True, help="Number of workload principals.")
@click.option("--end", "end", type=click.DateTime(formats=["%Y-%m-%d"]),
              default=DEFAULT_END.isoformat(), show_default=True,
              help="End of the timeline (exclusive, 00:00 UTC).")
@click.option("--shape", type=click.Choice(SHAPES), default="graph", show_default=True,
              help="graph: Graph JSON Lines; loganalytics: Log Analytics JSON rows; "
                   "loganalytics-csv: the portal's CSV exports.")
@click.option("--scenario", "scenarios", multiple=True, metavar="NAME", help=SCENARIO_HELP)
@click.option("--force", is_flag=True, help="Replace the files of a previous run in --out.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="json: the summary as JSON on stdout.")
def simulate(out: Path, seed: int, days: int, sps: int, end: object, shape: str,
             scenarios: tuple[str, ...], force: bool, fmt: str) -> None:
    """Write a deterministic simulated tenant to OUT: sign-ins, audit and Graph activity logs,
    inventory, a STIX bundle, leaked secrets, secrets.json and labels.json (ground truth).
    """
    chosen: tuple[str, ...] | None = scenarios or None
    if scenarios and set(scenarios) == {"none"}:
        chosen = ()
    try:
        end_date = end.date() if hasattr(end, "date") else date.fromisoformat(str(end))
        cfg = SimConfig(seed=seed, days=days, sps=sps, end=end_date, shape=shape,
                        scenarios=chosen)
        started = time.perf_counter()
        counts = run_simulation(cfg, out, force=force)
    except SimulationError as exc:
        raise click.UsageError(str(exc)) from exc
    elapsed = time.perf_counter() - started
    if fmt == "json":
        emit_json({"out": source_name(out), "seed": seed, "seconds": round(elapsed, 2), "files": counts})
    for line in summary_lines(counts):
        click.echo(line, err=True)
    click.echo(f"wrote {out} in {elapsed:.1f} s (seed {seed}, {days} days, {sps} principals, "
               f"shape {shape})", err=True)
