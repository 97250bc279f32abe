"""Threat-intelligence indicators and feeds; the activity look-ups that retro-matching needs."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine, Table, delete, func, select

from vigil.intel.indicator import Indicator, IndicatorKind
from vigil.model import AuditEvent, GraphActivity, SignIn
from vigil.store.bytewise import bytewise
from vigil.store.codec import from_doc
from vigil.store.database import transaction
from vigil.store.inventory import upsert_statement
from vigil.store.signin_rows import SIGN_IN_READ, sign_in_from_row
from vigil.store.tables import (
    audit_events,
    graph_activities,
    intel_feeds,
    intel_indicators,
    sign_ins,
)

C = intel_indicators.c
CHUNK = 500


def _row(ind: Indicator, now: datetime) -> dict[str, Any]:
    return {
        "id": ind.id, "kind": ind.kind.value, "value": ind.value, "source": ind.source,
        "name": ind.name, "valid_from": ind.valid_from, "valid_until": ind.valid_until,
        "revoked": ind.revoked, "confidence": ind.confidence, "labels": list(ind.labels),
        "added_at": now, "updated_at": now, "modified": ind.modified,
    }


def _indicator(row: Any) -> Indicator:
    return Indicator(
        id=row.id, kind=IndicatorKind(row.kind), value=row.value, source=row.source,
        name=row.name, valid_from=row.valid_from, valid_until=row.valid_until,
        revoked=bool(row.revoked), confidence=row.confidence, labels=tuple(row.labels or ()),
        modified=row.modified,
    )


def _key(ind: Indicator) -> tuple[str, str, str, str]:
    return (ind.id, ind.kind.value, ind.value, ind.source)


_FIELDS = ("name", "valid_from", "valid_until", "revoked", "confidence", "labels", "modified")


class Stored(NamedTuple):
    changed: list[Indicator]  # new or changed
    unchanged: int
    removed: int  # values no longer in their indicator's current version
    older: int = 0  # (source, id) pairs read in an older version than the stored one: kept


class IndicatorRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def upsert(self, indicators: Iterable[Indicator], now: datetime,
               conn: Connection | None = None,
               versions: Mapping[tuple[str, str], datetime | None] | None = None) -> Stored:
        """Store indicators, one row per feed and value. The indicators of a (source, id) are its
        whole current version: that feed's rows of the id with other values are deleted (a newer
        STIX version names another address), as are all rows of the ``versions`` pairs that the
        batch holds no indicator for (a newer version Vigil ignores or rejects). A version older
        than the stored one (``modified``; STIX 2.1 §3.6) changes nothing."""
        items = {_key(i): i for i in indicators}
        versions = versions or {}
        current = {(i.source, i.id) for i in items.values()} | set(versions)
        if not current:
            return Stored([], 0, 0)
        with transaction(self._engine, conn, write=True) as conn:
            old = {}
            for chunk in _chunks(sorted({id_ for _, id_ in current}), CHUNK):
                for row in conn.execute(select(intel_indicators).where(C.id.in_(chunk))):
                    old[(row.id, row.kind, row.value, row.source)] = _indicator(row)
            stale = _older(items.values(), old.values(), versions)
            items = {k: i for k, i in items.items() if (k[3], k[0]) not in stale}
            current -= stale
            changed = [i for k, i in items.items() if old.get(k) != i]
            gone = [k for k in old if (k[3], k[0]) in current and k not in items]
            for id_, kind, value, source in gone:
                conn.execute(delete(intel_indicators).where(
                    C.id == id_, C.kind == kind, C.value == value, C.source == source))
            if changed:
                stmt = upsert_statement(self._engine, intel_indicators)
                stmt = stmt.on_conflict_do_update(
                    index_elements=["id", "kind", "value", "source"],
                    set_={f: getattr(stmt.excluded, f) for f in (*_FIELDS, "updated_at")},
                )
                conn.execute(stmt, [_row(i, now) for i in changed])
        return Stored(changed, len(items) - len(changed), len(gone), len(stale))

    def all(self, source: str | None = None, conn: Connection | None = None) -> list[Indicator]:
        query = select(intel_indicators).order_by(*map(bytewise, (C.source, C.id, C.kind, C.value)))
        if source is not None:
            query = query.where(C.source == source)
        with transaction(self._engine, conn) as conn:
            return [_indicator(r) for r in conn.execute(query)]

    def remove_known(
        self, ids: Sequence[str] = (), source: str | None = None
    ) -> tuple[int, list[str]]:
        """(rows deleted, unknown): :meth:`remove` when every one of ``ids`` (of ``source`` when
        given) names an indicator, or when only a source is given, a feed or an indicator of that
        name; else nothing is removed and the unknown are returned (``[source]`` for an unknown
        feed). One transaction holding the write lock: a sync in between cannot undo the check."""
        with transaction(self._engine, write=True) as conn:
            if ids:
                where = [C.id.in_(list(ids))] + ([C.source == source] if source is not None else [])
                found = set(conn.execute(select(C.id).where(*where).distinct()).scalars())
                unknown = [i for i in dict.fromkeys(ids) if i not in found]
            elif source is not None:
                feed = conn.execute(
                    select(intel_feeds.c.source).where(intel_feeds.c.source == source)
                ).first()
                rows = conn.execute(select(C.id).where(C.source == source).limit(1)).first()
                unknown = [] if feed is not None or rows is not None else [source]
            else:
                unknown = []
            if unknown:
                return 0, unknown
            return self.remove(ids, source, conn=conn), []

    def remove(self, ids: Sequence[str] = (), source: str | None = None,
               keep: Iterable[tuple[str, str, str]] | None = None,
               conn: Connection | None = None) -> int:
        """Delete indicators by id (of every feed, or of ``source`` only), or a source's (all, or all
        but ``keep``); returns rows deleted. Other feeds' rows of the same indicator stay."""
        with transaction(self._engine, conn, write=True) as conn:
            if ids:
                where = [C.id.in_(list(ids))] + ([C.source == source] if source is not None else [])
                return conn.execute(delete(intel_indicators).where(*where)).rowcount
            if source is None:
                return 0
            wanted = set(keep or ())
            rows = conn.execute(select(C.id, C.kind, C.value).where(C.source == source)).all()
            gone = [tuple(r) for r in rows if tuple(r) not in wanted]
            for id_, kind, value in gone:
                conn.execute(delete(intel_indicators).where(
                    C.id == id_, C.kind == kind, C.value == value, C.source == source))
            if keep is None:
                conn.execute(delete(intel_feeds).where(intel_feeds.c.source == source))
            return len(gone)

    def generation(self) -> tuple[int, datetime | None]:
        """Changes whenever indicators are added, changed or removed (for cache invalidation)."""
        with self._engine.connect() as conn:
            n, latest = conn.execute(select(func.count(), func.max(C.updated_at))).one()
        return int(n), latest

    def record_feed(self, source: str, kind: str, location: str | None, count: int,
                    now: datetime) -> None:
        stmt = upsert_statement(self._engine, intel_feeds)
        stmt = stmt.on_conflict_do_update(
            index_elements=["source"],
            set_={"kind": stmt.excluded.kind, "location": stmt.excluded.location,
                  "synced_at": stmt.excluded.synced_at, "indicators": stmt.excluded.indicators},
        )
        with transaction(self._engine, write=True) as conn:
            conn.execute(stmt, {"source": source, "kind": kind, "location": location,
                                "synced_at": now, "indicators": count})

    def feeds(self) -> list[dict[str, Any]]:
        with self._engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(select(intel_feeds).order_by(
                bytewise(intel_feeds.c.source)))]


def _older(new: Iterable[Indicator], stored: Iterable[Indicator],
           versions: Mapping[tuple[str, str], datetime | None]) -> set[tuple[str, str]]:
    """(source, id) pairs whose stored version is newer than the one read."""
    read = dict(versions)
    for i in new:
        read[(i.source, i.id)] = i.modified
    have: dict[tuple[str, str], datetime] = {}
    for i in stored:
        key = (i.source, i.id)
        if i.modified is not None and (key not in have or have[key] < i.modified):
            have[key] = i.modified
    return {k for k, at in read.items() if k in have and (at is None or at < have[k])}


def _chunks(items: Sequence[Any], n: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), n):
        yield items[i : i + n]


class ActivityLookup:
    """Stored activity by observable, for matching new indicators against the past."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def distinct_ips(self, since: datetime) -> set[str]:
        out: set[str] = set()
        with self._engine.connect() as conn:
            for table, col in ((sign_ins, sign_ins.c.created_at),
                               (graph_activities, graph_activities.c.time)):
                query = select(table.c.ip_address).where(col >= since).distinct()
                out.update(ip for ip in conn.execute(query).scalars() if ip)
        return out

    def sign_ins(self, since: datetime, ips: Sequence[str] = (), asns: Sequence[int] = (),
                 user_agents: Sequence[str] = ()) -> list[SignIn]:
        c = sign_ins.c
        found: dict[str, SignIn] = {}
        raw_uas = self._user_agents(since, user_agents) if user_agents else []
        for column, values in ((c.ip_address, ips), (c.asn, asns), (c.user_agent, raw_uas)):
            for s in self._docs(sign_ins, c.created_at, since, column, values, SignIn):
                found[s.id] = s
        return sorted(found.values(), key=lambda s: (s.created_date_time, s.id))

    def _user_agents(self, since: datetime, wanted: Sequence[str]) -> list[str]:
        """The stored sign-in user agents since ``since`` that are one of ``wanted`` as live
        matching compares them (trimmed, case-folded; SQL's lower() folds ASCII only on SQLite
        and trims nothing)."""
        folded = {u.strip().casefold() for u in wanted}
        c = sign_ins.c
        query = select(c.user_agent).where(c.created_at >= since, c.user_agent.is_not(None))
        with self._engine.connect() as conn:
            stored = conn.execute(query.distinct()).scalars()
            return sorted(ua for ua in stored if ua.strip().casefold() in folded)

    def graph_activities(self, since: datetime, ips: Sequence[str] = (),
                         user_agents: Sequence[str] = ()) -> list[GraphActivity]:
        c = graph_activities.c
        found = {g.id: g for g in self._docs(graph_activities, c.time, since, c.ip_address, ips,
                                             GraphActivity)}
        if user_agents:  # no column: read the period's app-only requests and compare
            wanted = {u.casefold() for u in user_agents}
            query = select(c.data).where(c.time >= since, c.service_principal_id.is_not(None))
            with self._engine.connect() as conn:
                for doc in conn.execution_options(yield_per=5000).execute(query).scalars():
                    if (doc.get("user_agent") or "").strip().casefold() in wanted:
                        g = from_doc(doc, GraphActivity)
                        found[g.id] = g
        return sorted(found.values(), key=lambda g: (g.time, g.id))

    def app_audit_events(self, since: datetime) -> list[AuditEvent]:
        """Audit events initiated by an app (their IP is in the record only)."""
        c = audit_events.c
        query = select(c.data).where(c.activity_at >= since,
                                     c.initiator_service_principal_id.is_not(None))
        with self._engine.connect() as conn:
            return [from_doc(d, AuditEvent) for d in conn.execute(query).scalars()]

    def _docs(self, table: Table, time_col: Any, since: datetime, column: Any,
              values: Sequence[Any], type_: type[Any]) -> Iterator[Any]:
        with self._engine.connect() as conn:
            for chunk in _chunks(list(values), CHUNK):
                where = (time_col >= since, column.in_(list(chunk)))
                if table is sign_ins:
                    for row in conn.execute(select(*SIGN_IN_READ).where(*where)):
                        yield sign_in_from_row(row)
                    continue
                for doc in conn.execute(select(table.c.data).where(*where)).scalars():
                    yield from_doc(doc, type_)
