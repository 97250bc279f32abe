"""``vigil``: the entry point and its global options; subcommands live in sibling modules."""

from __future__ import annotations

import logging
import sys
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import click
from sqlalchemy.exc import DBAPIError

from vigil import __version__
from vigil.cli import (
    admin,
    credentials,
    detect,
    evaluate,
    ingest,
    intel,
    rejects,
    risk,
    scan,
    serve,
    simulate,
    tokens,
)
from vigil.cli.context import CliContext, configure_logging
from vigil.settings import DEFAULT_DATABASE_URL

COMMANDS: list[click.Command] = [
    admin.migrate,
    admin.version,
    admin.stats,
    ingest.ingest,
    rejects.rejects,
    detect.detect,
    risk.risky,
    risk.detections,
    risk.history,
    risk.confirm,
    risk.dismiss,
    serve.serve,
    tokens.token,
    simulate.simulate,
    evaluate.evaluate,
    credentials.credentials,
    intel.intel,
    scan.scan,
]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--db",
    metavar="URL",
    envvar="VIGIL_DATABASE_URL",
    show_envvar=True,
    help=f"Database URL (default {DEFAULT_DATABASE_URL}; PostgreSQL: postgresql://user@host/db).",
)
@click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="VIGIL_CONFIG",
    show_envvar=True,
    help="TOML settings file.",
)
@click.option("-v", "--verbose", count=True, help="More log output (repeat for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr.")
@click.version_option(__version__, prog_name="vigil")
@click.pass_context
def cli(ctx: click.Context, db: str | None, config: Path | None, verbose: int, quiet: bool) -> None:
    """Vigil: open, self-hosted workload identity protection for Microsoft Entra.

    Ingests Entra sign-in, audit and Graph activity logs, detects the workload-identity risk
    events, keeps risk state for service principals, and serves a Graph-compatible API.
    """
    verbosity = -1 if quiet else verbose
    configure_logging(verbosity)
    ctx.obj = CliContext(db=db, config=config, verbosity=verbosity)


for _command in COMMANDS:
    cli.add_command(_command)


#: Failures of the machine or the database, not of Vigil: one line on stderr, exit 1.
OPERATIONAL = (OSError, BrokenProcessPool, DBAPIError)


def main() -> None:
    try:
        cli(prog_name="vigil")
    except OPERATIONAL as exc:
        # The database's or the system's own words (disk full, read-only, a dead parser
        # worker), not a traceback that buries them; -vv logs the traceback.
        logging.getLogger("vigil").debug("traceback", exc_info=True)
        reason = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
        click.echo(f"error: {type(reason).__name__}: {reason}".rstrip(), err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
