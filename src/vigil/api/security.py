"""FastAPI adapter of :mod:`vigil.auth`: a dependency per permission, and the OpenAPI scheme.

``Depends(requires(Permission.read))`` authenticates the ``Authorization: Bearer`` header and checks
the caller's roles; failures raise ``AuthenticationError`` (401 with ``WWW-Authenticate: Bearer``)
or ``AuthorizationError`` (403), rendered in Graph's error shape by :mod:`vigil.api.errors`.
Local tokens are checked on the event loop (a cached look-up); JWTs in the thread pool, since
fetching a JWK Set over HTTPS may block.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from vigil.api.context import context
from vigil.auth import Permission, Principal, require

#: Declares the bearer scheme in the OpenAPI document; the header itself is read below.
bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="A local token (`vigil token create`) or an OIDC access token (JWT).",
)
BearerDoc = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]


def requires(permission: Permission) -> Any:
    """A dependency returning the authenticated :class:`Principal` that holds ``permission``."""

    async def dependency(request: Request, _doc: BearerDoc) -> Principal:
        authenticator = context(request).authenticator
        header = request.headers.get("authorization")
        if header is None or authenticator.is_local(header):
            principal = authenticator.authenticate(header)
        else:
            principal = await run_in_threadpool(authenticator.authenticate, header)
        return require(principal, permission)

    dependency.__name__ = f"requires_{permission.value}"
    return Depends(dependency)


Reader = Annotated[Principal, requires(Permission.read)]
Operator = Annotated[Principal, requires(Permission.act)]
Administrator = Annotated[Principal, requires(Permission.disable)]
