"""Activity records: sign-ins, audit events, Graph activity. Append-only, idempotent by source id."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

import msgspec
from sqlalchemy import Connection, Engine, Table, func, select

from vigil.model import AuditEvent, GraphActivity, SignIn, SignInKind
from vigil.store import rawcodec
from vigil.store.codec import from_doc
from vigil.store.database import transaction
from vigil.store.tables import audit_events, audit_targets, graph_activities, sign_ins
from vigil.store.types import to_micros

_encode = msgspec.json.Encoder().encode


def _enum(value: StrEnum | None) -> str | None:
    return None if value is None else value.value


def sign_in_row(s: SignIn, raw: bytes | None) -> tuple[Any, ...]:
    loc = s.location
    return (
        s.id,
        s.kind.value,
        s.service_principal_id,
        to_micros(s.created_date_time),
        s.app_id,
        s.ip_address,
        loc.country_or_region if loc else None,
        s.asn,
        s.is_hosting,
        s.resource_id,
        _enum(s.client_credential_type),
        s.credential_key_id,
        s.error_code,
        s.user_agent,
        s.correlation_id,
        _encode(s).decode(),
        None if raw is None else rawcodec.compress(raw),
    )


_SIGN_IN_COLUMNS = (
    "id", "kind", "service_principal_id", "created_at", "app_id", "ip_address", "country", "asn",
    "is_hosting", "resource_id", "client_credential_type", "credential_key_id", "error_code",
    "user_agent", "correlation_id", "data", "raw",
)  # fmt: skip


def _audit_row(a: AuditEvent, raw: bytes | None) -> tuple[Any, ...]:
    ini = a.initiated_by
    return (
        a.id,
        to_micros(a.activity_date_time),
        a.activity_display_name,
        a.category,
        a.result,
        a.actor_service_principal_id,
        ini.id if ini is not None and ini.kind == "user" else None,
        a.correlation_id,
        _encode(a).decode(),
        None if raw is None else rawcodec.compress(raw),
    )


_AUDIT_COLUMNS = (
    "id", "activity_at", "activity_display_name", "category", "result",
    "initiator_service_principal_id", "initiator_user_id", "correlation_id", "data", "raw",
)  # fmt: skip


def graph_row(g: GraphActivity, raw: bytes | None) -> tuple[Any, ...]:
    return (
        g.id,
        g.service_principal_id,
        to_micros(g.time),
        g.request_method,
        g.request_uri,
        g.response_status_code,
        g.ip_address,
        _encode(g).decode(),
        None if raw is None else rawcodec.compress(raw),
    )


_GRAPH_COLUMNS = (
    "id", "service_principal_id", "time", "request_method", "request_uri",
    "response_status_code", "ip_address", "data", "raw",
)  # fmt: skip


#: Position of the ``data`` (model JSON) column in the row tuples, per table.
DATA_COLUMN = {
    "sign_ins": _SIGN_IN_COLUMNS.index("data"),
    "graph_activities": _GRAPH_COLUMNS.index("data"),
}


_ID_CHUNK = 10_000  # bound parameters per lookup (SQLite allows 32,766)


class ActivityRepository:
    """Insert-if-absent for activity records; returns the ids that were new.

    The write path is the ingest hot path, so rows are built as tuples (times as epoch
    microseconds, the model as msgspec JSON, the raw record zstd-compressed) and sent with one
    driver-level ``executemany`` per table and batch.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._mark = mark = "?" if engine.dialect.paramstyle == "qmark" else "%s"
        self._sql = {
            name: f"INSERT INTO {name} ({', '.join(cols)}) VALUES ({', '.join([mark] * len(cols))})"
            " ON CONFLICT (id) DO NOTHING"
            for name, cols in (
                ("sign_ins", _SIGN_IN_COLUMNS),
                ("audit_events", _AUDIT_COLUMNS),
                ("graph_activities", _GRAPH_COLUMNS),
            )
        }

    def _insert_new(
        self, table: Table, rows: list[tuple[Any, ...]], conn: Connection | None
    ) -> list[str]:
        """Insert rows (``id`` first) not stored yet; return the ids that were inserted."""
        if not rows:
            return []
        ids = [r[0] for r in rows]
        with transaction(self._engine, conn) as conn:
            existing = self._existing(conn, table.name, ids)
            seen: set[str] = set()
            unique = []
            for r in rows:  # the first of an id wins, in a batch as across batches
                if r[0] not in existing and r[0] not in seen:
                    seen.add(r[0])
                    unique.append(r)
            if unique:
                conn.exec_driver_sql(self._sql[table.name], unique)
        return [r[0] for r in unique]

    def _existing(self, conn: Connection, table: str, ids: list[str]) -> set[str]:
        """Which of ``ids`` are stored (driver-level: this runs once per table and batch)."""
        found: set[str] = set()
        for start in range(0, len(ids), _ID_CHUNK):
            part = ids[start : start + _ID_CHUNK]
            marks = ", ".join([self._mark] * len(part))
            sql = f"SELECT id FROM {table} WHERE id IN ({marks})"
            found.update(r[0] for r in conn.exec_driver_sql(sql, tuple(part)).fetchall())
        return found

    def add_sign_in_rows(
        self, rows: list[tuple[Any, ...]], conn: Connection | None = None
    ) -> list[str]:
        """Insert rows made by :func:`sign_in_row` (the parallel ingest path builds them)."""
        return self._insert_new(sign_ins, rows, conn)

    def add_graph_activity_rows(
        self, rows: list[tuple[Any, ...]], conn: Connection | None = None
    ) -> list[str]:
        """Insert rows made by :func:`graph_row`."""
        return self._insert_new(graph_activities, rows, conn)

    def add_sign_ins(
        self, items: Sequence[tuple[SignIn, bytes | None]], conn: Connection | None = None
    ) -> list[str]:
        return self._insert_new(sign_ins, [sign_in_row(s, raw) for s, raw in items], conn)

    def add_graph_activities(
        self, items: Sequence[tuple[GraphActivity, bytes | None]], conn: Connection | None = None
    ) -> list[str]:
        return self._insert_new(graph_activities, [graph_row(g, raw) for g, raw in items], conn)

    def add_audit_events(
        self, items: Sequence[tuple[AuditEvent, bytes | None]], conn: Connection | None = None
    ) -> list[str]:
        new_ids = self._insert_new(audit_events, [_audit_row(a, raw) for a, raw in items], conn)
        if new_ids:
            by_id = {a.id: a for a, _ in items}
            with transaction(self._engine, conn) as conn:
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
