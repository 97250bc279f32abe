"""``vigil ingest``: read Entra exports in any supported shape into the store."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from vigil.cli.context import CliContext, pass_cli
from vigil.cli.output import emit_json
from vigil.ingest.follow import DEFAULT_SETTLE_SECONDS
from vigil.ingest.follow import follow as follow_sources
from vigil.ingest.pipeline import DEFER_CHOICES
from vigil.ingest.progress import TerminalProgress

KIND_CHOICE = click.Choice(["auto", "signins", "audit", "graphactivity", "directory"])


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--kind",
    type=KIND_CHOICE,
    default="auto",
    show_default=True,
    help="Force the record kind; auto recognises each record's kind and shape.",
)
@click.option(
    "--follow",
    is_flag=True,
    help="Keep running: tail growing files and pick up new files in folders. A file replaced at "
    "its path (another device or inode, or other first bytes) is read from the start. Ctrl-C "
    "(SIGINT, SIGTERM) stops it after the batch in hand; a second, at once.",
)
@click.option(
    "--rejects",
    "rejects_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write rejected records (source, line, kind, reason, record) here as JSON lines.",
)
@click.option(
    "--batch-size",
    default=5000,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="Records written (and handed to the detectors) at a time.",
)
@click.option(
    "--commit-records",
    default=100_000,
    show_default=True,
    type=click.IntRange(1, 10_000_000),
    help="Commit once a transaction holds this many records (whole batches).",
)
@click.option(
    "--commit-seconds",
    default=0.5,
    show_default=True,
    type=click.FloatRange(0.0, 60),
    help="...or once it has been open this long (whatever is left commits at the end; with "
    "--follow, after each file's new lines).",
)
@click.option(
    "--poll",
    default=1.0,
    show_default=True,
    type=click.FloatRange(0.05, 60),
    help="With --follow: seconds between looks for new data.",
)
@click.option(
    "--settle",
    default=DEFAULT_SETTLE_SECONDS,
    show_default=True,
    type=click.FloatRange(0.0, 3600),
    help="With --follow: a JSON Lines file's last line without a newline is read once the "
    "file's size and modification time have stayed the same this many seconds (and a poll).",
)
@click.option(
    "--workers",
    type=click.IntRange(0, 64),
    default=None,
    help="Parser processes (default: one per core, none with --follow; 0 = none): they "
    "normalize and enrich the records of files; standard input is parsed in-process.",
)
@click.option(
    "--defer-indexes",
    type=click.Choice(DEFER_CHOICES),
    default="auto",
    show_default=True,
    help="Drop the secondary indexes of the sign-in and Graph-activity tables for the load and "
    "build them once at the end (faster bulk loads; their queries are slow meanwhile). auto: "
    "for the tables that are empty when the load starts. On SQLite, a load of files into a new "
    "store with no detector and no other ingest running drops the unique id indexes too (other ingests "
    "wait for it; records given twice are counted as duplicates at the end). --follow never "
    "defers.",
)
@click.option(
    "--no-detect",
    is_flag=True,
    help="Store only; run the detectors later with `vigil detect --rebuild`.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="json: the summary as one JSON object on stdout.",
)
@pass_cli
def ingest(
    cli: CliContext,
    paths: tuple[str, ...],
    kind: str,
    follow: bool,
    rejects_path: Path | None,
    batch_size: int,
    commit_records: int,
    commit_seconds: float,
    poll: float,
    settle: float,
    workers: int | None,
    defer_indexes: str,
    no_detect: bool,
    fmt: str,
) -> None:
    """Read records from PATHS (files, folders, globs, .gz, '-' for stdin) into the store.

    Shapes: Graph JSON (collection pages, objects, arrays, JSON Lines, values one after another
    as jq prints them) of signIn, directoryAudit, servicePrincipal and application; Log
    Analytics rows (JSON, CSV or query API responses {"tables": [...]}) of
    AADServicePrincipalSignInLogs, AADManagedIdentitySignInLogs, AuditLogs and
    MicrosoftGraphActivityLogs; diagnostic-settings records ({"records": [...]}, PT1H.json);
    the same four Graph resources saved by the Microsoft Graph PowerShell SDK
    (Get-MgBetaAuditLogSignIn, Get-MgAuditLogDirectoryAudit, Get-MgServicePrincipal,
    Get-MgApplication ... | ConvertTo-Json -Depth 10: PascalCase with AdditionalProperties,
    an array, one object or -Compress lines, from PowerShell 7 or 5.1), stored as their Graph
    JSON would be.

    Bad records are rejected with file, line and reason, counted and kept; the rest goes on.
    Re-running adds nothing twice. Exits 1 only when nothing at all could be read (never with
    --follow: nothing new is no failure).

    Into empty sign-in and Graph-activity tables, their indexes are built once after the load
    (--defer-indexes); if the run dies, the next ingest, --follow or `vigil migrate` builds them.
    """
    if follow and defer_indexes == "on":
        raise click.UsageError("--follow never defers indexes; drop --defer-indexes on")
    app = cli.app()
    forced = None if kind == "auto" else kind
    progress = TerminalProgress() if TerminalProgress.wanted() and fmt == "table" else None
    rejects_file = rejects_path.open("wb") if rejects_path is not None else None
    if workers is None:
        workers = 0 if follow else (os.cpu_count() or 1)
    parser = app.parallel_parser(workers) if workers > 0 else None
    try:
        ingestor = app.ingestor(
            rejects_file=rejects_file,
            progress=progress,
            batch_size=batch_size,
            commit_records=commit_records,
            commit_seconds=commit_seconds,
            parser=parser,
            detect=not no_detect,
            defer_indexes="off" if follow else defer_indexes,
        )
        if follow:
            summary = follow_sources(
                ingestor, list(paths), forced, poll_seconds=poll, settle_seconds=settle
            )
        else:
            summary = ingestor.ingest(paths, forced)
    finally:
        if parser is not None:
            parser.close()
        if rejects_file is not None:
            rejects_file.close()
    if fmt == "json":
        emit_json(summary.to_dict())
    else:
        click.echo(summary.render(), err=True)
        if summary.total.rejected:
            where = f"written to {rejects_path} and " if rejects_path is not None else ""
            click.echo(
                f"rejected records {where}kept in the store: `vigil rejects` lists them", err=True
            )
    if summary.nothing_read and not follow:  # following, nothing new is no failure
        click.echo("error: nothing could be read", err=True)
        sys.exit(1)
