"""Administrative subcommands: ``migrate``, ``version``, ``stats``."""

from __future__ import annotations

import click

from vigil import __version__
from vigil.cli.context import CliContext, pass_cli
from vigil.cli.output import emit_json
from vigil.store.deferred_indexes import repair_indexes
from vigil.store.schema import current_revision, head_revision, upgrade


@click.command()
@pass_cli
def migrate(cli: CliContext) -> None:
    """Create or upgrade the database schema (Alembic); safe to run again.

    An upgrade is announced before it starts: some revisions rewrite large tables (0010 rebuilds
    the sign-in and Graph-activity tables on SQLite, about as long as building their indexes).

    Also builds the sign-in and Graph-activity indexes that a bulk ingest which died left missing.
    """
    app = cli.app(check_schema=False)
    before = current_revision(app.store.engine)
    url = app.store.engine.url.render_as_string(hide_password=True)
    head = head_revision(app.store.engine)
    if before is not None and before != head:
        # some revisions rewrite large tables (0010 on SQLite): say what is going on meanwhile
        click.echo(f"{url}: upgrading the schema from {before} to {head}...", err=True)
    upgrade(app.store.engine)
    after = current_revision(app.store.engine)
    if before == after:
        click.echo(f"{url}: schema already at revision {after}", err=True)
    else:
        click.echo(f"{url}: schema upgraded from {before or 'empty'} to {after}", err=True)
    built = repair_indexes(app.store.engine)
    if built is None:
        click.echo(f"{url}: a bulk load is running; it builds its indexes when it ends", err=True)
    elif built:
        click.echo(f"{url}: built missing indexes {', '.join(built)}", err=True)


@click.command()
@pass_cli
def version(cli: CliContext) -> None:
    """Print Vigil's version and the schema revision this code expects."""
    app = cli.app(check_schema=False)
    click.echo(f"vigil {__version__} (schema {head_revision(app.store.engine)})")


@click.command()
@click.option(
    "--format", "fmt", type=click.Choice(["json", "table"]), default="table", show_default=True,
    help="json: one object of counts on stdout (signIns, ..., rejected).",
)
@pass_cli
def stats(cli: CliContext, fmt: str) -> None:
    """What the store holds: records, principals, detections, rejects."""
    store = cli.app().store
    counts = {
        **store.activity.counts(),
        **store.inventory.counts(),
        "detections": store.risk.count_detections(),
        "riskyServicePrincipals": store.risk.count_risky(),
        "rejected": store.rejects.count(),
    }
    if fmt == "json":
        emit_json(counts)
    else:
        width = max(map(len, counts))
        for key, value in counts.items():
            click.echo(f"{key.ljust(width)}  {value}")
