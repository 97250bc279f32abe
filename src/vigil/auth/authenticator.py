"""Authentication of HTTP requests, free of any web framework.

:meth:`Authenticator.authenticate` takes the raw ``Authorization`` header and returns the
:class:`Principal` or raises :class:`AuthenticationError`. Bearer credentials follow RFC 6750 §2.1
(scheme case-insensitive). A credential in the local format (``vgl_…`` with a valid checksum) is
looked up by its SHA-256 among the stored, unrevoked local tokens; anything else is verified as an
OIDC JWT when an issuer is configured.

Successful local look-ups are remembered for ``cache_seconds`` (default 10 s) so the hot path does
not query the database on every request: a revoked token stops working within that time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from vigil.auth.local import ApiToken, is_local_token, token_hash
from vigil.auth.oidc import JwtVerifier
from vigil.auth.principal import AuthenticationError, Principal

#: Looks a token up by its hash (:func:`vigil.auth.local.token_hash`).
TokenLookup = Callable[[str], ApiToken | None]
_CACHE_MAX = 1024


def bearer_credentials(authorization: str | None) -> str:
    """The credentials of a ``Bearer`` Authorization header (RFC 6750 §2.1)."""
    if not authorization:
        raise AuthenticationError("no access token was sent", error=None)
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() != "bearer":
        raise AuthenticationError(
            "the Authorization header must use the Bearer scheme", "invalid_request"
        )
    credentials = credentials.strip()
    if not credentials or " " in credentials:
        raise AuthenticationError(
            "the Authorization header has no single bearer token", "invalid_request"
        )
    return credentials


@dataclass
class Authenticator:
    lookup_local: TokenLookup
    oidc: JwtVerifier | None = None
    cache_seconds: float = 10.0
    monotonic: Callable[[], float] = time.monotonic
    _cache: dict[str, tuple[Principal, float]] = field(default_factory=dict, repr=False)

    def authenticate(self, authorization: str | None) -> Principal:
        token = bearer_credentials(authorization)
        if is_local_token(token):
            return self._local(token_hash(token))
        if self.oidc is None:
            raise AuthenticationError(
                "the access token is not a Vigil token and OIDC is not configured"
            )
        return self.oidc.verify(token)

    def is_local(self, authorization: str | None) -> bool:
        """True when the header carries a local token (checked without I/O but the cache's)."""
        _, _, credentials = (authorization or "").partition(" ")
        return is_local_token(credentials.strip())

    def _local(self, digest: str) -> Principal:
        now = self.monotonic()
        hit = self._cache.get(digest)
        if hit is not None and hit[1] > now:
            return hit[0]
        found = self.lookup_local(digest)
        if found is None or not found.active:
            self._cache.pop(digest, None)
            raise AuthenticationError("the access token is unknown or revoked")
        principal = Principal(name=found.name, roles=frozenset({found.role}), method="local")
        if len(self._cache) >= _CACHE_MAX:
            self._cache.clear()
        self._cache[digest] = (principal, now + self.cache_seconds)
        return principal
