"""Activity records: sign-ins, audit events, Graph activity. Append-only, idempotent by source id."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Table, func, select

from vigil.model import AuditEvent, GraphActivity, SignIn, SignInKind
from vigil.store.codec import from_doc, to_doc
from vigil.store.inventory import upsert_statement
from vigil.store.tables import audit_events, audit_targets, graph_activities, sign_ins


def _sign_in_row(s: SignIn, raw: bytes | None) -> dict[str, Any]:
    loc = s.location
    return {
        "id": s.id,
        "kind": s.kind.value,
        "service_principal_id": s.service_principal_id,
        "created_at": s.created_date_time,
        "app_id": s.app_id,
        "ip_address": s.ip_address,
        "country": loc.country_or_region if loc else None,
        "asn": s.asn,
        "is_hosting": s.is_hosting,
        "resource_id": s.resource_id,
        "client_credential_type": s.client_credential_type.value
        if s.client_credential_type
        else None,
        "credential_key_id": s.credential_key_id,
        "error_code": s.error_code,
        "user_agent": s.user_agent,
        "correlation_id": s.correlation_id,
        "data": to_doc(s),
        "raw": raw,
    }


def _audit_row(a: AuditEvent, raw: bytes | None) -> dict[str, Any]:
    ini = a.initiated_by
    return {
        "id": a.id,
        "activity_at": a.activity_date_time,
        "activity_display_name": a.activity_display_name,
        "category": a.category,
        "result": a.result,
        "initiator_service_principal_id": a.actor_service_principal_id,
        "initiator_user_id": ini.id if ini is not None and ini.kind == "user" else None,
        "correlation_id": a.correlation_id,
        "data": to_doc(a),
        "raw": raw,
    }


def _graph_row(g: GraphActivity, raw: bytes | None) -> dict[str, Any]:
    return {
        "id": g.id,
        "service_principal_id": g.service_principal_id,
        "time": g.time,
        "request_method": g.request_method,
        "request_uri": g.request_uri,
        "response_status_code": g.response_status_code,
        "ip_address": g.ip_address,
        "data": to_doc(g),
        "raw": raw,
    }


class ActivityRepository:
    """Insert-if-absent for activity records; returns how many rows were new."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def _insert_new(self, table: Table, rows: list[dict[str, Any]]) -> list[str]:
        """Insert rows whose ``id`` is not stored yet; return the ids that were inserted."""
        if not rows:
            return []
        stmt = upsert_statement(self._engine, table).on_conflict_do_nothing(  # type: ignore[attr-defined]
            index_elements=["id"]
        )
        ids = [r["id"] for r in rows]
        with self._engine.begin() as conn:
            existing = set(conn.execute(select(table.c.id).where(table.c.id.in_(ids))).scalars())
            fresh = [r for r in rows if r["id"] not in existing]
            # Duplicates inside one batch: keep the first.
            seen: set[str] = set()
            unique = [r for r in fresh if not (r["id"] in seen or seen.add(r["id"]))]
            if unique:
                conn.execute(stmt, unique)
        return [r["id"] for r in unique]

    def add_sign_ins(self, items: Sequence[tuple[SignIn, bytes | None]]) -> list[str]:
        return self._insert_new(sign_ins, [_sign_in_row(s, raw) for s, raw in items])

    def add_graph_activities(
        self, items: Sequence[tuple[GraphActivity, bytes | None]]
    ) -> list[str]:
        return self._insert_new(graph_activities, [_graph_row(g, raw) for g, raw in items])

    def add_audit_events(self, items: Sequence[tuple[AuditEvent, bytes | None]]) -> list[str]:
        rows = [_audit_row(a, raw) for a, raw in items]
        new_ids = self._insert_new(audit_events, rows)
        if new_ids:
            by_id = {a.id: a for a, _ in items}
            with self._engine.begin() as conn:
                pks = dict(
                    conn.execute(
                        select(audit_events.c.id, audit_events.c.pk).where(
                            audit_events.c.id.in_(new_ids)
                        )
                    ).all()
                )
                targets = {
                    (pks[i], t.id): {
                        "audit_pk": pks[i],
                        "target_id": t.id,
                        "target_type": t.type,
                        "activity_at": by_id[i].activity_date_time,
                    }
                    for i in new_ids
                    for t in by_id[i].targets
                    if t.id
                }
                if targets:
                    conn.execute(audit_targets.insert(), list(targets.values()))
        return new_ids

    def sign_ins_of(
        self, sp_id: str, start: datetime | None = None, end: datetime | None = None
    ) -> list[SignIn]:
        c = sign_ins.c
        query = select(c.data).where(c.service_principal_id == sp_id)
        if start is not None:
            query = query.where(c.created_at >= start)
        if end is not None:
            query = query.where(c.created_at < end)
        with self._engine.connect() as conn:
            docs = conn.execute(query.order_by(c.created_at, c.pk)).scalars().all()
        return [from_doc(d, SignIn) for d in docs]

    def iter_sign_ins(self, batch: int = 5000) -> Iterator[SignIn]:
        """Every stored sign-in in time order (for replays such as ``vigil detect --rebuild``)."""
        yield from self._iter(sign_ins, sign_ins.c.created_at, SignIn, batch)

    def iter_audit_events(self, batch: int = 5000) -> Iterator[AuditEvent]:
        yield from self._iter(audit_events, audit_events.c.activity_at, AuditEvent, batch)

    def iter_graph_activities(self, batch: int = 5000) -> Iterator[GraphActivity]:
        yield from self._iter(graph_activities, graph_activities.c.time, GraphActivity, batch)

    def _iter(self, table: Table, time_col: Any, type_: type[Any], batch: int) -> Iterator[Any]:
        query = select(table.c.data).order_by(time_col, table.c.pk)
        with self._engine.connect() as conn:
            result = conn.execution_options(yield_per=batch).execute(query)
            for doc in result.scalars():
                yield from_doc(doc, type_)

    def raw_record(self, kind: str, record_id: str) -> bytes | None:
        table = {"signins": sign_ins, "audit": audit_events, "graphactivity": graph_activities}[
            kind
        ]
        with self._engine.connect() as conn:
            return conn.execute(select(table.c.raw).where(table.c.id == record_id)).scalar()

    def counts(self) -> dict[str, int]:
        with self._engine.connect() as conn:
            by_kind = dict(
                conn.execute(select(sign_ins.c.kind, func.count()).group_by(sign_ins.c.kind)).all()
            )
            audits = conn.execute(select(func.count()).select_from(audit_events)).scalar_one()
            graph = conn.execute(select(func.count()).select_from(graph_activities)).scalar_one()
        return {
            "signIns": by_kind.get(SignInKind.servicePrincipal.value, 0),
            "managedIdentitySignIns": by_kind.get(SignInKind.managedIdentity.value, 0),
            "directoryAudits": audits,
            "graphActivities": graph,
        }
