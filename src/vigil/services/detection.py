"""Runs the registered detectors: inline as an ingest observer, or over the whole store (rebuild).

Streaming and rebuild share one path: records go to every detector, detections go through
``RiskService.record_detection`` and detector state is written, all on the batch's connection. A
rebuild is one transaction and records only the last version of each detection (see
:meth:`DetectionService.rebuild`).

Detector state read or saved during a transaction is kept in memory until the transaction ends
(:meth:`DetectionService.commit` writes it on the same connection just before the commit;
:meth:`DetectionService.rollback` forgets it). An ingest transaction holds several batches
(``vigil.ingest.pipeline``), and a principal's state is then loaded and written once per
transaction, not once per batch. Past ``MAX_PENDING_STATES`` states it is written early.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from vigil.detections.base import CarriesOver, Detector
from vigil.ingest.pipeline import NewRecords
from vigil.model import (
    Application,
    AuditEvent,
    GraphActivity,
    RiskDetection,
    ServicePrincipal,
    SignIn,
)
from vigil.services.risk import RiskService
from vigil.store import Store
from vigil.store.database import IMMEDIATE


@dataclass
class StoreContext:
    """``DetectionContext`` over the store, reading and writing on the batch's connection."""

    store: Store
    conn: Connection
    clock: Callable[[], datetime]
    _states: dict[tuple[str, str], Any] = field(default_factory=dict)
    _dirty: set[tuple[str, str]] = field(default_factory=set)

    def now(self) -> datetime:
        return self.clock()

    def service_principal(self, sp_id: str) -> ServicePrincipal | None:
        return self.store.inventory.service_principal(sp_id, self.conn)

    def service_principal_by_app_id(self, app_id: str) -> ServicePrincipal | None:
        return self.store.inventory.service_principals_by_app_id([app_id], self.conn).get(app_id)

    def application_by_app_id(self, app_id: str) -> Application | None:
        return self.store.inventory.applications_by_app_id([app_id], self.conn).get(app_id)

    def detections(self, ids: Sequence[str]) -> dict[str, RiskDetection]:
        return self.store.risk.detections_by_id(ids, self.conn)

    def confirmations(self, sp_id: str) -> list[datetime]:
        return self.store.risk.confirmations(sp_id, self.conn)

    def load_state(self, detector: str, key: str) -> Mapping[str, Any] | None:
        k = (detector, key)
        if k not in self._states:
            self._states[k] = self.store.detector_state.load_one(detector, key, self.conn)
        return self._states[k]

    def save_state(self, detector: str, key: str, state: Mapping[str, Any]) -> None:
        self._states[(detector, key)] = state
        self._dirty.add((detector, key))

    def flush(self) -> None:
        dirty = {k: self._states[k] for k in self._dirty}
        self.store.detector_state.save(dirty, self.clock(), self.conn)
        self._dirty.clear()

    @property
    def held(self) -> int:
        """How many states this context holds in memory."""
        return len(self._states)

    def forget(self) -> None:
        """Drop the states held (after :meth:`flush`: the store has them)."""
        assert not self._dirty, "flush() first"
        self._states.clear()


#: States a transaction keeps in memory before writing them early (bounds memory on principals).
MAX_PENDING_STATES = 50_000


class DetectionService:
    """An ingest ``Observer`` that runs ``detectors`` and records what they find."""

    def __init__(
        self,
        store: Store,
        risk: RiskService,
        detectors: Sequence[Detector],
        clock: Callable[[], datetime],
    ) -> None:
        self._store = store
        self._risk = risk
        self._detectors = list(detectors)
        self._clock = clock
        self._ctx: StoreContext | None = None

    @property
    def detectors(self) -> tuple[Detector, ...]:
        """The detectors it runs, in registry order."""
        return tuple(self._detectors)

    def observe(self, conn: Connection, records: NewRecords) -> int:
        """Run the detectors on a batch; call :meth:`commit` (or :meth:`rollback`) to end it."""
        ctx = self._ctx
        if ctx is None:
            ctx = self._ctx = StoreContext(self._store, conn, self._clock)
        elif ctx.conn is not conn:
            raise RuntimeError("a new transaction began before commit() or rollback() of the last")
        changed = 0
        for detection in self._detect(records, ctx):
            if self._risk.record_detection(detection, conn) is not None:
                changed += 1
        return changed

    def _detect(self, records: NewRecords, ctx: StoreContext) -> list[RiskDetection]:
        """What every detector finds in ``records``; past ``MAX_PENDING_STATES`` states held,
        they are written early (on the context's transaction) and forgotten."""
        found = [d for detector in self._detectors for d in detector.detect(records, ctx)]
        if ctx.held > MAX_PENDING_STATES:
            ctx.flush()
            ctx.forget()
        return found

    def commit(self, conn: Connection) -> None:
        """Write the detector state held for this transaction (call before it commits)."""
        ctx, self._ctx = self._ctx, None
        if ctx is not None:
            if ctx.conn is not conn:
                raise RuntimeError("commit() on another transaction than observe() ran in")
            ctx.flush()

    def rollback(self) -> None:
        """The transaction was rolled back: forget what it held."""
        self._ctx = None

    def rebuild(self, batch_size: int = 5000, progress: Callable[[int], None] | None = None) -> int:
        """Forget all detector state and replay every stored record, in time order; returns how
        many risk changes the findings made.

        An episode is emitted again each time its evidence grows, so the replay keeps the last
        version of each detection (by id, which comes from the evidence) and records only those,
        once it has seen every record: a detection found before whose evidence ends the same is
        left as it is, admin actions and dismissals included, with nothing added to the risk
        history; only new or grown findings change risk. Recording the versions on the way would
        take a stored detection back to its partial evidence and level for a while.

        The replay is one transaction: stopped or killed midway, it changes nothing. It holds the
        write lock meanwhile, so an ingest waits for it, as long as it takes unless told
        otherwise (``vigil.store.write_lock``).
        """
        latest: dict[str, RiskDetection] = {}  # keeps the position of the first version
        done = 0
        with self._store.engine.connect() as conn:
            conn = conn.execution_options(**{IMMEDIATE: True})
            with conn.begin():
                kept = self._carried_over(conn)
                self._store.detector_state.clear(conn=conn)
                ctx = StoreContext(self._store, conn, self._clock)
                for (detector, key), state in kept.items():
                    ctx.save_state(detector, key, state)
                for batch in _replay_batches(self._store, batch_size):
                    for detection in self._detect(batch, ctx):
                        latest[detection.id] = detection
                    done += _size(batch)
                    if progress is not None:
                        progress(done)
                ctx.flush()
                recorded = (self._risk.record_detection(d, conn) for d in latest.values())
                return sum(1 for t in recorded if t is not None)

    def _carried_over(self, conn: Connection) -> dict[tuple[str, str], Mapping[str, Any]]:
        """The states the replay cannot re-derive, as the detectors that keep them say."""
        kept: dict[tuple[str, str], Mapping[str, Any]] = {}
        for detector in self._detectors:
            if not isinstance(detector, CarriesOver):
                continue
            name = detector.risk_event_type
            for key, state in self._store.detector_state.items(name, conn):
                carried = detector.carry_over(key, state)
                if carried is not None:
                    kept[(name, key)] = carried
        return kept


def _size(r: NewRecords) -> int:
    return (
        len(r.sign_ins)
        + len(r.audit_events)
        + len(r.graph_activities)
        + len(r.service_principals)
        + len(r.applications)
    )


def _replay_batches(store: Store, batch_size: int) -> Iterator[NewRecords]:
    """The inventory first, then activity records merged in time order, ``batch_size`` at a time."""
    yield NewRecords(
        service_principals=store.inventory.all_service_principals(),
        applications=store.inventory.applications(),
    )
    streams: list[Iterator[SignIn | AuditEvent | GraphActivity]] = [
        store.activity.iter_sign_ins(),
        store.activity.iter_audit_events(),
        store.activity.iter_graph_activities(),
    ]
    batch = NewRecords()
    count = 0
    for record in _merge_by_time(streams):
        match record:
            case SignIn():
                batch.sign_ins.append(record)
            case AuditEvent():
                batch.audit_events.append(record)
            case GraphActivity():
                batch.graph_activities.append(record)
        count += 1
        if count >= batch_size:
            yield batch
            batch, count = NewRecords(), 0
    if count:
        yield batch


def _time(record: SignIn | AuditEvent | GraphActivity) -> datetime:
    match record:
        case SignIn():
            return record.created_date_time
        case AuditEvent():
            return record.activity_date_time
        case GraphActivity():
            return record.time


def _merge_by_time(
    streams: list[Iterator[SignIn | AuditEvent | GraphActivity]],
) -> Iterator[SignIn | AuditEvent | GraphActivity]:
    return heapq.merge(*streams, key=_time)
