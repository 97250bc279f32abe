"""Local API tokens: stored by hash only (see :mod:`vigil.auth.local`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select, update

from vigil.auth.local import ApiToken
from vigil.auth.roles import Role
from vigil.store.database import transaction
from vigil.store.tables import api_tokens

T = api_tokens.c


def _token_from(row: Any) -> ApiToken:
    return ApiToken(
        id=row.id,
        name=row.name,
        role=Role(row.role),
        hint=row.hint,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


class TokenRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, token: ApiToken, token_hash: str) -> None:
        row = {
            "id": token.id,
            "name": token.name,
            "role": token.role.value,
            "token_hash": token_hash,
            "hint": token.hint,
            "created_at": token.created_at,
            "revoked_at": token.revoked_at,
        }
        with transaction(self._engine, write=True) as conn:
            conn.execute(api_tokens.insert(), [row])

    def by_hash(self, token_hash: str) -> ApiToken | None:
        """The token with this hash, revoked or not (callers check :attr:`ApiToken.active`)."""
        with self._engine.connect() as conn:
            row = conn.execute(select(api_tokens).where(T.token_hash == token_hash)).first()
        return None if row is None else _token_from(row)

    def all(self) -> list[ApiToken]:
        with self._engine.connect() as conn:
            rows = conn.execute(select(api_tokens).order_by(T.created_at, T.id)).all()
        return [_token_from(r) for r in rows]

    def revoke(self, token_id: str, now: datetime) -> bool:
        """Mark the token revoked; False when no active token has this id."""
        stmt = (
            update(api_tokens)
            .where(T.id == token_id, T.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        with transaction(self._engine, write=True) as conn:
            return conn.execute(stmt).rowcount == 1
