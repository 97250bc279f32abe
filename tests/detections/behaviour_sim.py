"""Test helpers for detectors: simulated tenants, stores, in-memory contexts and hand-built records."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from vigil.app import App, build
from vigil.ingest.pipeline import NewRecords
from vigil.model import (
    Application,
    AuditEvent,
    GraphActivity,
    RiskDetection,
    ServicePrincipal,
    SignIn,
)
from vigil.settings import load_settings
from vigil.simulate import SimConfig, simulate

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def simulated(root: Path, name: str, **cfg: Any) -> Path:
    """A simulated tenant written to ``root / name`` (see ``vigil.simulate.SimConfig``)."""
    out = root / name
    simulate(SimConfig(**cfg), out)
    return out


def app_on(db: Path, clock: Any = None) -> App:
    settings = load_settings(database_url=f"sqlite:///{db}")
    return build(settings, clock=clock or (lambda: T0 + timedelta(days=400)))


def ingest(app: App, source: Path, *, detect: bool, batch_size: int = 5000) -> None:
    app.ingestor(detect=detect, batch_size=batch_size).ingest([str(source)])


def detection_rows(detections: Iterable[RiskDetection]) -> set[tuple[Any, ...]]:
    """What must not depend on how records reached the detectors."""
    return {
        (d.id, d.risk_event_type, d.service_principal_id, d.risk_level.value,
         d.activity_date_time, orjson.dumps([[e.key, e.value] for e in d.additional_info]))
        for d in detections
    }


class MemoryContext:
    """A ``DetectionContext`` over a dict of JSON states (round-tripped like the store's)."""

    def __init__(self, states: dict[tuple[str, str], bytes] | None = None,
                 sps: Iterable[ServicePrincipal] = (), apps: Iterable[Application] = (),
                 now: datetime = T0 + timedelta(days=400)) -> None:
        self.states = {} if states is None else states
        self.sps = {sp.id: sp for sp in sps}
        self.apps = {a.app_id: a for a in apps}
        self._now = now
        #: Stored detections by id, as admins left them (``detections``).
        self.stored: dict[str, RiskDetection] = {}

    def now(self) -> datetime:
        return self._now

    def service_principal(self, sp_id: str) -> ServicePrincipal | None:
        return self.sps.get(sp_id)

    def service_principal_by_app_id(self, app_id: str) -> ServicePrincipal | None:
        return next((sp for sp in self.sps.values() if sp.app_id == app_id), None)

    def application_by_app_id(self, app_id: str) -> Application | None:
        return self.apps.get(app_id)

    def detections(self, ids: Sequence[str]) -> dict[str, RiskDetection]:
        return {i: self.stored[i] for i in ids if i in self.stored}

    def confirmations(self, sp_id: str) -> list[datetime]:
        return [d.activity_date_time for d in self.stored.values()
                if d.service_principal_id == sp_id
                and d.risk_event_type == "adminConfirmedServicePrincipalCompromised"]

    def load_state(self, detector: str, key: str) -> Any:
        raw = self.states.get((detector, key))
        return None if raw is None else orjson.loads(raw)

    def save_state(self, detector: str, key: str, state: Any) -> None:
        self.states[(detector, key)] = orjson.dumps(state)


def record_time(r: SignIn | AuditEvent | GraphActivity) -> datetime:
    if isinstance(r, SignIn):
        return r.created_date_time
    if isinstance(r, AuditEvent):
        return r.activity_date_time
    return r.time


def batches(records: Iterable[SignIn | AuditEvent | GraphActivity], size: int,
            sps: Iterable[ServicePrincipal] = ()) -> Iterator[NewRecords]:
    """``records`` (any kinds, in the given order) cut into ``NewRecords`` of ``size``."""
    first = NewRecords(service_principals=list(sps))
    if first.service_principals:
        yield first
    batch, n = NewRecords(), 0
    for r in records:
        if isinstance(r, SignIn):
            batch.sign_ins.append(r)
        elif isinstance(r, AuditEvent):
            batch.audit_events.append(r)
        else:
            batch.graph_activities.append(r)
        n += 1
        if n >= size:
            yield batch
            batch, n = NewRecords(), 0
    if n:
        yield batch


def stored_records(app: App) -> list[SignIn | AuditEvent | GraphActivity]:
    """Every activity record of a store, merged in time order."""
    a = app.store.activity
    return list(heapq.merge(a.iter_sign_ins(), a.iter_audit_events(), a.iter_graph_activities(),
                            key=record_time))


def run(detector: Any, stream: Iterable[NewRecords], ctx: MemoryContext) -> dict[str, RiskDetection]:
    """Feed ``stream`` to ``detector``; the last version of each detection, by id."""
    found: dict[str, RiskDetection] = {}
    for b in stream:
        for d in detector.detect(b, ctx):
            found[d.id] = d
    return found


def feed(app: App, records: list[SignIn | AuditEvent | GraphActivity]) -> None:
    """Store ``records`` and run the detectors on them in one transaction, as an ingest does,
    with the app's clock (a ``FakeClock``) moved to a minute after the last of them and left
    there: an admin's verdict given next comes after what was fed."""
    clock: Any = app.clock
    clock.now = max(clock.now, max(record_time(r) for r in records) + timedelta(minutes=1))
    new = NewRecords(sign_ins=[r for r in records if isinstance(r, SignIn)],
                     audit_events=[r for r in records if isinstance(r, AuditEvent)],
                     graph_activities=[r for r in records if isinstance(r, GraphActivity)])
    a = app.store.activity
    with app.store.engine.connect() as conn, conn.begin():
        a.add_sign_ins([(s, None) for s in new.sign_ins], conn)
        a.add_audit_events([(e, None) for e in new.audit_events], conn)
        a.add_graph_activities([(g, None) for g in new.graph_activities], conn)
        app.detection.observe(conn, new)
        app.detection.commit(conn)
