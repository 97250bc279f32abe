"""investigationsThreatIntelligence, part 2: client-secret spraying against service principals.

Pattern (no feed needed): one source address fails client-secret authentication with AADSTS7000215
("invalid client secret") against at least :data:`MIN_TARGETS` different service principals within
:data:`WINDOW`. Every principal it failed against is a *target* (riskLevel ``low``: attacked, not
known to be compromised); a target that then signs in successfully from the same address within
:data:`FOLLOW` of its last failure is *compromised* (``high``: the sprayer had a working secret).

State: a small index of addresses with recent 7000215 failures, and per address the failures and
successes per principal and the episode (its first failure); an address idle for :data:`FOLLOW`
starts a new episode. Records of a batch are taken in time order. Detection ids come from the
principal, the address and the episode's first failure, so a target's ``low`` detection becomes
``high`` in place when the success arrives.

Known false positives: a NAT or CI egress address shared by many apps whose secrets were all
rotated at once, with stale instances still trying the old ones (no success from the stale ones,
so only ``low``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from vigil.detections.base import DetectionContext, Records
from vigil.model import (
    ActivityType,
    InfoEntry,
    RiskDetection,
    RiskDetectionTimingType,
    RiskLevel,
    RiskState,
    SignIn,
    detection_id,
)

TYPE = "investigationsThreatIntelligence"
INVALID_SECRET = 7000215
MIN_TARGETS = 8
WINDOW = timedelta(hours=1)
FOLLOW = timedelta(hours=24)
INDEX = "spray:index"
STATE_VERSION = 1

State = dict[str, Any]


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _new() -> State:
    return {"version": STATE_VERSION, "failures": {}, "successes": {}, "episode": None,
            "reported": {}}


def detect_spray(records: Records, ctx: DetectionContext) -> list[RiskDetection]:
    relevant = [s for s in records.sign_ins
                if s.ip_address and (s.error_code == INVALID_SECRET or s.succeeded)]
    if not relevant:
        return []
    index = dict(ctx.load_state(TYPE, INDEX) or {"version": STATE_VERSION, "ips": {}})
    ips: dict[str, str] = dict(index["ips"])
    out: dict[str, RiskDetection] = {}
    for s in sorted(relevant, key=lambda s: (s.created_date_time, s.id)):
        ip, t = s.ip_address or "", s.created_date_time
        if s.error_code == INVALID_SECRET:
            ips[ip] = max(ips.get(ip, s.created_date_time.isoformat()), t.isoformat(), key=_t)
            ips = {k: v for k, v in ips.items() if _t(v) >= t - FOLLOW}
            state = _failure(ctx.load_state(TYPE, f"spray:{ip}"), s)
        elif ip in ips and t <= _t(ips[ip]) + FOLLOW:
            state = _success(ctx.load_state(TYPE, f"spray:{ip}"), s)
        else:
            continue
        if state is None:
            continue
        for d in _report(state, ip, ctx):
            out[d.id] = d
        ctx.save_state(TYPE, f"spray:{ip}", state)
    if ips != index["ips"]:
        ctx.save_state(TYPE, INDEX, {"version": STATE_VERSION, "ips": ips})
    return list(out.values())


def _failure(old: Any, s: SignIn) -> State:
    t = s.created_date_time
    state: State = _new() if old is None else {k: (dict(v) if isinstance(v, dict) else v)
                                               for k, v in old.items()}
    lasts = [_t(f[1]) for f in state["failures"].values()]
    if lasts and max(lasts) < t - FOLLOW:
        state = _new()
    sp = s.service_principal_id
    f = state["failures"].get(sp)
    if f is None or t < _t(f[0]):
        first, first_id = t.isoformat(), s.id
    else:
        first, first_id = f[0], f[2]
    last = max(t, _t(f[1])).isoformat() if f else t.isoformat()
    state["failures"][sp] = [first, last, first_id, s.app_id, s.service_principal_name]
    if state["episode"] is None:
        active = [(v[0], v[2]) for v in state["failures"].values() if _t(v[1]) >= t - WINDOW]
        if len(active) >= MIN_TARGETS:
            state["episode"] = list(min(active, key=lambda x: _t(x[0])))
    return state


def _success(old: Any, s: SignIn) -> State | None:
    if old is None:
        return None
    sp, t = s.service_principal_id, s.created_date_time
    f = old["failures"].get(sp)
    if f is None or not _t(f[0]) <= t <= _t(f[1]) + FOLLOW:
        return None
    seen = old["successes"].get(sp)
    if seen is not None and _t(seen[0]) <= t:
        return None
    state = {k: (dict(v) if isinstance(v, dict) else v) for k, v in old.items()}
    state["successes"][sp] = [t.isoformat(), s.id, s.credential_key_id]
    return state


def _report(state: State, ip: str, ctx: DetectionContext) -> list[RiskDetection]:
    """Detections whose level changed (new targets, successes) once the episode is confirmed."""
    if state["episode"] is None:
        return []
    out = []
    for sp_id in sorted(state["failures"]):
        level = RiskLevel.high if sp_id in state["successes"] else RiskLevel.low
        if state["reported"].get(sp_id) == level.value:
            continue
        state["reported"][sp_id] = level.value
        out.append(_detection(sp_id, level, state, ip, ctx))
    return out


def _detection(sp_id: str, level: RiskLevel, state: State, ip: str,
               ctx: DetectionContext) -> RiskDetection:
    """Built from state only (names from the sign-ins, not the inventory): order-independent."""
    first, _, first_id, app_id, name = state["failures"][sp_id]
    success = state["successes"].get(sp_id)
    now = ctx.now()
    info = [
        InfoEntry("pattern", "passwordSpray"),
        InfoEntry("sourceIpAddress", ip),
        InfoEntry("errorCode", INVALID_SECRET),
        InfoEntry("episodeStartDateTime", state["episode"][0]),
        InfoEntry("firstFailureDateTime", first),
        InfoEntry("minimumTargets", MIN_TARGETS),
        InfoEntry("succeededDateTime", success[0] if success else None),
    ]
    return RiskDetection(
        id=detection_id(TYPE, sp_id, "passwordSpray", ip, state["episode"][1]),
        service_principal_id=sp_id,
        risk_event_type=TYPE,
        risk_level=level,
        risk_state=RiskState.atRisk,
        activity_date_time=_t(first),
        detected_date_time=now,
        last_updated_date_time=now,
        activity=ActivityType.signin,
        detection_timing_type=RiskDetectionTimingType.offline,
        app_id=app_id,
        service_principal_display_name=name,
        ip_address=ip,
        key_ids=(success[2],) if success and success[2] else (),
        request_id=success[1] if success else first_id,
        additional_info=tuple(info),
    )
