"""investigationsThreatIntelligence, part 1: activity from infrastructure named by an indicator.

Matches each new sign-in (IP address, ASN, user agent), app-only Graph request (IP, user agent)
and app-initiated audit event (IP) against the indicators in force at the record's time. One
detection per (service principal, indicator): its ``activityDateTime`` is the earliest match; the
record it describes is the earliest one of the highest level (a successful use outranks a failed
attempt). Detector state keeps that, per pair, so streaming, rebuild and retro-matching (a new
indicator matched against stored activity, :mod:`vigil.intel.service`) give the same detection.

Level: ``high`` for a verified-malicious indicator matched by a successful sign-in, a Graph
request or an audited operation; ``medium`` otherwise (failed attempts, unverified indicators).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from vigil.detections.base import DetectionContext, Records
from vigil.model import (
    ActivityType,
    InfoEntry,
    Location,
    RiskDetection,
    RiskDetectionTimingType,
    RiskLevel,
    RiskState,
    detection_id,
    level_rank,
)

TYPE = "investigationsThreatIntelligence"
STATE_VERSION = 1


class IndicatorHit(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def value(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def name(self) -> str | None: ...
    @property
    def valid_from(self) -> datetime | None: ...
    @property
    def valid_until(self) -> datetime | None: ...
    @property
    def confidence(self) -> int | None: ...
    @property
    def verified(self) -> bool: ...


class IndicatorLookup(Protocol):
    """Indicators in force at a time, by observable (``vigil.intel.matching.IndicatorSet``)."""

    @property
    def empty(self) -> bool: ...
    def ip(self, address: str | None, at: datetime) -> Sequence[IndicatorHit]: ...
    def asn(self, number: int | None, at: datetime) -> Sequence[IndicatorHit]: ...
    def user_agent(self, user_agent: str | None, at: datetime) -> Sequence[IndicatorHit]: ...


def _hits(lookup: IndicatorLookup, at: datetime, ip: str | None, asn: int | None,
          ua: str | None) -> list[tuple[IndicatorHit, str, str]]:
    by_ip, by_asn, by_ua = lookup.ip(ip, at), lookup.asn(asn, at), lookup.user_agent(ua, at)
    if not (by_ip or by_asn or by_ua):  # nearly every record
        return []
    found: list[tuple[IndicatorHit, str, str]] = []
    found += [(h, "ipAddress", ip or "") for h in by_ip]
    found += [(h, "autonomousSystemNumber", str(asn)) for h in by_asn]
    found += [(h, "userAgent", ua or "") for h in by_ua]
    return found


def _loc(loc: Location | None) -> dict[str, Any] | None:
    if loc is None:
        return None
    return {"city": loc.city, "state": loc.state, "countryOrRegion": loc.country_or_region,
            "latitude": loc.latitude, "longitude": loc.longitude}


Hits = list[tuple[IndicatorHit, str, str]]


def _observations(records: Records,
                  lookup: IndicatorLookup) -> list[tuple[str, datetime, dict[str, Any], Hits]]:
    """(service principal, time, evidence, hits) per record that matches an indicator (the
    evidence is built for those only: matching every record is the hot path)."""
    out: list[tuple[str, datetime, dict[str, Any], Hits]] = []
    for s in records.sign_ins:
        at = s.created_date_time
        if hits := _hits(lookup, at, s.ip_address, s.asn, s.user_agent):
            ev = {"recordType": "signIn", "recordId": s.id, "succeeded": s.succeeded,
                  "ipAddress": s.ip_address, "keyId": s.credential_key_id,
                  "correlationId": s.correlation_id, "location": _loc(s.location),
                  "errorCode": s.error_code, "appId": s.app_id, "name": s.service_principal_name}
            out.append((s.service_principal_id, at, ev, hits))
    for g in records.graph_activities:
        if not g.service_principal_id or g.user_id:
            continue
        if hits := _hits(lookup, g.time, g.ip_address, None, g.user_agent):
            ev = {"recordType": "graphActivity", "recordId": g.id, "succeeded": True,
                  "ipAddress": g.ip_address, "requestUri": g.request_uri[:200],
                  "appId": g.app_id}
            out.append((g.service_principal_id, g.time, ev, hits))
    for a in records.audit_events:
        actor = a.actor_service_principal_id
        ini = a.initiated_by
        ip = ini.ip_address if ini else None
        if not actor or not ip:
            continue
        if hits := _hits(lookup, a.activity_date_time, ip, None, None):
            ev = {"recordType": "directoryAudit", "recordId": a.id, "succeeded": True,
                  "ipAddress": ip, "activity": a.activity_display_name,
                  "appId": ini.app_id if ini else None, "name": ini.display_name if ini else None}
            out.append((actor, a.activity_date_time, ev, hits))
    return out


def _level(hit: IndicatorHit, evidence: dict[str, Any]) -> RiskLevel:
    return RiskLevel.high if hit.verified and evidence["succeeded"] else RiskLevel.medium


def _key(sp_id: str, indicator_id: str) -> str:
    return f"ind:{sp_id}:{hashlib.sha256(indicator_id.encode()).hexdigest()[:24]}"


def match_indicators(records: Records, lookup: IndicatorLookup,
                     ctx: DetectionContext) -> list[RiskDetection]:
    """Detections for records matching ``lookup``; state keeps the earliest / strongest match."""
    changed: dict[tuple[str, str], tuple[IndicatorHit, dict[str, Any]]] = {}
    for sp_id, at, evidence, hits in sorted(_observations(records, lookup), key=lambda o: o[1]):
        for hit, field, value in hits:
            state = _update(ctx, sp_id, hit, at, evidence, field, value)
            if state is not None:
                changed[(sp_id, hit.id)] = (hit, state)
    return [_detection(sp_id, hit, state, ctx) for (sp_id, _), (hit, state) in changed.items()]


def _update(ctx: DetectionContext, sp_id: str, hit: IndicatorHit, at: datetime,
            evidence: dict[str, Any], field: str, value: str) -> dict[str, Any] | None:
    key = _key(sp_id, hit.id)
    old = ctx.load_state(TYPE, key)
    level = _level(hit, evidence)
    rep = {**evidence, "time": at.isoformat(), "level": level.value, "matchedField": field,
           "matchedValue": value}
    if old is None:
        state = {"version": STATE_VERSION, "first": at.isoformat(), "rep": rep}
    else:
        first = min(datetime.fromisoformat(old["first"]), at).isoformat()
        cur = old["rep"]
        better = level_rank(level) > level_rank(RiskLevel(cur["level"])) or (
            level.value == cur["level"] and at < datetime.fromisoformat(cur["time"]))
        state = {"version": STATE_VERSION, "first": first, "rep": rep if better else cur}
        if state == old:
            return None
    ctx.save_state(TYPE, key, state)
    return state


def _detection(sp_id: str, hit: IndicatorHit, state: dict[str, Any],
               ctx: DetectionContext) -> RiskDetection:
    rep = state["rep"]
    sp = None if rep.get("appId") and rep.get("name") else ctx.service_principal(sp_id)
    loc = rep.get("location")
    now = ctx.now()
    info = (
        InfoEntry("indicatorId", hit.id),
        InfoEntry("indicatorKind", str(hit.kind)),
        InfoEntry("indicatorValue", hit.value),
        InfoEntry("indicatorName", hit.name),
        InfoEntry("feed", hit.source),
        InfoEntry("validFrom", hit.valid_from.isoformat() if hit.valid_from else None),
        InfoEntry("validUntil", hit.valid_until.isoformat() if hit.valid_until else None),
        InfoEntry("confidence", hit.confidence),
        InfoEntry("verifiedMalicious", hit.verified),
        InfoEntry("matchedField", rep["matchedField"]),
        InfoEntry("matchedValue", rep["matchedValue"]),
        InfoEntry("recordType", rep["recordType"]),
        InfoEntry("firstMatchDateTime", state["first"]),
    )
    return RiskDetection(
        id=detection_id(TYPE, sp_id, "indicator", hit.id),
        service_principal_id=sp_id,
        risk_event_type=TYPE,
        risk_level=RiskLevel(rep["level"]),
        risk_state=RiskState.atRisk,
        activity_date_time=datetime.fromisoformat(state["first"]),
        detected_date_time=now,
        last_updated_date_time=now,
        activity=ActivityType.signin if rep["recordType"] == "signIn" else ActivityType.servicePrincipal,
        detection_timing_type=RiskDetectionTimingType.offline,
        app_id=rep.get("appId") or (sp.app_id if sp else None),
        service_principal_display_name=rep.get("name") or (sp.display_name if sp else None),
        ip_address=rep.get("ipAddress"),
        location=Location(city=loc["city"], state=loc["state"],
                          country_or_region=loc["countryOrRegion"], latitude=loc["latitude"],
                          longitude=loc["longitude"]) if loc else None,
        key_ids=(rep["keyId"],) if rep.get("keyId") else (),
        request_id=rep["recordId"] if rep["recordType"] != "directoryAudit" else None,
        correlation_id=rep.get("correlationId"),
        additional_info=info,
    )

