"""``vigil intel add|list|remove|sync``: threat-intelligence indicators.

``add`` reads STIX 2.1 bundles, MISP feeds / events, CSV and plain-text lists and matches new
indicators against stored activity (retro-matching); ``sync`` polls the configured TAXII 2.1
collections (settings ``indicators.taxii_collections``).
"""

from __future__ import annotations

from pathlib import Path

import click

from vigil.cli.context import CliContext, pass_cli
from vigil.cli.output import FORMATS, emit, emit_json
from vigil.intel.indicator import Indicator, IndicatorKind
from vigil.intel.loader import FORMATS as INPUT_FORMATS
from vigil.intel.service import IntelSummary, intel_service

TABLE = ["id", "kind", "value", "source", "validFrom", "validUntil", "revoked", "verified"]
format_option = click.option("--format", "fmt", type=click.Choice(["json", "table"]),
                             default="table", show_default=True,
                             help="json: the summary as JSON on stdout.")


def _report(summary: IntelSummary, fmt: str) -> None:
    if fmt == "json":
        emit_json(summary.to_dict())
        return
    click.echo(f"indicators: {summary.indicators} read, {summary.changed} new or changed, "
               f"{summary.unchanged} unchanged, {summary.removed} removed, {summary.older} "
               f"older than stored, {summary.ignored} ignored (other observables), "
               f"{len(summary.rejects)} rejected")
    click.echo(f"retro-matching: {summary.retro_records} stored records matched, "
               f"{summary.retro_detections} risk changes")
    for where, reason in summary.rejects:
        click.echo(f"rejected {where}: {reason}", err=True)
    for source, reason in summary.errors:
        click.echo(f"error {source}: {reason}", err=True)


@click.group()
def intel() -> None:
    """Threat-intelligence indicators: STIX 2.1, TAXII 2.1, MISP, CSV and text lists."""


@intel.command()
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
@click.option("--source", help="Feed name to store them under (default: the file name without "
                                ".json, .csv, .txt, .stix: threat-intel for threat-intel.stix.json).")
@click.option("--type", "fmt_in", type=click.Choice(INPUT_FORMATS), default="auto",
              show_default=True, help="Input format.")
@click.option("--kind", type=click.Choice([k.value for k in IndicatorKind]),
              help="For CSV / text lists: every value is of this kind (e.g. userAgent).")
@click.option("--unverified", is_flag=True, help="CSV / text lists: not verified-malicious.")
@click.option("--no-retro", is_flag=True, help="Do not match against stored activity.")
@click.option("--replace", is_flag=True,
              help="Each feed FILES fill becomes exactly what they hold: its stored indicators "
                   "missing from them are removed (a list published whole each day). A feed "
                   "whose files gave no indicator is left as it is.")
@format_option
@pass_cli
def add(cli: CliContext, files: tuple[Path, ...], source: str | None, fmt_in: str,
        kind: str | None, unverified: bool, no_retro: bool, replace: bool, fmt: str) -> None:
    """Add (or update) the indicators in FILES and retro-match them.

    Exits 1 when FILES gave no indicator and something was rejected (an error page saved as
    the feed, say); files with nothing in them change nothing and are no failure.
    """
    service = intel_service(cli.app())
    summary = service.add(list(files), source, fmt_in, IndicatorKind(kind) if kind else None,
                          not unverified, not no_retro, replace)
    _report(summary, fmt)
    if (summary.rejects or summary.errors) and not summary.indicators:
        click.echo("error: no indicator could be read", err=True)
        raise SystemExit(1)


def _doc(i: Indicator) -> dict[str, object]:
    return {"id": i.id, "kind": i.kind.value, "value": i.value, "source": i.source,
            "name": i.name, "validFrom": i.valid_from.isoformat() if i.valid_from else None,
            "validUntil": i.valid_until.isoformat() if i.valid_until else None,
            "revoked": i.revoked, "confidence": i.confidence, "verified": i.verified}


@intel.command("list")
@click.option("--source", help="Only this feed.")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True,
              help='json: {"value": [...]} on stdout; csv; table.')
@pass_cli
def list_(cli: CliContext, source: str | None, fmt: str) -> None:
    """List stored indicators (one row per value)."""
    emit(fmt, [_doc(i) for i in intel_service(cli.app()).list(source)], TABLE)


@intel.command()
@click.argument("ids", nargs=-1)
@click.option("--source", help="Remove every indicator of this feed (with IDS: only its rows).")
@pass_cli
def remove(cli: CliContext, ids: tuple[str, ...], source: str | None) -> None:
    """Remove indicators by id (or a whole feed with --source); detections stay.

    Exits 1, removing nothing, when an id (or the --source feed) is unknown.
    """
    if not ids and not source:
        raise click.UsageError("give indicator ids or --source")
    n, unknown = intel_service(cli.app()).remove_known(list(ids), source)
    if unknown:
        what = (f"unknown indicator id(s): {', '.join(unknown)}" if ids
                else f"no feed or indicators named {source!r}")
        where = f" in feed {source!r}" if ids and source else ""
        raise click.ClickException(f"{what}{where}; nothing was removed")
    click.echo(f"removed {n} indicator values", err=True)


@intel.command()
@click.option("--no-retro", is_flag=True, help="Do not match against stored activity.")
@format_option
@pass_cli
def sync(cli: CliContext, no_retro: bool, fmt: str) -> None:
    """Poll the configured TAXII 2.1 collections."""
    app = cli.app()
    collections = app.settings.indicators.taxii_collections
    if not collections:
        raise click.UsageError("no TAXII collections configured (indicators.taxii_collections)")
    summary = intel_service(app).sync(collections, not no_retro)
    _report(summary, fmt)
    if summary.errors and not summary.indicators:
        raise SystemExit(1)
