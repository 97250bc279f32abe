"""``vigil``: the entry point and its global options; subcommands live in sibling modules."""

from __future__ import annotations

from pathlib import Path

import click

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


def main() -> None:
    cli(prog_name="vigil")


if __name__ == "__main__":
    main()
