"""Verification of OIDC / OAuth 2.0 JWT access tokens (RFC 7519, RFC 7515, RFC 8725).

Contract of :meth:`JwtVerifier.verify`: the token must be a JWS signed with one of the allowed
algorithms (RS256 or ES256 only; ``none`` and HMAC are refused, RFC 8725 §3.1), by a key of the
configured JWK Set (RFC 7517) chosen by the header's ``kid`` (or the set's only key when there is
no ``kid``); ``iss`` must be one of the configured issuers and ``aud`` name one of the configured
audiences (RFC 7519 §4.1.1, §4.1.3); ``exp`` is required and, like ``nbf`` when present, is checked
against the injected clock with a small leeway (§4.1.4, §4.1.5). Roles come from the ``roles`` and
``wids`` claims (:func:`vigil.auth.roles.roles_from_claims`); the actor recorded in the history is
the ``actor_claim`` (``sub`` by default; ``oid`` or ``preferred_username`` are common choices for
Entra). Any failure raises :class:`AuthenticationError` and never anything else.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import jwt
from jwt import PyJWK, PyJWKClient, PyJWKSet

from vigil.auth.principal import AuthenticationError, Principal
from vigil.auth.roles import roles_from_claims

ALGORITHMS = ("RS256", "ES256")


@dataclass(frozen=True)
class OidcConfig:
    issuers: tuple[str, ...]
    audiences: tuple[str, ...]
    roles_claim: str = "roles"
    actor_claim: str = "sub"
    leeway: timedelta = timedelta(seconds=60)


class KeySource(Protocol):
    def key(self, kid: str | None) -> PyJWK:
        """The verification key for ``kid``; raises :class:`AuthenticationError` when unknown."""
        ...


def _pick(keys: list[PyJWK], kid: str | None) -> PyJWK:
    if kid is None:
        if len(keys) == 1:
            return keys[0]
        raise AuthenticationError("the token has no key id (kid) and the JWK Set has several keys")
    for k in keys:
        if k.key_id == kid:
            return k
    raise AuthenticationError("the token was signed by an unknown key")


class JwksFile:
    """A JWK Set read once from a file (restart to pick up rotated keys)."""

    def __init__(self, path: Path) -> None:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            self._keys = list(PyJWKSet.from_dict(doc).keys)
        except (OSError, ValueError, jwt.PyJWTError) as exc:
            raise ValueError(f"cannot read the JWK Set {path}: {exc}") from exc

    def key(self, kid: str | None) -> PyJWK:
        return _pick(self._keys, kid)


class JwksUrl:
    """A JWK Set fetched over HTTPS, cached 5 minutes; an unknown ``kid`` refetches (at most every 30 s)."""

    def __init__(self, url: str, timeout: float = 5.0) -> None:
        self._client = PyJWKClient(url, cache_jwk_set=True, lifespan=300, timeout=timeout)

    def key(self, kid: str | None) -> PyJWK:
        try:
            if kid is not None:
                return self._client.get_signing_key(kid)
            return _pick(self._client.get_signing_keys(), None)
        except jwt.PyJWKClientError as exc:
            raise AuthenticationError(f"no verification key: {exc}") from exc


class JwtVerifier:
    def __init__(self, config: OidcConfig, keys: KeySource, clock: Callable[[], datetime]) -> None:
        self._config = config
        self._keys = keys
        self._clock = clock

    def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise AuthenticationError("the token is not a well-formed JWT") from exc
        alg = header.get("alg")
        if alg not in ALGORITHMS:
            raise AuthenticationError(
                f"the token's algorithm must be one of {', '.join(ALGORITHMS)}"
            )
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise AuthenticationError("the token's kid is not a string")
        claims = self._decode(token, self._keys.key(kid), alg)
        self._check_times(claims)
        actor = claims.get(self._config.actor_claim)
        if not isinstance(actor, str) or not actor:
            raise AuthenticationError(f"the token has no {self._config.actor_claim} claim")
        return Principal(
            name=actor,
            roles=roles_from_claims(claims, self._config.roles_claim),
            method="oidc",
        )

    def _decode(self, token: str, key: PyJWK, alg: str) -> dict[str, Any]:
        if key.algorithm_name != alg:  # RFC 8725 §3.1: the key fixes the algorithm
            raise AuthenticationError("the token's algorithm does not match its key")
        try:
            return jwt.decode(
                token,
                key.key,
                algorithms=[alg],
                audience=list(self._config.audiences),
                issuer=list(self._config.issuers),
                options={
                    "require": ["exp", "iss", "aud"],
                    "verify_exp": False,  # checked below against the injected clock
                    "verify_nbf": False,
                    "verify_iat": False,
                },
            )
        except jwt.InvalidAudienceError as exc:
            raise AuthenticationError("the token is for another audience") from exc
        except jwt.InvalidIssuerError as exc:
            raise AuthenticationError("the token is from another issuer") from exc
        except jwt.InvalidSignatureError as exc:
            raise AuthenticationError("the token's signature is invalid") from exc
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            raise AuthenticationError(f"the token is invalid: {exc}") from exc

    def _check_times(self, claims: dict[str, Any]) -> None:
        now = self._clock().timestamp()
        leeway = self._config.leeway.total_seconds()
        exp, nbf = claims.get("exp"), claims.get("nbf")
        if not _is_number(exp):
            raise AuthenticationError("the token's exp claim is not a number")
        if now > exp + leeway:
            raise AuthenticationError("the token has expired")
        if nbf is not None:
            if not _is_number(nbf):
                raise AuthenticationError("the token's nbf claim is not a number")
            if now + leeway < nbf:
                raise AuthenticationError("the token is not valid yet")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
