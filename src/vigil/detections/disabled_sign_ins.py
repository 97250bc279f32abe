"""investigationsThreatIntelligence, part 3: successful sign-ins of a disabled service principal.

A disabled service principal (``accountEnabled`` false) cannot get tokens: Entra answers
AADSTS7000112. A *successful* sign-in after an audited ``Update service principal`` that set
``AccountEnabled`` to false means the log and the directory disagree - a token service that
ignores the flag, a replayed or forged log line, or a compromise of the tenant's token issuance -
and is reported ``high``. Re-enabling (``AccountEnabled`` true) ends the disabled period.

The disabled periods come from the audit log only: an inventory snapshot says *that* a principal is
disabled, not *since when*. State: an index of every ``AccountEnabled`` change per principal (time,
new value, audit id; a few a year), from which the period a sign-in falls in is found at its own
time, whatever order the changes and the sign-ins arrived in (an audit export read before the
sign-ins, one batch holding a whole disabled period); and per period the earliest successful
sign-in. A period is named by its first disabling audit event.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from datetime import datetime
from typing import Any

from vigil.detections.base import DetectionContext, Records
from vigil.model import (
    ActivityType,
    AuditEvent,
    InfoEntry,
    RiskDetection,
    RiskDetectionTimingType,
    RiskLevel,
    RiskState,
    SignIn,
    detection_id,
)

TYPE = "investigationsThreatIntelligence"
INDEX = "disabled:index"
INDEX_VERSION = 2  # 1 kept only the periods open at the time
STATE_VERSION = 1
UPDATE_SP = "Update service principal"


def enabled_change(event: AuditEvent) -> tuple[str, bool] | None:
    """(service principal id, new accountEnabled) when the event changed it."""
    if event.activity_display_name.strip() != UPDATE_SP or event.result not in (None, "success"):
        return None
    for target in event.targets:
        if target.type != "ServicePrincipal" or not target.id:
            continue
        for prop in target.modified_properties:
            if prop.display_name == "AccountEnabled" and prop.new_value is not None:
                try:
                    value = json.loads(prop.new_value)
                except ValueError:
                    value = prop.new_value
                value = value[0] if isinstance(value, list) and value else value
                return target.id.lower(), str(value).lower() == "true"
    return None


def detect_disabled_sign_ins(records: Records, ctx: DetectionContext) -> list[RiskDetection]:
    new = [c for e in records.audit_events if (c := _timed(e)) is not None]
    index = ctx.load_state(TYPE, INDEX) if (new or records.sign_ins) else None
    changes = _changes(index)
    if new:
        changes = {sp: [list(c) for c in cs] for sp, cs in changes.items()}
        for sp_id, enabled, t, audit_id in new:
            known = changes.setdefault(sp_id, [])
            change = [t.isoformat(), enabled, audit_id]
            if change not in known:
                known.append(change)
                known.sort(key=lambda c: (datetime.fromisoformat(c[0]), c[2]))
        ctx.save_state(TYPE, INDEX, {"version": INDEX_VERSION, "changes": changes})
    out: dict[str, RiskDetection] = {}
    for s in sorted(records.sign_ins, key=lambda s: (s.created_date_time, s.id)):
        known = changes.get(s.service_principal_id)
        period = _period(known, s.created_date_time) if known and s.succeeded else None
        if period is None:
            continue
        key = f"disabled:{s.service_principal_id}:{period[1]}"
        seen = ctx.load_state(TYPE, key)
        if seen is not None and datetime.fromisoformat(seen["time"]) <= s.created_date_time:
            continue
        ctx.save_state(TYPE, key, {"version": STATE_VERSION, "time": s.created_date_time.isoformat()})
        d = _detection(s, period, ctx)
        out[d.id] = d
    return list(out.values())


def _changes(index: Any) -> dict[str, list[list[Any]]]:
    """The ``AccountEnabled`` changes per principal, in time order (not to be changed)."""
    if index is None:
        return {}
    if index["version"] == 1:  # the periods open then, [start, audit id]: closed ones are lost
        return {sp: [[p[0], False, p[1]]] for sp, p in index["periods"].items()}
    changes: dict[str, list[list[Any]]] = index["changes"]
    return changes


def _period(changes: list[list[Any]], t: datetime) -> list[str] | None:
    """[start, audit id] of the disabled period holding ``t`` (changes at ``t`` included)."""
    times = [datetime.fromisoformat(c[0]) for c in changes]
    period = None
    for when, enabled, audit_id in changes[: bisect_right(times, t)]:
        if enabled:
            period = None
        elif period is None:
            period = [when, audit_id]
    return period


def _timed(e: AuditEvent) -> tuple[str, bool, datetime, str] | None:
    change = enabled_change(e)
    return (change[0], change[1], e.activity_date_time, e.id) if change else None


def _detection(s: SignIn, period: list[str], ctx: DetectionContext) -> RiskDetection:
    sp = None if s.service_principal_name else ctx.service_principal(s.service_principal_id)
    now = ctx.now()
    return RiskDetection(
        id=detection_id(TYPE, s.service_principal_id, "disabledSignIn", period[1]),
        service_principal_id=s.service_principal_id,
        risk_event_type=TYPE,
        risk_level=RiskLevel.high,
        risk_state=RiskState.atRisk,
        activity_date_time=s.created_date_time,
        detected_date_time=now,
        last_updated_date_time=now,
        activity=ActivityType.signin,
        detection_timing_type=RiskDetectionTimingType.offline,
        app_id=s.app_id or (sp.app_id if sp else None),
        service_principal_display_name=s.service_principal_name or (sp.display_name if sp else None),
        ip_address=s.ip_address,
        location=s.location,
        key_ids=(s.credential_key_id,) if s.credential_key_id else (),
        request_id=s.id,
        correlation_id=s.correlation_id,
        additional_info=(
            InfoEntry("pattern", "signInWhileDisabled"),
            InfoEntry("disabledDateTime", period[0]),
            InfoEntry("disablingAuditId", period[1]),
        ),
    )
