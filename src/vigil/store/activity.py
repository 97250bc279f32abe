"""Activity records: sign-ins, audit events, Graph activity. Append-only, idempotent by source id."""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

import msgspec
from sqlalchemy import Connection, Engine, Table, func, select

from vigil.model import AuditEvent, GraphActivity, SignIn, SignInKind
from vigil.store import rawcodec
from vigil.store.codec import from_doc
from vigil.store.database import transaction
from vigil.store.signin_rows import SIGN_IN_COLUMNS, SIGN_IN_READ, sign_in_from_row, sign_in_row
from vigil.store.tables import (
    audit_events,
    audit_targets,
    graph_activities,
    raw_blocks,
    sign_ins,
)
from vigil.store.types import to_micros

_encode = msgspec.json.Encoder().encode


def _enum(value: StrEnum | None) -> str | None:
    return None if value is None else value.value


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


_GRAPH_DATA = _GRAPH_COLUMNS.index("data")
_decode_graph = msgspec.json.Decoder(GraphActivity).decode


def graph_activity_from_row(row: tuple[Any, ...]) -> GraphActivity:
    """The :class:`GraphActivity` of a tuple made by :func:`graph_row`."""
    return _decode_graph(row[_GRAPH_DATA])


_ID_CHUNK = 10_000  # bound parameters per lookup (SQLite allows 32,766)

#: ``(rows, compressed block)``: the next ``rows`` rows of a list (in order) have their raw
#: records, in the same order, in this block (``rawcodec.compress_block``).
RawBlocks = list[tuple[int, bytes]]
_BLOCK_COLUMNS = ("raw_block", "raw_line")
_ON_CONFLICT = " ON CONFLICT (id) DO NOTHING"


def _first_of_each_id(
    rows: list[tuple[Any, ...]], skip: set[str] | frozenset[str] = frozenset()
) -> list[tuple[Any, ...]]:
    """The first row of each id (``id`` first) not in ``skip``, in order: in a batch as across
    batches, the first of an id wins."""
    seen = set(skip)
    unique = []
    for r in rows:
        if r[0] not in seen:
            seen.add(r[0])
            unique.append(r)
    return unique


class ActivityRepository:
    """Insert-if-absent for activity records; returns the ids that were new.

    The write path is the ingest hot path, so rows are built as tuples (times as epoch
    microseconds, the model as msgspec JSON, the raw record zstd-compressed) and sent with one
    driver-level ``executemany`` per table and batch.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._mark = mark = "?" if engine.dialect.paramstyle == "qmark" else "%s"
        self._columns = {
            "sign_ins": SIGN_IN_COLUMNS + _BLOCK_COLUMNS,
            "audit_events": _AUDIT_COLUMNS,
            "graph_activities": _GRAPH_COLUMNS + _BLOCK_COLUMNS,
        }
        self._sql = {
            name: f"INSERT INTO {name} ({', '.join(cols)}) VALUES ({', '.join([mark] * len(cols))})"
            + _ON_CONFLICT
            for name, cols in self._columns.items()
        }
        #: Tables whose unique id index a bulk load dropped (:meth:`defer_unique`): plain inserts.
        self._unique_deferred: frozenset[str] = frozenset()
        #: SQLite reports an executemany's inserted rows exactly and gives new rows growing
        #: rowids: there the writer finds the new rows without looking every id up first.
        self._counts_by_rowcount = engine.dialect.name == "sqlite"
        #: PostgreSQL through psycopg 3: batches go in with ``COPY`` (:meth:`_copy_new`).
        self._copies = engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg"

    def _insert_new(
        self, table: Table, rows: list[tuple[Any, ...]], conn: Connection | None
    ) -> list[str]:
        """Insert rows (``id`` first) not stored yet; return the ids that were inserted."""
        if not rows:
            return []
        if self._copies:
            with transaction(self._engine, conn) as conn:
                return self._copy_new(conn, table.name, rows)
        ids = [r[0] for r in rows]
        with transaction(self._engine, conn) as conn:
            existing = self._existing(conn, table.name, ids)
            unique = _first_of_each_id(rows, existing)
            if unique:
                conn.exec_driver_sql(self._sql[table.name], unique)
        return [r[0] for r in unique]

    def defer_unique(self, tables: Iterable[Table]) -> None:
        """Insert into ``tables`` without looking for stored ids: their unique id index is dropped
        for a bulk load, which removes the rows of an id stored twice at its end
        (``vigil.store.unique_ids``). An empty ``tables`` ends it."""
        self._unique_deferred = frozenset(t.name for t in tables)

    def _copy_new(self, conn: Connection, table: str, rows: list[tuple[Any, ...]]) -> list[str]:
        """PostgreSQL: ``COPY`` the rows into a session-local staging table, then move the ones
        whose id is not stored yet with one ``INSERT ... ON CONFLICT DO NOTHING RETURNING id``.

        About twice as fast as a pipelined ``executemany`` of single-row inserts (``bench/ingest.py
        --postgres``), and exact under concurrent writers: the ids returned are the rows this
        statement inserted. The first row of an id in the batch is the one offered.
        """
        unique = _first_of_each_id(rows)
        cols = ", ".join(self._columns[table])
        # Named after its columns, so a session that outlives a schema change never reuses a
        # staging table of the old shape.
        stage = f"vigil_stage_{table}_{zlib.crc32(cols.encode()):08x}"
        raw = conn.connection.driver_connection
        with raw.cursor() as cur:  # type: ignore[union-attr]
            cur.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {stage} AS SELECT {cols} FROM {table} WITH NO DATA"
            )
            with cur.copy(f"COPY {stage} ({cols}) FROM STDIN") as copy:
                for r in unique:
                    copy.write_row(r)
            cur.execute(
                f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {stage}"
                " ON CONFLICT (id) DO NOTHING RETURNING id"
            )
            inserted = {r[0] for r in cur.fetchall()}
            cur.execute(f"TRUNCATE {stage}")
        return [r[0] for r in unique if r[0] in inserted]

    def _existing(self, conn: Connection, table: str, ids: list[str]) -> set[str]:
        """Which of ``ids`` are stored (driver-level: this runs once per table and batch)."""
        found: set[str] = set()
        for start in range(0, len(ids), _ID_CHUNK):
            part = ids[start : start + _ID_CHUNK]
            marks = ", ".join([self._mark] * len(part))
            sql = f"SELECT id FROM {table} WHERE id IN ({marks})"
            found.update(r[0] for r in conn.exec_driver_sql(sql, tuple(part)).fetchall())
        return found

    def _with_blocks(
        self, rows: list[tuple[Any, ...]], blocks: RawBlocks | None, conn: Connection
    ) -> tuple[list[tuple[Any, ...]], list[int]]:
        """Store ``blocks``; ``rows`` with their ``(raw_block, raw_line)``, and the block pks."""
        if blocks is None:
            return [(*r, None, None) for r in rows], []
        if sum(n for n, _ in blocks) != len(rows):
            raise ValueError("raw blocks do not cover the rows exactly")
        out: list[tuple[Any, ...]] = []
        pks: list[int] = []
        start = 0
        for count, frame in blocks:
            pk = conn.execute(raw_blocks.insert().values(data=frame)).inserted_primary_key[0]
            pks.append(pk)
            out += [(*r, pk, line) for line, r in enumerate(rows[start : start + count])]
            start += count
        return out, pks

    def _insert_rows(
        self,
        table: Table,
        rows: list[tuple[Any, ...]],
        blocks: RawBlocks | None,
        conn: Connection | None,
        want_ids: bool,
    ) -> list[str] | int:
        """Insert new rows with their raw blocks: the new ids, or (``want_ids`` False) how many.

        Blocks that no new row points at (all their records were stored before) are removed again,
        so re-ingesting, or ingesting overlapping exports, adds no raw data twice.
        """
        if not rows:
            return [] if want_ids else 0
        with transaction(self._engine, conn) as conn:
            full, pks = self._with_blocks(rows, blocks, conn)
            added: list[str] | int
            if not self._counts_by_rowcount:
                new_ids = self._insert_new(table, full, conn)
                added = new_ids if want_ids else len(new_ids)
                fresh = set(new_ids)
                used = set()
                for r in full:  # the first row of each new id is the stored one
                    if r[0] in fresh:
                        used.add(r[-2])
                        fresh.discard(r[0])
            else:
                # One writer at a time and rowids that only grow: what this insert added is what
                # lies above the largest pk before it, in input order (the first of an id wins).
                name = table.name
                before = conn.exec_driver_sql(f"SELECT coalesce(max(pk), 0) FROM {name}").scalar()
                sql = self._sql[name]
                if name in self._unique_deferred:
                    sql = sql.removesuffix(_ON_CONFLICT)
                added = conn.exec_driver_sql(sql, full).rowcount
                used = set()
                if added == len(full):  # every row was new: every block holding rows is used
                    used = {pk for pk, (count, _) in zip(pks, blocks or (), strict=True) if count}
                elif added and pks:
                    sql = f"SELECT DISTINCT raw_block FROM {name} WHERE pk > ?"
                    used = {r[0] for r in conn.exec_driver_sql(sql, (before,))}
                if want_ids and added == len(full):  # every row went in, in input order
                    added = [r[0] for r in full]
                elif want_ids:
                    sql = f"SELECT id FROM {name} WHERE pk > ? ORDER BY pk"
                    found = conn.exec_driver_sql(sql, (before,)).fetchall() if added else []
                    added = [r[0] for r in found]
            unused = [pk for pk in pks if pk not in used]
            if unused:
                conn.execute(raw_blocks.delete().where(raw_blocks.c.pk.in_(unused)))
        return added

    def add_sign_in_rows(
        self,
        rows: list[tuple[Any, ...]],
        conn: Connection | None = None,
        blocks: RawBlocks | None = None,
        *,
        want_ids: bool = True,
    ) -> list[str] | int:
        """Insert rows made by :func:`sign_in_row` (the parallel ingest path builds them).

        ``blocks`` holds their raw records (then rows carry none themselves). Returns the ids that
        were new, or with ``want_ids=False`` only how many (cheaper on SQLite).
        """
        return self._insert_rows(sign_ins, rows, blocks, conn, want_ids)

    def add_graph_activity_rows(
        self,
        rows: list[tuple[Any, ...]],
        conn: Connection | None = None,
        blocks: RawBlocks | None = None,
        *,
        want_ids: bool = True,
    ) -> list[str] | int:
        """Insert rows made by :func:`graph_row` (see :meth:`add_sign_in_rows`)."""
        return self._insert_rows(graph_activities, rows, blocks, conn, want_ids)

    def add_sign_ins(
        self, items: Sequence[tuple[SignIn, bytes | None]], conn: Connection | None = None
    ) -> list[str]:
        rows = [sign_in_row(s, raw) for s, raw in items]
        return self._insert_new(sign_ins, [(*r, None, None) for r in rows], conn)

    def add_graph_activities(
        self, items: Sequence[tuple[GraphActivity, bytes | None]], conn: Connection | None = None
    ) -> list[str]:
        rows = [graph_row(g, raw) for g, raw in items]
        return self._insert_new(graph_activities, [(*r, None, None) for r in rows], conn)

    def add_audit_events(
        self, items: Sequence[tuple[AuditEvent, bytes | None]], conn: Connection | None = None
    ) -> list[str]:
        new_ids = self._insert_new(audit_events, [_audit_row(a, raw) for a, raw in items], conn)
        if new_ids:
            by_id: dict[str, AuditEvent] = {}
            for a, _ in items:  # the first of an id is the one stored (_first_of_each_id)
                by_id.setdefault(a.id, a)
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
        query = select(*SIGN_IN_READ).where(c.service_principal_id == sp_id)
        if start is not None:
            query = query.where(c.created_at >= start)
        if end is not None:
            query = query.where(c.created_at < end)
        with self._engine.connect() as conn:
            rows = conn.execute(query.order_by(c.created_at, c.pk)).all()
        return [sign_in_from_row(r) for r in rows]

    def iter_sign_ins(self, batch: int = 5000) -> Iterator[SignIn]:
        """Every stored sign-in in time order (for replays such as ``vigil detect --rebuild``)."""
        query = select(*SIGN_IN_READ).order_by(sign_ins.c.created_at, sign_ins.c.pk)
        with self._engine.connect() as conn:
            for row in conn.execution_options(yield_per=batch).execute(query):
                yield sign_in_from_row(row)

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
        """The stored raw record (as read, or re-serialized when the source was not JSON)."""
        table = {"signins": sign_ins, "audit": audit_events, "graphactivity": graph_activities}[
            kind
        ]
        c = table.c
        with self._engine.connect() as conn:
            if table is audit_events:
                return conn.execute(select(c.raw).where(c.id == record_id)).scalar()
            row = conn.execute(
                select(c.raw, c.raw_block, c.raw_line).where(c.id == record_id)
            ).first()
            if row is None or row.raw is not None or row.raw_block is None:
                return None if row is None else row.raw
            frame = conn.execute(
                select(raw_blocks.c.data).where(raw_blocks.c.pk == row.raw_block)
            ).scalar()
        return None if frame is None else rawcodec.block_record(bytes(frame), row.raw_line)

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
