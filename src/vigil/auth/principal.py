"""The authenticated caller and the errors that authentication and authorization raise.

The errors carry the OAuth 2.0 bearer-token error codes of RFC 6750 §3.1 (``invalid_request``,
``invalid_token``, ``insufficient_scope``); the HTTP layer renders them (401 / 403 and a
``WWW-Authenticate`` challenge).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from vigil.auth.roles import Permission, Role, allows


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: ``name`` is recorded as ``initiatedBy`` in the risk history."""

    name: str
    roles: frozenset[Role]
    method: Literal["local", "oidc"]

    def can(self, permission: Permission) -> bool:
        return allows(self.roles, permission)


class AuthenticationError(Exception):
    """No usable credentials (HTTP 401). ``error`` is RFC 6750's code, or None when none was sent."""

    def __init__(self, description: str, error: str | None = "invalid_token") -> None:
        super().__init__(description)
        self.description = description
        self.error = error


class AuthorizationError(Exception):
    """Valid credentials, but no role that grants ``permission`` (HTTP 403)."""

    def __init__(self, principal: Principal, permission: Permission) -> None:
        roles = ", ".join(sorted(principal.roles)) or "no Vigil role"
        super().__init__(f"{principal.name} ({roles}) may not {_VERBS[permission]}")
        self.principal = principal
        self.permission = permission


_VERBS = {
    Permission.read: "read identity protection data",
    Permission.act: "confirm or dismiss risk (needs Security Operator or Security Administrator)",
    Permission.disable: "change a service principal (needs Security Administrator)",
}


def require(principal: Principal, permission: Permission) -> Principal:
    """Return ``principal`` when it holds ``permission``; raise :class:`AuthorizationError` if not."""
    if not principal.can(permission):
        raise AuthorizationError(principal, permission)
    return principal
