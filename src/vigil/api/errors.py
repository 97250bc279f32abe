"""Graph's error shape (``shared/spec`` §3.4) and the exception handlers that render it.

Every error the API sends has the body ``{"error": {"code", "message", "innerError": {"request-id",
"client-request-id", "date"}}}``. Status → code: 400 ``invalidRequest`` (or ``notSupported`` for
options Vigil does not implement), 401 ``unauthenticated``, 403 ``accessDenied``, 404
``itemNotFound``, 405 ``notAllowed``, 500 ``generalException``, 503 ``serviceNotAvailable`` —
all from the codes Graph's documentation lists. Bad input never yields a 500: request validation
errors become 400. A write that waited ``API_WRITE_LOCK_TIMEOUT`` for the store's write lock (held
by a ``vigil detect --rebuild`` or an index build at the end of a bulk load) is no bug either: 503
with ``Retry-After``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from vigil.api.odata_filter import ODataQueryError
from vigil.auth import AuthenticationError, AuthorizationError

JSON_TYPE = "application/json"

_STATUS_CODES: Mapping[int, str] = {
    400: "invalidRequest",
    401: "unauthenticated",
    403: "accessDenied",
    404: "itemNotFound",
    405: "notAllowed",
    406: "invalidRequest",
    413: "invalidRequest",
    415: "invalidRequest",
    500: "generalException",
    503: "serviceNotAvailable",
}

#: Seconds a client is asked to wait when the store stayed locked (``Retry-After``).
BUSY_RETRY_AFTER = 30


class GraphError(Exception):
    """An error response; raise it anywhere in a route and the handler renders it."""

    def __init__(
        self,
        status: int,
        message: str,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or _STATUS_CODES.get(status, "invalidRequest")
        self.headers = dict(headers or {})


def not_found(what: str, key: str) -> GraphError:
    return GraphError(404, f"{what} {key!r} was not found")


def graph_date(now: datetime) -> str:
    """Graph's ``innerError.date``: ISO 8601 UTC without offset or fraction."""
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def error_body(
    code: str, message: str, request_id: str, client_request_id: str, now: datetime
) -> bytes:
    return orjson.dumps(
        {
            "error": {
                "code": code,
                "message": message,
                "innerError": {
                    "date": graph_date(now),
                    "request-id": request_id,
                    "client-request-id": client_request_id,
                },
            }
        }
    )


def error_response(request: Request, error: GraphError, clock: Callable[[], datetime]) -> Response:
    state = request.scope.get("state", {})
    request_id = state.get("request_id", "")
    body = error_body(
        error.code,
        error.message,
        request_id,
        state.get("client_request_id", request_id),
        clock(),
    )
    return Response(body, error.status, headers=error.headers, media_type=JSON_TYPE)


def bearer_challenge(error: str | None, description: str) -> str:
    """``WWW-Authenticate`` value of RFC 6750 §3 (no ``claims``: that would trigger a CAE retry)."""
    if error is None:
        return 'Bearer realm="vigil"'
    safe = description.replace("\\", "").replace('"', "'")
    return f'Bearer realm="vigil", error="{error}", error_description="{safe}"'


def store_busy(exc: OperationalError) -> bool:
    """True when the store gave up waiting for another writer: SQLite's SQLITE_BUSY ("database is
    locked"), PostgreSQL's lock_not_available (55P03, the API's write-lock timeout)."""
    if getattr(exc.orig, "sqlstate", None) == "55P03":
        return True
    code = getattr(exc.orig, "sqlite_errorcode", None)
    return (
        isinstance(exc.orig, sqlite3.OperationalError)
        and code is not None
        and (code & 0xFF == sqlite3.SQLITE_BUSY)
    )


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "invalid request body: " + "; ".join(parts)


def install_error_handlers(app: FastAPI, clock: Callable[[], datetime]) -> None:
    """Render every handled error in Graph's shape (the 500 catch-all lives in the middleware)."""

    async def graph(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, GraphError)
        return error_response(request, exc, clock)

    async def validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return error_response(request, GraphError(400, _validation_message(exc)), clock)

    async def odata(request: Request, exc: Exception) -> Response:
        return error_response(request, GraphError(400, str(exc)), clock)

    async def http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        message = {404: "the resource was not found", 405: "the method is not allowed"}.get(
            exc.status_code, str(exc.detail)
        )
        return error_response(
            request, GraphError(exc.status_code, message, headers=exc.headers), clock
        )

    async def unauthenticated(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, AuthenticationError)
        challenge = bearer_challenge(exc.error, exc.description)
        error = GraphError(401, exc.description, headers={"WWW-Authenticate": challenge})
        return error_response(request, error, clock)

    async def forbidden(request: Request, exc: Exception) -> Response:
        return error_response(request, GraphError(403, str(exc)), clock)

    async def busy(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, OperationalError)
        if not store_busy(exc):
            raise exc  # any other database failure: the middleware's 500
        error = GraphError(
            503,
            "the store is busy with another writer (a rebuild or an index build); retry later",
            code="serviceNotAvailable",
            headers={"Retry-After": str(BUSY_RETRY_AFTER)},
        )
        return error_response(request, error, clock)

    handlers: dict[type[Exception], Any] = {
        GraphError: graph,
        RequestValidationError: validation,
        ODataQueryError: odata,
        StarletteHTTPException: http,
        AuthenticationError: unauthenticated,
        AuthorizationError: forbidden,
        OperationalError: busy,
    }
    for exc_type, handler in handlers.items():
        app.add_exception_handler(exc_type, handler)
