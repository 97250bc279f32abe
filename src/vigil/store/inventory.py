"""Service principals and applications (the directory inventory)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from vigil.model import Application, ServicePrincipal
from vigil.store.codec import from_doc, to_doc
from vigil.store.tables import applications, service_principals


def upsert_statement(engine: Engine, table: object) -> object:
    """``INSERT`` with the dialect's ``ON CONFLICT`` support."""
    return (pg_insert if engine.dialect.name == "postgresql" else sqlite_insert)(table)


class InventoryRepository:
    """Idempotent upserts keyed by the directory objects' own ids (the newest snapshot wins)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def upsert_service_principals(
        self, items: Iterable[tuple[ServicePrincipal, bytes | None]], now: datetime
    ) -> int:
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
        return self._upsert(service_principals, rows)

    def upsert_applications(
        self, items: Iterable[tuple[Application, bytes | None]], now: datetime
    ) -> int:
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
        return self._upsert(applications, rows)

    def _upsert(self, table: object, rows: list[dict[str, object]]) -> int:
        if not rows:
            return 0
        stmt = upsert_statement(self._engine, table)
        columns = {k: stmt.excluded[k] for k in rows[0] if k != "id"}  # type: ignore[attr-defined]
        stmt = stmt.on_conflict_do_update(index_elements=["id"], set_=columns)  # type: ignore[attr-defined]
        with self._engine.begin() as conn:
            conn.execute(stmt, rows)
        return len(rows)

    def service_principal(self, sp_id: str) -> ServicePrincipal | None:
        found = self.service_principals([sp_id])
        return found.get(sp_id)

    def service_principals(self, ids: Sequence[str]) -> dict[str, ServicePrincipal]:
        query = select(service_principals.c.data).where(service_principals.c.id.in_(list(ids)))
        with self._engine.connect() as conn:
            docs = conn.execute(query).scalars().all()
        return {sp.id: sp for sp in (from_doc(d, ServicePrincipal) for d in docs)}

    def all_service_principals(self) -> list[ServicePrincipal]:
        query = select(service_principals.c.data).order_by(service_principals.c.id)
        with self._engine.connect() as conn:
            return [from_doc(d, ServicePrincipal) for d in conn.execute(query).scalars()]

    def applications(self) -> list[Application]:
        query = select(applications.c.data).order_by(applications.c.id)
        with self._engine.connect() as conn:
            return [from_doc(d, Application) for d in conn.execute(query).scalars()]

    def counts(self) -> dict[str, int]:
        with self._engine.connect() as conn:
            sps = conn.execute(select(func.count()).select_from(service_principals)).scalar_one()
            apps = conn.execute(select(func.count()).select_from(applications)).scalar_one()
        return {"servicePrincipals": sps, "applications": apps}
