"""Token repository: stored by hash, listed, revoked (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

from vigil.auth import ApiToken, Role, new_token, token_hash, token_hint
from vigil.store.tables import api_tokens

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def test_tokens_are_stored_by_hash_and_can_be_revoked(store):
    secrets = {}
    for n, role in enumerate(Role):
        secret = new_token()
        secrets[role] = secret
        store.tokens.add(
            ApiToken(f"id-{n}", f"name-{n}", role, token_hint(secret), NOW), token_hash(secret)
        )
    found = store.tokens.by_hash(token_hash(secrets[Role.security_operator]))
    assert (found.id, found.name, found.role, found.active) == (
        "id-2",
        "name-2",
        Role.security_operator,
        True,
    )
    assert store.tokens.by_hash(token_hash(new_token())) is None
    with store.engine.connect() as conn:
        stored = conn.execute(api_tokens.select()).all()
    assert not any(secret in str(tuple(row)) for row in stored for secret in secrets.values())
    assert store.tokens.revoke("id-2", NOW) is True
    assert store.tokens.revoke("id-2", NOW) is False
    assert store.tokens.by_hash(token_hash(secrets[Role.security_operator])).revoked_at == NOW
    assert [(t.id, t.active) for t in store.tokens.all()] == [
        ("id-0", True),
        ("id-1", True),
        ("id-2", False),
        ("id-3", True),
    ]
