"""``vigil credentials import FILE``: register client secrets for leak matching.

FILE (or ``-`` for stdin) is ``[{"keyId": ..., "secretText": ...}, ...]``, optionally with
``servicePrincipalId`` / ``appId``. Only the HMAC-SHA256 under the server key and the 3-character
hint are stored; nothing printed contains a secret.
"""

from __future__ import annotations

import sys

import click

from vigil.cli.context import CliContext, pass_cli
from vigil.cli.output import emit_json
from vigil.leaks.server_key import ServerKeyError
from vigil.leaks.service import leak_service


@click.group()
def credentials() -> None:
    """Register credentials for leaked-credential matching (keyed digests only)."""


@credentials.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--format", "fmt", type=click.Choice(["json", "table"]), default="table",
              show_default=True, help="json: the summary as JSON on stdout.")
@pass_cli
def import_(cli: CliContext, file: click.utils.LazyFile, fmt: str) -> None:
    """Import secrets from FILE ('-': stdin); prints how many were imported.

    FILE is [{"keyId": ..., "secretText": ...}, ...], optionally with servicePrincipalId or
    appId (`vigil simulate` writes one as secrets.json). Only the HMAC-SHA256 under the server
    key and the 3-character hint are stored. Exits 1 when every item was refused (not JSON, no
    keyId, a secretText of the wrong length).
    """
    data = file.read()
    try:
        service = leak_service(cli.app())
    except ServerKeyError as exc:
        raise click.ClickException(str(exc)) from exc
    summary = service.import_credentials(data)
    del data
    doc = {
        "imported": summary.imported,
        "shapes": summary.shapes,
        "problems": [{"index": p.index, "keyId": p.key_id, "reason": p.reason}
                     for p in summary.problems],
        "rowsUnderAnotherServerKey": summary.other_keys,
    }
    if fmt == "json":
        emit_json(doc)
    else:
        click.echo(f"imported {summary.imported} secrets (keyed digests and hints only)")
    for p in summary.problems:
        click.echo(f"item {p.index} ({p.key_id or 'no keyId'}): {p.reason}", err=True)
    if summary.other_keys:
        click.echo(f"warning: {summary.other_keys} registered secrets were imported under another "
                   "server key and cannot match; import them again", err=True)
    if summary.problems and not summary.imported:
        sys.exit(1)
