"""maliciousApplication: Microsoft disabled the application for a terms-of-service violation.

Signal
    The newest inventory snapshot of a service principal, or of the application behind it, has
    ``disabledByMicrosoftStatus`` set (e.g. ``DisabledDueToViolationOfServicesAgreement``; any value
    but ``NotDisabled``). Entra keeps such objects (they cannot be deleted) and refuses their
    sign-ins with AADSTS7000112 ("application is disabled").
Features
    The status on the service principal and / or the application; the first 7000112 sign-in
    failure of the principal (kept in detector state), which dates the disablement.
Known false positives
    None known: only Microsoft sets the status. 7000112 alone is not used (an admin disabling an
    app gives it too).
Graph mapping
    riskEventType ``maliciousApplication``; riskLevel ``high``; activity ``servicePrincipal``; timing
    ``offline``; additionalInfo: ``disabledByMicrosoftStatus``, ``disabledObjects``,
    ``firstDisabledSignIn``. One detection per service principal and status.
Timing
    An inventory snapshot carries no time, so ``activityDateTime`` is the first 7000112 failure
    when one is known, else the time of the newest record ingested before the snapshot was seen
    (the snapshot is taken after the logs it follows; kept once chosen), whichever is earlier. A
    snapshot seen before any record waits for a 7000112 failure. ``vigil detect --rebuild``
    replays the inventory first, so it cannot re-derive that anchor: it keeps each principal's
    (:meth:`MaliciousApplication.carry_over`), and failures ingested after a rebuild date the
    detection as they would have without it.
Example
    A consented SaaS app "DocuSign" is disabled by Microsoft on 30 Oct; its sign-ins fail with
    7000112 from then on; the 1 Nov inventory export carries the status: one high detection at the
    first failure.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

from vigil.detections.base import DetectionContext, Records
from vigil.model import (
    Application,
    InfoEntry,
    RiskDetection,
    RiskDetectionTimingType,
    RiskLevel,
    RiskState,
    ServicePrincipal,
    SignIn,
    detection_id,
)

TYPE = "maliciousApplication"
DISABLED_SIGN_IN = 7000112
NOT_DISABLED = frozenset({"", "notdisabled"})
STATE_VERSION = 1
CLOCK = "clock"


def disabled_status(obj: ServicePrincipal | Application | None) -> str | None:
    status = obj.disabled_by_microsoft_status if obj is not None else None
    return status if status and status.strip().lower() not in NOT_DISABLED else None


class MaliciousApplication:
    risk_event_type: ClassVar[str] = TYPE

    def detect(self, records: Records, ctx: DetectionContext) -> list[RiskDetection]:
        latest = self._clock(records, ctx)
        touched: set[str] = set()
        for s in sorted(records.sign_ins, key=lambda s: (s.created_date_time, s.id)):
            if s.error_code == DISABLED_SIGN_IN and self._first_failure(s, ctx):
                touched.add(s.service_principal_id)
        touched.update(sp.id for sp in records.service_principals if disabled_status(sp))
        for app in records.applications:
            if disabled_status(app):
                sp = ctx.service_principal_by_app_id(app.app_id)
                if sp is not None:
                    touched.add(sp.id)
        out = []
        for sp_id in sorted(touched):
            d = self._evaluate(sp_id, ctx, latest)
            if d is not None:
                out.append(d)
        return out

    def carry_over(self, key: str, state: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """A principal's anchor: when its snapshot was seen, which no replay can tell."""
        if key == CLOCK or state.get("anchor") is None:
            return None
        return {"version": STATE_VERSION, "anchor": state["anchor"]}

    def _clock(self, records: Records, ctx: DetectionContext) -> datetime | None:
        """The newest record time seen so far (kept in state), including this batch's."""
        times = [s.created_date_time for s in records.sign_ins]
        times += [a.activity_date_time for a in records.audit_events]
        times += [g.time for g in records.graph_activities]
        state = ctx.load_state(TYPE, CLOCK)
        latest = datetime.fromisoformat(state["latest"]) if state else None
        if times and (latest is None or max(times) > latest):
            latest = max(times)
            ctx.save_state(TYPE, CLOCK, {"version": STATE_VERSION, "latest": latest.isoformat()})
        return latest

    def _first_failure(self, s: SignIn, ctx: DetectionContext) -> bool:
        """Keep the earliest 7000112 failure; True when this one is it."""
        state = dict(ctx.load_state(TYPE, s.service_principal_id) or {"version": STATE_VERSION})
        old = state.get("firstFailure")
        if old is not None and datetime.fromisoformat(old[0]) <= s.created_date_time:
            return False
        state["firstFailure"] = [s.created_date_time.isoformat(), s.id]
        ctx.save_state(TYPE, s.service_principal_id, state)
        return True

    def _evaluate(self, sp_id: str, ctx: DetectionContext,
                  latest: datetime | None) -> RiskDetection | None:
        sp = ctx.service_principal(sp_id)
        if sp is None:
            return None
        app = ctx.application_by_app_id(sp.app_id)
        status = disabled_status(sp) or disabled_status(app)
        if status is None:
            return None
        state = dict(ctx.load_state(TYPE, sp_id) or {"version": STATE_VERSION})
        if state.get("anchor") is None and latest is not None:
            state["anchor"] = latest.isoformat()
            ctx.save_state(TYPE, sp_id, state)
        first = state.get("firstFailure")
        times = [datetime.fromisoformat(t) for t in (first[0] if first else None,
                                                     state.get("anchor")) if t]
        if not times:
            return None
        objects = [name for name, obj in (("servicePrincipal", sp), ("application", app))
                   if disabled_status(obj)]
        now = ctx.now()
        return RiskDetection(
            id=detection_id(TYPE, sp.id, status),
            service_principal_id=sp.id,
            risk_event_type=TYPE,
            risk_level=RiskLevel.high,
            risk_state=RiskState.atRisk,
            activity_date_time=min(times),
            detected_date_time=now,
            last_updated_date_time=now,
            detection_timing_type=RiskDetectionTimingType.offline,
            app_id=sp.app_id,
            service_principal_display_name=sp.display_name,
            request_id=first[1] if first else None,
            additional_info=(
                InfoEntry("disabledByMicrosoftStatus", status),
                InfoEntry("disabledObjects", objects),
                InfoEntry("firstDisabledSignIn", first[0] if first else None),
            ),
        )
