"""The credential registry (keyed digests + hints) and the leak findings (keyId + location)."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from vigil.detections.leaked_credentials import LeakFinding, LeakLocation
from vigil.leaks.registry import RegisteredSecret
from vigil.store.database import transaction
from vigil.store.inventory import upsert_statement
from vigil.store.tables import leak_credentials, leak_findings

R, F = leak_credentials.c, leak_findings.c


def _secret(row: Any) -> RegisteredSecret:
    return RegisteredSecret(
        key_id=row.key_id, hint=row.hint, digest=row.digest, shape=row.shape,
        key_fingerprint=row.key_fingerprint, service_principal_id=row.service_principal_id,
        app_id=row.app_id,
    )


class CredentialRegistry:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, secrets: Iterable[RegisteredSecret], now: datetime) -> int:
        rows = {s.key_id: s for s in secrets}
        if not rows:
            return 0
        stmt = upsert_statement(self._engine, leak_credentials)
        cols = ("hint", "digest", "shape", "key_fingerprint", "service_principal_id", "app_id",
                "imported_at")
        stmt = stmt.on_conflict_do_update(
            index_elements=["key_id"], set_={c: getattr(stmt.excluded, c) for c in cols})
        with transaction(self._engine, write=True) as conn:
            conn.execute(stmt, [{"key_id": s.key_id, "hint": s.hint, "digest": s.digest,
                                 "shape": s.shape, "key_fingerprint": s.key_fingerprint,
                                 "service_principal_id": s.service_principal_id,
                                 "app_id": s.app_id, "imported_at": now}
                                for s in rows.values()])
        return len(rows)

    def by_digest(self, digest: str) -> list[RegisteredSecret]:
        with self._engine.connect() as conn:
            return [_secret(r) for r in conn.execute(select(leak_credentials).where(
                R.digest == digest))]

    def by_hint(self, hint: str, shape: str | None = None) -> list[RegisteredSecret]:
        query = select(leak_credentials).where(R.hint == hint)
        if shape is not None:
            query = query.where(R.shape == shape)
        with self._engine.connect() as conn:
            return [_secret(r) for r in conn.execute(query)]

    def fingerprints(self) -> dict[str, int]:
        """Rows per server-key fingerprint (more than one: some rows were made under another key)."""
        with self._engine.connect() as conn:
            return dict(conn.execute(select(R.key_fingerprint, func.count()).group_by(
                R.key_fingerprint)).all())

    def count(self) -> int:
        with self._engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(leak_credentials)).scalar_one())


def finding_id(f: LeakFinding) -> str:
    return hashlib.sha256(f"{f.key_id}\x1f{f.location.key}".encode()).hexdigest()


def _finding(row: Any) -> LeakFinding:
    loc = row.location or {}
    return LeakFinding(
        key_id=row.key_id, credential_type=row.credential_type, leaked_at=row.leaked_at,
        location=LeakLocation(path=loc.get("path"), line=loc.get("line"),
                              commit=loc.get("commit"), file=loc.get("file"), url=loc.get("url"),
                              context=loc.get("context")),
        source=row.source, service_principal_id=row.service_principal_id, app_id=row.app_id,
    )


class FindingRepository:
    """Implements ``vigil.detections.leaked_credentials.FindingSource``."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, findings: Iterable[LeakFinding], now: datetime,
            conn: Connection | None = None) -> None:
        rows = {finding_id(f): f for f in findings}
        if not rows:
            return
        stmt = upsert_statement(self._engine, leak_findings)
        stmt = stmt.on_conflict_do_update(
            index_elements=["id"], set_={"last_found_at": stmt.excluded.last_found_at})
        with transaction(self._engine, conn) as conn:
            conn.execute(stmt, [{
                "id": i, "key_id": f.key_id, "credential_type": f.credential_type,
                "service_principal_id": f.service_principal_id, "app_id": f.app_id,
                "leaked_at": f.leaked_at, "location": f.location.to_dict(), "source": f.source,
                "first_found_at": now, "last_found_at": now,
            } for i, f in sorted(rows.items())])

    def findings_for(self, key_ids: Collection[str], service_principal_ids: Collection[str] = (),
                     app_ids: Collection[str] = ()) -> list[LeakFinding]:
        found: dict[str, LeakFinding] = {}
        with self._engine.connect() as conn:
            for column, values in ((F.key_id, key_ids), (F.service_principal_id,
                                                          service_principal_ids),
                                   (F.app_id, app_ids)):
                items = sorted(values)
                for i in range(0, len(items), 500):
                    query = select(leak_findings).where(column.in_(items[i : i + 500]))
                    for row in conn.execute(query):
                        found[row.id] = _finding(row)
        return [found[k] for k in sorted(found)]
