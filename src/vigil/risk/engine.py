"""Risk state of one service principal and the pure ``transition`` function that changes it.

Contract
--------
``transition(state, action, now) -> Transition`` is pure: no I/O, no clock (``now`` is given), and
it is the only code in Vigil that changes ``riskState``, ``riskLevel`` or ``riskDetail``. Every call
yields exactly one new history item, numbered one past the last.

Rules (Graph semantics; inferred details are documented in ``shared/spec`` §1.5):

* **Active detections** are those in ``atRisk`` or ``confirmedCompromised``; a ``low`` detection whose
  activity is older than :data:`LOW_RISK_LIFETIME` (180 days) at ``now`` has aged out and no longer
  counts.
* **Aggregate level** = the highest level among active detections (``none`` when there are none).
* ``DetectionAdded`` → ``atRisk`` (unless already ``confirmedCompromised``, which it keeps); a
  detection with a known id replaces the old one (an episode that grew).
* ``ConfirmCompromised`` → ``confirmedCompromised`` / ``high`` /
  ``adminConfirmedServicePrincipalCompromised`` and adds a ``high`` detection of type
  ``adminConfirmedServicePrincipalCompromised``; open detections become ``confirmedCompromised``.
* ``Dismiss`` → ``dismissed`` / ``none`` / ``adminDismissedAllRiskForServicePrincipal``; open
  detections are closed as ``dismissed``. Only a new detection brings the principal back to ``atRisk``.
* ``Remediate`` → ``remediated`` / ``none`` / ``none``; open detections are closed as ``remediated``.
* ``AgeOut`` re-evaluates aging; when nothing active is left an ``atRisk`` principal returns to
  ``none``.
* ``SetEnabled`` records an enable/disable of the principal; risk is unchanged but for aging.

An admin action that would change nothing is not applied (:func:`already_done`): confirming a
principal that is confirmed compromised with no detection left open since, dismissing or
remediating one already dismissed or remediated with nothing open, enabling or disabling one
already so. A retried request or a second click adds no detection and no history item.

Every transition applies aging at ``now``, so the stored level always equals the highest active
detection's level as of ``riskLastUpdatedDateTime``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from vigil.model import (
    ActivityType,
    RiskDetail,
    RiskDetection,
    RiskDetectionTimingType,
    RiskEventType,
    RiskHistoryItem,
    RiskLevel,
    RiskState,
    RiskyServicePrincipal,
    detection_id,
    history_item_id,
    level_rank,
)

LOW_RISK_LIFETIME = timedelta(days=180)
#: ``initiatedBy`` of transitions that Vigil itself makes (detections, aging).
SYSTEM_ACTOR = "Vigil"


@dataclass(frozen=True, slots=True)
class RiskSubject:
    """What the engine needs to know about the principal itself."""

    id: str
    display_name: str | None
    app_id: str | None
    service_principal_type: str | None
    is_enabled: bool = True


@dataclass(frozen=True, slots=True)
class SpRisk:
    """A principal's risk: its current record, its detections (open and closed), last sequence."""

    principal: RiskyServicePrincipal
    detections: tuple[RiskDetection, ...]
    sequence: int


@dataclass(frozen=True, slots=True)
class DetectionAdded:
    detection: RiskDetection


@dataclass(frozen=True, slots=True)
class ConfirmCompromised:
    actor: str


@dataclass(frozen=True, slots=True)
class Dismiss:
    actor: str


@dataclass(frozen=True, slots=True)
class Remediate:
    actor: str


@dataclass(frozen=True, slots=True)
class AgeOut:
    actor: str = SYSTEM_ACTOR


@dataclass(frozen=True, slots=True)
class SetEnabled:
    actor: str
    enabled: bool


Action = DetectionAdded | ConfirmCompromised | Dismiss | Remediate | AgeOut | SetEnabled


@dataclass(frozen=True, slots=True)
class Transition:
    state: SpRisk
    history: RiskHistoryItem
    #: Detections that are new or changed by this transition (to be stored).
    changed_detections: tuple[RiskDetection, ...]


def initial_state(subject: RiskSubject, now: datetime) -> SpRisk:
    principal = RiskyServicePrincipal(
        id=subject.id,
        display_name=subject.display_name,
        app_id=subject.app_id,
        service_principal_type=subject.service_principal_type,
        is_enabled=subject.is_enabled,
        risk_level=RiskLevel.none,
        risk_state=RiskState.none,
        risk_detail=RiskDetail.none,
        risk_last_updated_date_time=now,
    )
    return SpRisk(principal=principal, detections=(), sequence=0)


def _is_active(d: RiskDetection, now: datetime) -> bool:
    if not d.is_open:
        return False
    return not (d.risk_level == RiskLevel.low and now - d.activity_date_time > LOW_RISK_LIFETIME)


def active_detections(detections: tuple[RiskDetection, ...], now: datetime) -> list[RiskDetection]:
    return [d for d in detections if _is_active(d, now)]


def aggregate_level(detections: tuple[RiskDetection, ...], now: datetime) -> RiskLevel:
    best = max((level_rank(d.risk_level) for d in active_detections(detections, now)), default=0)
    return {0: RiskLevel.none, 1: RiskLevel.low, 2: RiskLevel.medium, 3: RiskLevel.high}[best]


def needs_age_out(state: SpRisk, now: datetime) -> bool:
    """True when aging at ``now`` would change the principal's level or state."""
    p = state.principal
    return (
        p.risk_state == RiskState.atRisk and aggregate_level(state.detections, now) != p.risk_level
    )


def already_done(state: SpRisk, action: Action) -> bool:
    """True when the admin ``action`` would change nothing of ``state`` but add a history item
    (and for a confirmation a second admin-confirmed detection)."""
    p = state.principal
    match action:
        case ConfirmCompromised():
            return p.risk_state == RiskState.confirmedCompromised and all(
                d.risk_state != RiskState.atRisk for d in state.detections
            )
        case Dismiss():
            done = RiskState.dismissed
        case Remediate():
            done = RiskState.remediated
        case SetEnabled(enabled=enabled):
            return p.is_enabled == enabled
        case _:
            return False
    return p.risk_state == done and not any(d.is_open for d in state.detections)


def _close(
    detections: tuple[RiskDetection, ...], now: datetime, state: RiskState, detail: RiskDetail
) -> tuple[tuple[RiskDetection, ...], tuple[RiskDetection, ...]]:
    """Close every open detection; returns (all detections, the changed ones)."""
    out: list[RiskDetection] = []
    changed: list[RiskDetection] = []
    for d in detections:
        if d.is_open:
            d = replace(d, risk_state=state, risk_detail=detail, last_updated_date_time=now)
            changed.append(d)
        out.append(d)
    return tuple(out), tuple(changed)


def _confirm_detection(subject: RiskyServicePrincipal, actor: str, now: datetime) -> RiskDetection:
    kind = RiskEventType.adminConfirmedServicePrincipalCompromised
    return RiskDetection(
        id=detection_id(kind, subject.id, actor, now.isoformat()),
        service_principal_id=subject.id,
        risk_event_type=kind,
        risk_level=RiskLevel.high,
        risk_state=RiskState.confirmedCompromised,
        risk_detail=RiskDetail.adminConfirmedServicePrincipalCompromised,
        activity=ActivityType.servicePrincipal,
        activity_date_time=now,
        detected_date_time=now,
        last_updated_date_time=now,
        detection_timing_type=RiskDetectionTimingType.realtime,
        app_id=subject.app_id,
        service_principal_display_name=subject.display_name,
        additional_info=(),
    )


def transition(state: SpRisk, action: Action, now: datetime) -> Transition:
    """Apply ``action`` at ``now`` and return the new state, its history item and changed detections."""
    p = state.principal
    detections = state.detections
    changed: tuple[RiskDetection, ...] = ()
    actor = SYSTEM_ACTOR
    event_types: tuple[str, ...] = ()
    risk_state, detail, enabled = p.risk_state, p.risk_detail, p.is_enabled

    match action:
        case DetectionAdded(detection=new):
            detections = (*tuple(d for d in detections if d.id != new.id), new)
            changed = (new,)
            event_types = (new.risk_event_type,)
            if risk_state != RiskState.confirmedCompromised:
                risk_state, detail = RiskState.atRisk, RiskDetail.none
        case ConfirmCompromised(actor=actor):
            confirm_detail = RiskDetail.adminConfirmedServicePrincipalCompromised
            detections, changed = _close(
                detections, now, RiskState.confirmedCompromised, confirm_detail
            )
            admin = _confirm_detection(p, actor, now)
            detections += (admin,)
            changed += (admin,)
            event_types = (admin.risk_event_type,)
            risk_state, detail = RiskState.confirmedCompromised, confirm_detail
        case Dismiss(actor=actor):
            dismiss_detail = RiskDetail.adminDismissedAllRiskForServicePrincipal
            event_types = _types(active_detections(detections, now))
            detections, changed = _close(detections, now, RiskState.dismissed, dismiss_detail)
            risk_state, detail = RiskState.dismissed, dismiss_detail
        case Remediate(actor=actor):
            event_types = _types(active_detections(detections, now))
            detections, changed = _close(detections, now, RiskState.remediated, RiskDetail.none)
            risk_state, detail = RiskState.remediated, RiskDetail.none
        case AgeOut(actor=actor):
            event_types = _types([d for d in detections if d.is_open and not _is_active(d, now)])
        case SetEnabled(actor=actor, enabled=enabled):
            pass

    level = aggregate_level(detections, now)
    if risk_state == RiskState.atRisk and level == RiskLevel.none:
        risk_state, detail = RiskState.none, RiskDetail.none
    principal = replace(
        p,
        risk_state=risk_state,
        risk_level=level,
        risk_detail=detail,
        is_enabled=enabled,
        risk_last_updated_date_time=now,
    )
    sequence = state.sequence + 1
    history = RiskHistoryItem(
        id=history_item_id(p.id, sequence),
        sequence=sequence,
        principal=principal,
        initiated_by=actor,
        activity_detail=detail,
        activity_risk_event_types=event_types,
    )
    return Transition(
        state=SpRisk(principal=principal, detections=detections, sequence=sequence),
        history=history,
        changed_detections=changed,
    )


def _types(detections: list[RiskDetection]) -> tuple[str, ...]:
    return tuple(sorted({d.risk_event_type for d in detections}))
