"""Score detections against the ground truth of a simulated tenant (``labels.json``).

Matching rules (what ``vigil eval`` reports):

1. **Match.** Detection *D* matches label *L* when ``D.riskEventType == L.riskEventType``,
   ``D.servicePrincipalId == L.servicePrincipalId`` and
   ``L.start - slack <= D.activityDateTime <= L.end + horizon`` (defaults: slack 1 hour, horizon
   48 hours, Entra's offline-detection allowance). A detection may match several labels.
2. **Per riskEventType T** (every type that has labels or detections):

   * a detection of type T is *true* when it matches any label of type T, required or not;
     otherwise it is a false positive. ``precision = true / detections`` (None without detections);
   * a *required* label of type T is *found* when at least one detection matches it, else missed;
     ``recall = found / required labels`` (None without required labels); labels with
     ``required: false`` never count against recall;
   * ``F1 = 2PR / (P + R)``; 0.0 when recall is 0; None when recall is None;
   * **delay** of a found label = the earliest matching detection's ``activityDateTime`` minus
     ``L.start`` (the first malicious record; negative within the slack); median and max over the
     found required labels, in seconds.

   Types listed under ``notSimulated`` in the labels (e.g. ``adminConfirmedServicePrincipalCompromised``,
   raised by an admin action) are reported with their detection count only and are not scored.
3. **Overall** is micro-averaged over the scored types (summed counts, then the same formulas).
4. **Benign-change alarms**: detections of risk level medium or high on a benign change's service
   principal with ``change.time <= activityDateTime <= change.time + horizon`` that match no label
   of any type; each detection counts once.
5. **Decoy hits**: detections that match no label and either name a decoy's keyId or are on a
   decoy's service principal within ``[decoy.time - slack, decoy.time + horizon]``.

Detections are taken as stored, whatever their riskState (dismissed detections still count).
Naive datetimes are read as UTC.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from vigil.model import RiskDetection, RiskEventType
from vigil.simulate.labels import Label, LabelSet

SLACK = timedelta(hours=1)
HORIZON = timedelta(hours=48)
ALARM_LEVELS = frozenset({"medium", "high"})


@dataclass(frozen=True, slots=True)
class TypeScore:
    risk_event_type: str
    required_labels: int
    found: int
    detections: int
    true_detections: int
    precision: float | None
    recall: float | None
    f1: float | None
    median_delay_s: float | None
    max_delay_s: float | None
    missed: tuple[str, ...] = ()

    @property
    def false_positives(self) -> int:
        return self.detections - self.true_detections


@dataclass(frozen=True, slots=True)
class Report:
    types: tuple[TypeScore, ...]
    overall: TypeScore
    benign_alarms: tuple[str, ...]
    decoy_hits: tuple[str, ...]
    not_simulated: dict[str, int] = field(default_factory=dict)
    slack: timedelta = SLACK
    horizon: timedelta = HORIZON


def _utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def matches(d: RiskDetection, lb: Label, slack: timedelta = SLACK,
            horizon: timedelta = HORIZON) -> bool:
    """Rule 1."""
    return (
        d.risk_event_type == lb.risk_event_type
        and d.service_principal_id == lb.service_principal_id
        and _utc(lb.start) - slack <= _utc(d.activity_date_time) <= _utc(lb.end) + horizon
    )


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def _f1(p: float | None, r: float | None) -> float | None:
    if r is None:
        return None
    if r == 0 or not p:
        return 0.0
    return 2 * p * r / (p + r)


def _score(kind: str, labels: list[Label], detections: list[RiskDetection], slack: timedelta,
           horizon: timedelta) -> TypeScore:
    true = [d for d in detections if any(matches(d, lb, slack, horizon) for lb in labels)]
    required = [lb for lb in labels if lb.required]
    delays: list[float] = []
    missed: list[str] = []
    for lb in required:
        hits = [_utc(d.activity_date_time) for d in detections if matches(d, lb, slack, horizon)]
        if hits:
            delays.append((min(hits) - _utc(lb.start)).total_seconds())
        else:
            missed.append(lb.id)
    precision = _ratio(len(true), len(detections))
    recall = _ratio(len(delays), len(required))
    return TypeScore(
        risk_event_type=kind,
        required_labels=len(required),
        found=len(delays),
        detections=len(detections),
        true_detections=len(true),
        precision=precision,
        recall=recall,
        f1=_f1(precision, recall),
        median_delay_s=statistics.median(delays) if delays else None,
        max_delay_s=max(delays) if delays else None,
        missed=tuple(missed),
    )


def _order(kinds: Iterable[str]) -> list[str]:
    known = [t.value for t in RiskEventType]
    return sorted(set(kinds), key=lambda k: (known.index(k) if k in known else len(known), k))


def score(labels: LabelSet, detections: Sequence[RiskDetection], *, slack: timedelta = SLACK,
          horizon: timedelta = HORIZON) -> Report:
    """Apply the module's matching rules to ``detections``; pure."""
    unscored = {x["riskEventType"] for x in labels.not_simulated}
    kinds = _order([lb.risk_event_type for lb in labels.labels]
                   + [d.risk_event_type for d in detections])
    types: list[TypeScore] = []
    not_simulated: dict[str, int] = {}
    for kind in kinds:
        of_kind = [d for d in detections if d.risk_event_type == kind]
        if kind in unscored:
            not_simulated[kind] = len(of_kind)
            continue
        types.append(_score(kind, [lb for lb in labels.labels if lb.risk_event_type == kind],
                            of_kind, slack, horizon))
    unmatched = [d for d in detections
                 if d.risk_event_type not in unscored
                 and not any(matches(d, lb, slack, horizon) for lb in labels.labels)]
    alarms: dict[str, None] = {}
    for c in labels.benign_changes:
        lo, hi = _utc(c.time), _utc(c.time) + horizon
        for d in unmatched:
            if (d.service_principal_id == c.service_principal_id
                    and d.risk_level.value in ALARM_LEVELS
                    and lo <= _utc(d.activity_date_time) <= hi):
                alarms[d.id] = None
    decoys: dict[str, None] = {}
    for dec in labels.decoys:
        lo, hi = _utc(dec.time) - slack, _utc(dec.time) + horizon
        for d in unmatched:
            by_key = bool(set(dec.key_ids) & set(d.key_ids))
            by_sp = (dec.service_principal_id == d.service_principal_id
                     and lo <= _utc(d.activity_date_time) <= hi)
            if by_key or by_sp:
                decoys[d.id] = None
    return Report(types=tuple(types), overall=_overall(types), benign_alarms=tuple(alarms),
                  decoy_hits=tuple(decoys), not_simulated=not_simulated, slack=slack,
                  horizon=horizon)


def _overall(types: list[TypeScore]) -> TypeScore:
    req = sum(t.required_labels for t in types)
    found = sum(t.found for t in types)
    dets = sum(t.detections for t in types)
    true = sum(t.true_detections for t in types)
    precision, recall = _ratio(true, dets), _ratio(found, req)
    delays = [t.max_delay_s for t in types if t.max_delay_s is not None]
    return TypeScore("overall", req, found, dets, true, precision, recall, _f1(precision, recall),
                     None, max(delays) if delays else None,
                     tuple(m for t in types for m in t.missed))
