"""Service principals and applications (the directory inventory)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from vigil.model import Application, ServicePrincipal
from vigil.store.bytewise import bytewise
from vigil.store.codec import from_doc, to_doc
from vigil.store.database import transaction
from vigil.store.tables import applications, service_principals


def upsert_statement(engine: Engine, table: Any) -> Any:
    """``INSERT`` with the dialect's ``ON CONFLICT`` support."""
    return (pg_insert if engine.dialect.name == "postgresql" else sqlite_insert)(table)


def _json(doc: Any) -> bytes:
    return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)


class InventoryRepository:
    """Idempotent upserts keyed by the directory objects' own ids (the newest snapshot wins).

    Writes return the ids that were new or changed, so re-ingesting a snapshot reports duplicates.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def upsert_service_principals(
        self,
        items: Iterable[tuple[ServicePrincipal, bytes | None]],
        now: datetime,
        conn: Connection | None = None,
    ) -> list[str]:
        rows = [
            {
                "id": sp.id,
                "app_id": sp.app_id,
                "display_name": sp.display_name,
                "service_principal_type": sp.service_principal_type.value,
                "app_owner_organization_id": sp.app_owner_organization_id,
                "account_enabled": sp.account_enabled,
                "disabled_by_microsoft_status": sp.disabled_by_microsoft_status,
                "data": to_doc(sp),
                "raw": raw,
                "updated_at": now,
            }
            for sp, raw in items
        ]
        return self._upsert(service_principals, rows, conn)

    def upsert_applications(
        self,
        items: Iterable[tuple[Application, bytes | None]],
        now: datetime,
        conn: Connection | None = None,
    ) -> list[str]:
        rows = [
            {
                "id": app.id,
                "app_id": app.app_id,
                "display_name": app.display_name,
                "disabled_by_microsoft_status": app.disabled_by_microsoft_status,
                "data": to_doc(app),
                "raw": raw,
                "updated_at": now,
            }
            for app, raw in items
        ]
        return self._upsert(applications, rows, conn)

    def _upsert(
        self, table: Any, rows: list[dict[str, Any]], conn: Connection | None
    ) -> list[str]:
        """Write rows that are new or whose normalized ``data`` changed; return their ids."""
        if not rows:
            return []
        latest = {r["id"]: r for r in rows}  # the last snapshot of an id in a batch wins
        stmt = upsert_statement(self._engine, table)
        columns = {k: stmt.excluded[k] for k in rows[0] if k != "id"}
        stmt = stmt.on_conflict_do_update(index_elements=["id"], set_=columns)
        with transaction(self._engine, conn) as conn:
            stored = dict(
                conn.execute(
                    select(table.c.id, table.c.data).where(table.c.id.in_(list(latest)))
                ).all()
            )
            # Compare as JSON text: the stored doc has lists where the fresh one has tuples.
            changed = [
                r for i, r in latest.items() if _json(stored.get(i)) != _json(r["data"])
            ]
            if changed:
                conn.execute(stmt, changed)
        return [r["id"] for r in changed]

    def service_principal(
        self, sp_id: str, conn: Connection | None = None
    ) -> ServicePrincipal | None:
        return self.service_principals([sp_id], conn).get(sp_id)

    def spelled_otherwise(self, canonical: str, conn: Connection | None = None) -> str | None:
        """The id of a principal stored in another case than ``canonical`` (lower-case; stored
        before GUIDs were lower-cased at ingest), if any. Scans: for ids not found as given."""
        column = service_principals.c.id
        query = select(column).where(func.lower(column) == canonical).limit(1)
        with transaction(self._engine, conn) as conn:
            return conn.execute(query).scalar()

    def service_principals(
        self, ids: Sequence[str], conn: Connection | None = None
    ) -> dict[str, ServicePrincipal]:
        query = select(service_principals.c.data).where(service_principals.c.id.in_(list(ids)))
        with transaction(self._engine, conn) as conn:
            docs = conn.execute(query).scalars().all()
        return {sp.id: sp for sp in (from_doc(d, ServicePrincipal) for d in docs)}

    def service_principals_by_app_id(
        self, app_ids: Sequence[str], conn: Connection | None = None
    ) -> dict[str, ServicePrincipal]:
        c = service_principals.c
        query = select(c.data).where(c.app_id.in_(list(app_ids))).order_by(bytewise(c.id))
        with transaction(self._engine, conn) as conn:
            docs = conn.execute(query).scalars().all()
        return {sp.app_id: sp for sp in (from_doc(d, ServicePrincipal) for d in docs)}

    def applications_by_app_id(
        self, app_ids: Sequence[str], conn: Connection | None = None
    ) -> dict[str, Application]:
        c = applications.c
        query = select(c.data).where(c.app_id.in_(list(app_ids))).order_by(bytewise(c.id))
        with transaction(self._engine, conn) as conn:
            docs = conn.execute(query).scalars().all()
        return {a.app_id: a for a in (from_doc(d, Application) for d in docs)}

    def set_account_enabled(
        self, sp_id: str, enabled: bool, conn: Connection | None = None
    ) -> bool:
        """Set ``accountEnabled`` of an inventoried principal; False when it is not in the inventory.

        The document is read and written back under the write lock (the caller's transaction
        must hold it): read before it, a snapshot an ingest committed in between was overwritten
        by the older document.
        """
        with transaction(self._engine, conn, write=True) as conn:
            sp = self.service_principal(sp_id, conn)
            if sp is None:
                return False
            doc = to_doc(sp)
            doc["account_enabled"] = enabled
            stmt = (
                update(service_principals)
                .where(service_principals.c.id == sp_id)
                .values(account_enabled=enabled, data=doc)
            )
            conn.execute(stmt)
        return True

    def all_service_principals(self) -> list[ServicePrincipal]:
        query = select(service_principals.c.data).order_by(bytewise(service_principals.c.id))
        with self._engine.connect() as conn:
            return [from_doc(d, ServicePrincipal) for d in conn.execute(query).scalars()]

    def applications(self) -> list[Application]:
        query = select(applications.c.data).order_by(bytewise(applications.c.id))
        with self._engine.connect() as conn:
            return [from_doc(d, Application) for d in conn.execute(query).scalars()]

    def counts(self) -> dict[str, int]:
        with self._engine.connect() as conn:
            sps = conn.execute(select(func.count()).select_from(service_principals)).scalar_one()
            apps = conn.execute(select(func.count()).select_from(applications)).scalar_one()
        return {"servicePrincipals": sps, "applications": apps}
