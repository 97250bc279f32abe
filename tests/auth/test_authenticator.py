"""The Authenticator: bearer parsing, local tokens (with a short cache), OIDC fallback."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from vigil.auth import ApiToken, AuthenticationError, Authenticator, Role, new_token, token_hash

NOW = datetime(2026, 3, 1, tzinfo=UTC)


class Tokens:
    def __init__(self) -> None:
        self.rows: dict[str, ApiToken] = {}
        self.lookups = 0

    def add(self, role: Role, name: str) -> str:
        secret = new_token()
        self.rows[token_hash(secret)] = ApiToken("id-" + name, name, role, secret[:8], NOW)
        return secret

    def __call__(self, digest: str) -> ApiToken | None:
        self.lookups += 1
        return self.rows.get(digest)


@pytest.mark.parametrize(
    ("header", "error"),
    [
        (None, None),
        ("", None),
        ("Basic dXNlcjpwdw==", "invalid_request"),
        ("Bearer", "invalid_request"),
        ("Bearer a b", "invalid_request"),
        ("Bearer vgl_notachecksummedtoken", "invalid_token"),
    ],
)
def test_malformed_or_missing_credentials(header, error):
    with pytest.raises(AuthenticationError) as raised:
        Authenticator(Tokens()).authenticate(header)
    assert raised.value.error == error


def test_local_tokens_are_cached_briefly_then_rechecked():
    tokens, clock = Tokens(), [0.0]
    auth = Authenticator(tokens, cache_seconds=10, monotonic=lambda: clock[0])
    secret = tokens.add(Role.security_operator, "ops")
    for _ in range(3):
        p = auth.authenticate(f"bearer {secret}")
        assert (p.name, p.roles, p.method) == ("ops", {Role.security_operator}, "local")
    assert tokens.lookups == 1
    digest = token_hash(secret)
    tokens.rows[digest] = ApiToken("id-ops", "ops", Role.security_operator, "", NOW, revoked_at=NOW)
    clock[0] = 11.0
    with pytest.raises(AuthenticationError, match="revoked"):
        auth.authenticate(f"Bearer {secret}")


def test_unknown_local_token_and_jwt_without_oidc():
    auth = Authenticator(Tokens())
    with pytest.raises(AuthenticationError, match="unknown"):
        auth.authenticate(f"Bearer {new_token()}")
    with pytest.raises(AuthenticationError, match="OIDC is not configured"):
        auth.authenticate("Bearer eyJhbGciOiJSUzI1NiJ9.e30.sig")
