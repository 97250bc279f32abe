"""The FastAPI application: ``create_api(app)`` wires routes, auth, errors and request ids.

Routes live under ``/v1.0`` and ``/beta`` (the same handlers; shapes differ per version). Every
route requires a bearer token except ``/healthz`` and the OpenAPI document (``/openapi.json``,
``/docs``), which describe the API and hold no data.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from fastapi import FastAPI, Request, Response
from sqlalchemy import text

from vigil import __version__
from vigil.api import routes_detections, routes_risky, routes_service_principals, secret_scanning
from vigil.api.context import ApiContext
from vigil.api.errors import GraphError, install_error_handlers
from vigil.api.middleware import RequestIdMiddleware
from vigil.api.responses import json_response
from vigil.api.schemas import ODataError
from vigil.app import App
from vigil.auth import Authenticator, JwksFile, JwksUrl, JwtVerifier, OidcConfig
from vigil.console import router as console_router
from vigil.settings import AuthSettings
from vigil.store.database import WRITE_LOCK_NOTICE, WRITE_LOCK_TIMEOUT
from vigil.store.tokens import TokenRepository

VERSIONS = ("v1.0", "beta")
#: Seconds an API request waits for the store's write lock, on SQLite and PostgreSQL.
API_WRITE_LOCK_TIMEOUT = 30.0


def _tuple(value: str | list[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def build_authenticator(
    settings: AuthSettings, tokens: TokenRepository, clock: Callable[[], datetime]
) -> Authenticator:
    """Local tokens always; OIDC JWTs when the ``auth`` settings name an issuer."""
    verifier = None
    if settings.oidc_enabled:
        keys = (
            JwksFile(settings.jwks_file) if settings.jwks_file else JwksUrl(str(settings.jwks_url))
        )
        config = OidcConfig(
            issuers=_tuple(settings.issuer),
            audiences=_tuple(settings.audience),
            roles_claim=settings.roles_claim,
            actor_claim=settings.actor_claim,
            leeway=timedelta(seconds=settings.leeway_seconds),
        )
        verifier = JwtVerifier(config, keys, clock)
    return Authenticator(lookup_local=tokens.by_hash, oidc=verifier)


def create_api(app: App, authenticator: Authenticator | None = None) -> FastAPI:
    """The ASGI application serving ``app`` (``authenticator`` defaults to the settings')."""
    api = FastAPI(
        title="Vigil identityProtection API",
        version=__version__,
        description=(
            "Microsoft Graph-compatible `identityProtection` API for service principals: "
            "riskyServicePrincipals and servicePrincipalRiskDetections under /v1.0 and /beta."
        ),
        redoc_url=None,
        responses={401: {"model": ODataError}, 403: {"model": ODataError}},
    )
    # An action behind a long writer (a rebuild) answers 503 after API_WRITE_LOCK_TIMEOUT instead
    # of hanging (vigil.store.write_lock), and says nothing on the server's stderr meanwhile
    app.store.engine.update_execution_options(
        **{WRITE_LOCK_TIMEOUT: API_WRITE_LOCK_TIMEOUT, WRITE_LOCK_NOTICE: None}
    )
    api.state.vigil = ApiContext(
        app=app,
        authenticator=authenticator
        or build_authenticator(app.settings.auth, app.store.tokens, app.clock),
    )
    install_error_handlers(api, app.clock)
    api.add_middleware(RequestIdMiddleware, clock=app.clock)
    for version in VERSIONS:
        api.include_router(routes_risky.router(version))  # type: ignore[arg-type]
        api.include_router(routes_detections.router(version))  # type: ignore[arg-type]
        api.include_router(routes_service_principals.router(version))  # type: ignore[arg-type]
    api.include_router(console_router())  # the web console at / (vigil.console)
    api.include_router(secret_scanning.router)  # GitHub secret-scanning partner intake

    @api.get(
        "/healthz",
        tags=["health"],
        response_model=None,
        responses={200: {"content": {"application/json": {"schema": {"type": "object"}}}}},
    )
    async def healthz(request: Request) -> Response:
        """Liveness and database reachability; needs no token."""
        try:
            with app.store.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:
            raise GraphError(
                503, "the database is unreachable", code="serviceNotAvailable"
            ) from exc
        body: dict[str, Any] = {"status": "ok", "version": __version__}
        return json_response(body)

    return api


def create_api_from_environment() -> FastAPI:
    """Factory for uvicorn worker processes (``vigil serve --workers N``).

    Settings come from the environment, as ``vigil serve`` leaves them: ``VIGIL_CONFIG`` (TOML file)
    and the ``VIGIL_*`` variables, ``VIGIL_DATABASE_URL`` included.
    """
    import os
    from pathlib import Path

    from vigil.app import build
    from vigil.settings import load_settings

    config = os.environ.get("VIGIL_CONFIG")
    return create_api(build(load_settings(Path(config) if config else None)))
