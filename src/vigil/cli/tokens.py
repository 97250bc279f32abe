"""``vigil token create|list|revoke``: local API tokens for the embedded mode.

The token is printed once, on stdout; only its SHA-256 is stored (``vigil.auth.local``).
"""

from __future__ import annotations

import uuid

import click

from vigil.auth import ApiToken, Role, new_token, role_from_name, token_hash, token_hint
from vigil.cli.context import CliContext, pass_cli
from vigil.cli.output import emit_json

ROLE_NAMES = [r.value for r in Role]


def _role(ctx: click.Context, param: click.Parameter, value: str) -> Role:
    role = role_from_name(value)
    if role is None:
        raise click.BadParameter(f"{value!r}; choose one of: {', '.join(ROLE_NAMES)}")
    return role


@click.group()
def token() -> None:
    """Create, list and revoke local API tokens."""


@token.command()
@click.option(
    "--role",
    required=True,
    callback=_role,
    metavar="ROLE",
    help=f"Entra role name: {', '.join(repr(n) for n in ROLE_NAMES)}.",
)
@click.option("--name", default=None, help="Recorded as initiatedBy in the risk history.")
@pass_cli
def create(cli: CliContext, role: Role, name: str | None) -> None:
    """Create a token and print it once (it cannot be shown again)."""
    app = cli.app()
    secret = new_token()
    token_id = str(uuid.uuid4())
    record = ApiToken(
        id=token_id,
        name=name or f"token:{token_id[:8]}",
        role=role,
        hint=token_hint(secret),
        created_at=app.clock(),
    )
    app.store.tokens.add(record, token_hash(secret))
    click.echo(f"created token {token_id} ({record.name}, {role.value}); store it now:", err=True)
    click.echo(secret)


@token.command(name="list")
@click.option(
    "--format", "fmt", type=click.Choice(["json", "table"]), default="table", show_default=True,
    help='json: {"value": [...]} on stdout (id, name, role, hint, created and revoked times).',
)
@pass_cli
def list_(cli: CliContext, fmt: str) -> None:
    """List tokens (never the secrets)."""
    rows = [
        {
            "id": t.id,
            "name": t.name,
            "role": t.role.value,
            "hint": t.hint + "…",
            "createdDateTime": t.created_at.isoformat(),
            "revokedDateTime": t.revoked_at.isoformat() if t.revoked_at else None,
        }
        for t in cli.app().store.tokens.all()
    ]
    if fmt == "json":
        emit_json({"value": rows})
        return
    for r in rows:
        state = "revoked" if r["revokedDateTime"] else "active"
        click.echo(f"{r['id']}  {r['hint']:<10} {r['role']:<22} {state:<7}  {r['name']}")


@token.command()
@click.argument("token_id")
@pass_cli
def revoke(cli: CliContext, token_id: str) -> None:
    """Revoke a token by its id; requests with it fail from then on."""
    app = cli.app()
    if not app.store.tokens.revoke(token_id, app.clock()):
        raise click.ClickException(f"no active token with id {token_id}")
    click.echo(f"revoked {token_id}", err=True)
