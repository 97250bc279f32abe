"""``vigil intel``: add, list, remove and sync indicators, and retro-match new ones.

Retro-matching: indicators that are new or changed are matched against the activity stored within
``retro_match_days`` (sign-ins by address, ASN and user agent; app-only Graph requests by address
and user agent; app-initiated audit events by address) through the same detector code as ingest,
on one transaction. A hit gives the detection at the original activity time, with the same id an
inline match would have had; records are matched against the indicators in force at their time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from vigil.detections.investigations_threat_intelligence import InvestigationsThreatIntelligence
from vigil.ingest.pipeline import NewRecords
from vigil.intel.indicator import Indicator, IndicatorKind
from vigil.intel.loader import load_path
from vigil.intel.matching import IndicatorSet
from vigil.intel.stix import StixResult, load_stix
from vigil.intel.taxii import CollectionRef, fetch_objects
from vigil.paths import source_name
from vigil.services.detection import StoreContext
from vigil.services.risk import RiskService
from vigil.store import Store
from vigil.store.database import IMMEDIATE
from vigil.store.intel import ActivityLookup, IndicatorRepository

if TYPE_CHECKING:
    from vigil.app import App


@dataclass
class IntelSummary:
    indicators: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0
    older: int = 0  # indicators read in an older version than the stored one: not applied
    ignored: int = 0
    rejects: list[tuple[str, str]] = field(default_factory=list)
    retro_records: int = 0
    retro_detections: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "indicators": self.indicators, "changed": self.changed, "unchanged": self.unchanged,
            "removed": self.removed, "older": self.older, "ignored": self.ignored,
            "rejected": [{"where": w, "reason": r} for w, r in self.rejects],
            "retroMatch": {"records": self.retro_records, "detections": self.retro_detections},
            "errors": [{"source": s, "reason": r} for s, r in self.errors],
        }


class IntelService:
    def __init__(self, store: Store, risk: RiskService, clock: Callable[[], datetime],
                 retro_match_days: int = 90) -> None:
        self.store, self.risk, self.clock = store, risk, clock
        self.retro_days = retro_match_days
        self.repo = IndicatorRepository(store.engine)
        self.activity = ActivityLookup(store.engine)

    def add(self, paths: Sequence[Path], source: str | None = None, fmt: str = "auto",
            kind: IndicatorKind | None = None, verified: bool = True,
            retro: bool = True, replace: bool = False) -> IntelSummary:
        """Store the indicators of ``paths``; ``replace``: each feed they fill becomes exactly
        what they hold (its other stored indicators are removed, as a sync does), for lists
        published whole again and again (a Tor exit list)."""
        summary = IntelSummary()
        changed: list[Indicator] = []
        held: dict[str, set[tuple[str, str, str]]] = {}
        for path in paths:
            result = load_path(path, source, fmt, kind, verified)
            changed += self._store(result, summary)
            for i in result.indicators:
                held.setdefault(i.source, set()).add((i.id, i.kind.value, i.value))
            for src in sorted({i.source for i in result.indicators}):
                count = sum(1 for i in result.indicators if i.source == src)
                where = source_name(path.resolve())  # text a store takes (vigil.paths)
                self.repo.record_feed(src, "file", where, count, self.clock())
        if replace:  # a feed no file filled (all rejected, or empty) is left as it is
            for src, keep in sorted(held.items()):
                summary.removed += self.repo.remove(source=src, keep=keep)
        if retro:
            self.retro_match(changed, summary)
        return summary

    def sync(self, collections: Iterable[str], retro: bool = True) -> IntelSummary:
        """Read every configured TAXII collection; the source becomes exactly what it holds."""
        summary = IntelSummary()
        changed: list[Indicator] = []
        for configured in collections:
            ref = CollectionRef.parse(configured)
            try:
                objects = fetch_objects(ref)
            except Exception as exc:  # network, HTTP or protocol errors: report, go on
                summary.errors.append((ref.url, f"{type(exc).__name__}: {str(exc)[:200]}"))
                continue
            result = load_stix(objects, ref.source, ref.url)
            changed += self._store(result, summary)
            keep = {(i.id, i.kind.value, i.value) for i in result.indicators}
            summary.removed += self.repo.remove(source=ref.source, keep=keep)
            self.repo.record_feed(ref.source, "taxii", ref.url, len(keep), self.clock())
        if retro:
            self.retro_match(changed, summary)
        return summary

    def _store(self, result: StixResult, summary: IntelSummary) -> list[Indicator]:
        changed, unchanged, removed, older = self.repo.upsert(
            result.indicators, self.clock(), versions=result.versions)
        summary.indicators += len(result.indicators)
        summary.changed += len(changed)
        summary.unchanged += unchanged
        summary.removed += removed
        summary.older += older
        summary.ignored += result.ignored
        summary.rejects += result.rejects
        return changed

    def remove(self, ids: Sequence[str] = (), source: str | None = None) -> int:
        return self.repo.remove(ids, source)

    def remove_known(
        self, ids: Sequence[str] = (), source: str | None = None
    ) -> tuple[int, list[str]]:
        """(rows deleted, unknown ids or feed): nothing is removed when any is unknown
        (``IntelRepository.remove_known``)."""
        return self.repo.remove_known(ids, source)

    def list(self, source: str | None = None) -> list[Indicator]:
        return self.repo.all(source)

    # -- retro-matching ---------------------------------------------------------------------------

    def retro_match(self, indicators: Sequence[Indicator], summary: IntelSummary) -> None:
        live = [i for i in indicators if not i.revoked]
        if not live:
            return
        lookup = IndicatorSet(live)
        since = self.clock() - timedelta(days=self.retro_days)
        records = self._candidates(live, lookup, since)
        summary.retro_records = len(records.sign_ins) + len(records.graph_activities) + len(
            records.audit_events)
        if summary.retro_records == 0:
            return
        detector = InvestigationsThreatIntelligence()
        with self.store.engine.connect() as conn:
            conn = conn.execution_options(**{IMMEDIATE: True})
            with conn.begin():
                ctx = StoreContext(self.store, conn, self.clock)
                for d in detector.match(records, lookup, ctx):
                    if self.risk.record_detection(d, conn) is not None:
                        summary.retro_detections += 1
                ctx.flush()

    def _candidates(self, live: list[Indicator], lookup: IndicatorSet,
                    since: datetime) -> NewRecords:
        has_ip = any(i.kind is IndicatorKind.ip for i in live)
        ips = sorted(ip for ip in self.activity.distinct_ips(since) if lookup.ip(ip, None)) \
            if has_ip else []
        asns = sorted({int(i.value) for i in live if i.kind is IndicatorKind.asn})
        uas = sorted({i.value for i in live if i.kind is IndicatorKind.user_agent})
        audits = [a for a in self.activity.app_audit_events(since)
                  if a.initiated_by and lookup.ip(a.initiated_by.ip_address, None)] if has_ip else []
        return NewRecords(
            sign_ins=self.activity.sign_ins(since, ips, asns, uas),
            graph_activities=self.activity.graph_activities(since, ips, uas),
            audit_events=audits,
        )


def intel_service(app: App) -> IntelService:
    return IntelService(app.store, app.risk, app.clock, app.settings.indicators.retro_match_days)
