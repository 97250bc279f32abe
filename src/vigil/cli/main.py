"""``vigil``: the entry point and its global options; subcommands live in sibling modules."""

from __future__ import annotations

import importlib
import logging
import os
import sys
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import click
from sqlalchemy.exc import DBAPIError

from vigil import __version__
from vigil.cli.context import CliContext, configure_logging
from vigil.settings import DEFAULT_DATABASE_URL
from vigil.store.unique_ids import GateTimeout
from vigil.store.write_lock import WriteLockTimeout

#: The subcommands, each as ``module:attribute``, imported only when run or listed: a command
#: loads what it needs, not the API server, the simulator and every detector (``vigil stats``
#: took 1.0 s of CPU, 0.7 s since; an empty ``vigil ingest --no-detect`` 1.07 s, 0.82 s since).
COMMANDS: dict[str, str] = {
    "migrate": "vigil.cli.admin:migrate",
    "version": "vigil.cli.admin:version",
    "stats": "vigil.cli.admin:stats",
    "ingest": "vigil.cli.ingest:ingest",
    "rejects": "vigil.cli.rejects:rejects",
    "detect": "vigil.cli.detect:detect",
    "risky": "vigil.cli.risk:risky",
    "detections": "vigil.cli.risk:detections",
    "history": "vigil.cli.risk:history",
    "confirm": "vigil.cli.risk:confirm",
    "dismiss": "vigil.cli.risk:dismiss",
    "serve": "vigil.cli.serve:serve",
    "token": "vigil.cli.tokens:token",
    "simulate": "vigil.cli.simulate:simulate",
    "eval": "vigil.cli.evaluate:evaluate",
    "credentials": "vigil.cli.credentials:credentials",
    "intel": "vigil.cli.intel:intel",
    "scan": "vigil.cli.scan:scan",
}


def load_command(name: str) -> click.Command:
    """The subcommand ``name`` of :data:`COMMANDS`, its module imported."""
    module, _, attribute = COMMANDS[name].partition(":")
    command = getattr(importlib.import_module(module), attribute)
    assert isinstance(command, click.Command) and command.name == name, COMMANDS[name]
    return command


class LazyGroup(click.Group):
    """A group whose subcommands are imported when looked up (:data:`COMMANDS`)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return load_command(cmd_name) if cmd_name in COMMANDS else None


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
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
@click.option(
    "--lock-wait",
    metavar="SECONDS",
    type=click.FloatRange(min=0),
    envvar="VIGIL_LOCK_WAIT_SECONDS",
    show_envvar=True,
    help="Give up (exit 1) after waiting this long for another writer (a `detect --rebuild`, an "
    "ingest, an index build) to release the store's write lock; 0: do not wait. The bound is per "
    "wait: a long command (an ingest, --follow) may wait several times. Default: wait as long as "
    "it takes, saying so on stderr after lock_notice_seconds (5 s).",
)
@click.option("-v", "--verbose", count=True, help="More log output (repeat for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Log only errors (summaries are still printed).")
@click.version_option(__version__, prog_name="vigil")
@click.pass_context
def cli(
    ctx: click.Context,
    db: str | None,
    config: Path | None,
    lock_wait: float | None,
    verbose: int,
    quiet: bool,
) -> None:
    """Vigil: open, self-hosted workload identity protection for Microsoft Entra.

    Ingests Entra sign-in, audit and Graph activity logs, detects the workload-identity risk
    events, keeps risk state for service principals, and serves a Graph-compatible API.
    """
    verbosity = -1 if quiet else verbose
    configure_logging(verbosity)
    # PostgreSQL shows who holds a lock by application name (pg_stat_activity, and the waiting
    # message of another vigil command): name this command's connections after it, unless set.
    if ctx.invoked_subcommand and "PGAPPNAME" not in os.environ:
        os.environ["PGAPPNAME"] = f"vigil {ctx.invoked_subcommand}"
        ctx.call_on_close(lambda: os.environ.pop("PGAPPNAME", None))  # one command's name only
    ctx.obj = CliContext(db=db, config=config, verbosity=verbosity, lock_wait=lock_wait)


#: Failures of the machine or the database, not of Vigil: one line on stderr, exit 1.
OPERATIONAL = (OSError, BrokenProcessPool, DBAPIError)


def main() -> None:
    try:
        cli(prog_name="vigil")
    except WriteLockTimeout as exc:
        logging.getLogger("vigil").debug("traceback", exc_info=True)
        click.echo(
            f"error: gave up after waiting {exc.waited:.0f} s (--lock-wait) for another writer to "
            f"finish; the store's write lock is still taken ({exc.orig})",
            err=True,
        )
        sys.exit(1)
    except GateTimeout as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except OPERATIONAL as exc:
        # The database's or the system's own words (disk full, read-only, a dead parser
        # worker), not a traceback that buries them; -vv logs the traceback.
        logging.getLogger("vigil").debug("traceback", exc_info=True)
        reason = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
        click.echo(f"error: {type(reason).__name__}: {reason}".rstrip(), err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
