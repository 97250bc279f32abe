"""Risk subcommands: ``risky``, ``detections``, ``history``, ``confirm``, ``dismiss``."""

from __future__ import annotations

import getpass
from typing import Any

import click

from vigil.api.odata import compile_filter
from vigil.api.odata_filter import ODataQueryError, parse_filter
from vigil.api.properties import (
    RISKY_SERVICE_PRINCIPALS,
    SERVICE_PRINCIPAL_RISK_DETECTIONS,
    EntitySet,
)
from vigil.api.shapes import detection_to_graph, history_to_graph, risky_to_graph
from vigil.cli.context import CliContext, pass_cli
from vigil.cli.output import FORMATS, emit
from vigil.normalize.values import canonical_guid
from vigil.services.risk import UnknownServicePrincipals

RISKY_TABLE = [
    "id",
    "displayName",
    "appId",
    "servicePrincipalType",
    "riskLevel",
    "riskState",
    "riskDetail",
    "riskLastUpdatedDateTime",
    "isEnabled",
]
DETECTION_TABLE = [
    "id",
    "riskEventType",
    "riskLevel",
    "riskState",
    "servicePrincipalDisplayName",
    "servicePrincipalId",
    "activityDateTime",
    "detectedDateTime",
]
HISTORY_TABLE = [
    "riskLastUpdatedDateTime",
    "riskState",
    "riskLevel",
    "riskDetail",
    "initiatedBy",
    "activity",
]


def _where(entity: EntitySet, text: str | None) -> object:
    if not text:
        return None
    try:
        return compile_filter(parse_filter(text, entity.properties), entity.columns)
    except ODataQueryError as exc:
        raise click.BadParameter(str(exc), param_hint="--filter") from exc


filter_option = click.option(
    "--filter", "filter_", metavar="ODATA", help="An OData $filter, e.g. \"riskLevel eq 'high'\"."
)
format_option = click.option(
    "--format",
    "fmt",
    type=FORMATS,
    default="table",
    show_default=True,
    help="json: Graph's collection shape on stdout; csv; table.",
)


@click.command()
@filter_option
@format_option
@pass_cli
def risky(cli: CliContext, filter_: str | None, fmt: str) -> None:
    """List risky service principals (Graph v1.0 riskyServicePrincipal shape).

    JSON output is what the API serves with `Prefer: include-unknown-enum-members`
    (riskDetail adminConfirmedServicePrincipalCompromised, not unknownFutureValue).
    """
    app = cli.app()
    where = _where(RISKY_SERVICE_PRINCIPALS, filter_)
    rows = app.store.risk.list_risky(where)  # type: ignore[arg-type]
    emit(fmt, [risky_to_graph(p, include_unknown=True) for p in rows], RISKY_TABLE)


@click.command()
@filter_option
@format_option
@pass_cli
def detections(cli: CliContext, filter_: str | None, fmt: str) -> None:
    """List service principal risk detections, newest activity first.

    JSON output is exactly what the API serves with `Prefer: include-unknown-enum-members`.
    """
    app = cli.app()
    where = _where(SERVICE_PRINCIPAL_RISK_DETECTIONS, filter_)
    order = [(SERVICE_PRINCIPAL_RISK_DETECTIONS.columns["activityDateTime"], True)]
    rows = app.store.risk.list_detections(where, order)  # type: ignore[arg-type]
    emit(fmt, [detection_to_graph(d, include_unknown=True) for d in rows], DETECTION_TABLE)


@click.command()
@click.argument("sp_id")
@format_option
@pass_cli
def history(cli: CliContext, sp_id: str, fmt: str) -> None:
    """Show the risk history of one service principal (oldest first).

    JSON output is what the API serves with `Prefer: include-unknown-enum-members`. Exits 1 for
    a service principal with no risk history.
    """
    app = cli.app()
    sp_id = app.risk.stored_id(sp_id)
    items = app.store.risk.history(sp_id)
    if not items and app.store.risk.risky(sp_id) is None:
        raise click.ClickException(f"service principal {sp_id} has no risk history")
    emit(fmt, [history_to_graph(h, include_unknown=True) for h in items], HISTORY_TABLE)


def _default_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


actor_option = click.option(
    "--actor",
    default=_default_actor,
    show_default="cli:<user>",
    help="Recorded as initiatedBy in the history.",
)


@click.command()
@click.argument("sp_ids", nargs=-1, required=True)
@actor_option
@pass_cli
def confirm(cli: CliContext, sp_ids: tuple[str, ...], actor: str) -> None:
    """Confirm service principals compromised (risk high; an admin-confirmed detection is added)."""
    try:
        done = cli.app().risk.confirm_compromised(sp_ids, actor)
    except UnknownServicePrincipals as exc:
        raise click.ClickException(f"{exc}; nothing was changed") from exc
    click.echo(f"confirmed compromised: {len(done)}{_unchanged(sp_ids, done)}", err=True)


@click.command()
@click.argument("sp_ids", nargs=-1, required=True)
@actor_option
@pass_cli
def dismiss(cli: CliContext, sp_ids: tuple[str, ...], actor: str) -> None:
    """Dismiss all risk of service principals (risk none; open detections are closed).

    Dismissing says the flagged activity was benign: suspiciousSignins learns the properties its
    closed detections flagged, anomalousServicePrincipalActivity the changes and
    suspiciousAPITraffic the flagged hours of Graph traffic, so they are not flagged again
    (README, "Admins' verdicts teach"). To record a compromise, use `confirm`."""
    try:
        done = cli.app().risk.dismiss(sp_ids, actor)
    except UnknownServicePrincipals as exc:
        raise click.ClickException(f"{exc}; nothing was changed") from exc
    click.echo(f"dismissed: {len(done)}{_unchanged(sp_ids, done)}", err=True)


def _unchanged(sp_ids: tuple[str, ...], done: list[Any]) -> str:
    """``; N already were`` for the ids an action left alone (already done: no history added)."""
    left = len({canonical_guid(i) for i in sp_ids}) - len(done)
    return f"; {left} already {'was' if left == 1 else 'were'}, left unchanged" if left else ""
