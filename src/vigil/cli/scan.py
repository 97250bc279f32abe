"""``vigil scan PATH...``: find leaked credentials in files, folders, git history and stdin.

Matches of currently valid credentials become ``leakedCredentials`` detections. The summary lists
candidates, the matched keyIds with their locations, and the decoys; it never shows a secret.
"""

from __future__ import annotations

import sys

import click

from vigil.cli.context import CliContext, pass_cli
from vigil.cli.output import emit_json
from vigil.leaks.server_key import ServerKeyError
from vigil.leaks.service import leak_service
from vigil.leaks.summary import ScanSummary


def _human(summary: ScanSummary) -> None:
    d = summary.to_dict()
    s = d["scanned"]
    click.echo(f"scanned {s['files']} files, {s['repositories']} git repositories "
               f"({s['blobs']} blobs, {s['messages']} commit and tag messages), "
               f"{s['bytes']:,} bytes in {s['seconds']:.1f} s")
    click.echo(f"candidates: {d['candidates']} {d['shapes']}")
    for m in d["matched"]:
        where = ", ".join(f"{k}={v}" for k, v in m["location"].items())
        click.echo(f"LEAKED keyId {m['keyId']} of {m['servicePrincipalId']}: {where}")
    click.echo(f"decoys: {d['decoys'] or 'none'}; key material: {d['keyMaterial'] or 'none'}")
    click.echo(f"detections: {d['detections']} risk changes")
    for e in d["errors"]:
        click.echo(f"error: {e['path']}: {e['reason']}", err=True)


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["json", "table"]), default="table",
              show_default=True, help="json: the summary as JSON on stdout.")
@click.option("--exit-code", is_flag=True, help="Exit with 3 when a valid credential leaked.")
@pass_cli
def scan(cli: CliContext, paths: tuple[str, ...], fmt: str, exit_code: bool) -> None:
    """Scan PATHS (files, folders, git repositories with all history, commit and tag
    messages included, '-' for stdin).

    Registered secrets (`vigil credentials import`) and private keys of certificate credentials
    found valid now become leakedCredentials detections; the summary never shows a secret.
    Exits 1 when none of PATHS could be read (each missing, say).
    """
    try:
        service = leak_service(cli.app())
    except ServerKeyError as exc:
        raise click.ClickException(str(exc)) from exc
    summary = service.scan(list(paths))
    if fmt == "json":
        emit_json(summary.to_dict())
    else:
        _human(summary)
    read = summary.sources.files or summary.sources.repositories
    if summary.sources.errors and not read:  # as `vigil ingest`: a scan of nothing is no pass
        click.echo("error: nothing could be read", err=True)
        sys.exit(1)
    if exit_code and summary.findings:
        sys.exit(3)
