"""``vigil serve``: the Graph-compatible API (FastAPI on uvicorn)."""

from __future__ import annotations

import os
from typing import Any

import click

from vigil.cli.context import CliContext, pass_cli


@click.command()
@click.option("--host", default=None, help="Address to listen on (default: api.host, 127.0.0.1).")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=None, help="Port (default: api.port, 8000)."
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Server processes (one per core serves the most requests).",
)
@pass_cli
def serve(cli: CliContext, host: str | None, port: int | None, workers: int) -> None:
    """Serve the identityProtection API under /v1.0 and /beta, the web console at /, and /healthz.

    Every API route but /healthz, /openapi.json and /docs needs a bearer token: a local token from
    `vigil token create`, or an OIDC access token when the [auth] settings name an issuer.
    """
    import uvicorn

    from vigil.api.server import create_api
    from vigil.api.transport import NoDelayHttpToolsProtocol

    app = cli.app()  # checks the settings and the schema before anything listens
    settings = app.settings.api
    try:
        api = create_api(app)
    except ValueError as exc:  # e.g. an unreadable JWK Set file
        raise click.ClickException(str(exc)) from exc
    options: dict[str, Any] = {
        "host": host or settings.host,
        "port": settings.port if port is None else port,
        "log_level": "warning" if cli.verbosity <= 0 else "info",
        "access_log": cli.verbosity > 0,
        "proxy_headers": False,
        "http": NoDelayHttpToolsProtocol,
        "loop": "uvloop",
    }
    if workers == 1:
        uvicorn.run(api, **options)
        return
    # Worker processes build their own App from the same settings, passed down the environment.
    os.environ["VIGIL_DATABASE_URL"] = app.settings.database_url
    if cli.config is not None:
        os.environ["VIGIL_CONFIG"] = str(cli.config.resolve())
    app.close()
    uvicorn.run(
        "vigil.api.server:create_api_from_environment", factory=True, workers=workers, **options
    )
