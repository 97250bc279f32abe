"""Model objects → Microsoft Graph JSON (camelCase, ``@odata.type``, evolvable enums).

Pure functions shared by the HTTP API and the CLI's ``--format json``. Shapes follow
``shared/spec/entra-graph-and-logs.md`` §1–2: v1.0 risky principals carry ``isEnabled``, beta
``accountEnabled`` (and ``isEnabled``, as the beta SDK model has both); ``additionalInfo`` is a JSON
array of ``{Key, Value}`` serialized into a string. Evolvable enum members (declared after
``unknownFutureValue``) are sent only when the client asked with ``Prefer:
include-unknown-enum-members``; otherwise the sentinel is sent (§1.3).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from vigil.model import (
    EVOLVABLE,
    Location,
    RiskDetection,
    RiskHistoryItem,
    RiskyServicePrincipal,
)

Version = Literal["v1.0", "beta"]


def graph_datetime(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z`` suffix, as Graph writes it."""
    if value is None:
        return None
    text = value.astimezone(UTC).replace(tzinfo=None).isoformat()
    return text + "Z"


def enum_value(value: StrEnum, include_unknown: bool) -> str:
    if include_unknown or value.value not in EVOLVABLE.get(type(value), frozenset()):
        return value.value
    return (
        "UnknownFutureValue" if type(value).__name__ == "TokenIssuerType" else "unknownFutureValue"
    )


def risky_to_graph(
    p: RiskyServicePrincipal, *, version: Version = "v1.0", include_unknown: bool = False
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "@odata.type": "#microsoft.graph.riskyServicePrincipal",
        "id": p.id,
        "appId": p.app_id,
        "displayName": p.display_name,
        "isEnabled": p.is_enabled,
        "isProcessing": p.is_processing,
        "riskDetail": enum_value(p.risk_detail, include_unknown),
        "riskLastUpdatedDateTime": graph_datetime(p.risk_last_updated_date_time),
        "riskLevel": enum_value(p.risk_level, include_unknown),
        "riskState": enum_value(p.risk_state, include_unknown),
        "servicePrincipalType": p.service_principal_type,
    }
    if version == "beta":
        out["accountEnabled"] = p.is_enabled
    return out


def history_to_graph(
    h: RiskHistoryItem, *, version: Version = "v1.0", include_unknown: bool = False
) -> dict[str, Any]:
    out = risky_to_graph(h.principal, version=version, include_unknown=include_unknown)
    out["@odata.type"] = "#microsoft.graph.riskyServicePrincipalHistoryItem"
    out["id"] = h.id
    out["servicePrincipalId"] = h.service_principal_id
    out["initiatedBy"] = h.initiated_by
    out["activity"] = {
        "detail": enum_value(h.activity_detail, include_unknown),
        "riskEventTypes": list(h.activity_risk_event_types),
    }
    return out


def location_to_graph(loc: Location | None) -> dict[str, Any] | None:
    if loc is None:
        return None
    coords = None
    if loc.latitude is not None or loc.longitude is not None or loc.altitude is not None:
        coords = {"altitude": loc.altitude, "latitude": loc.latitude, "longitude": loc.longitude}
    return {
        "city": loc.city,
        "state": loc.state,
        "countryOrRegion": loc.country_or_region,
        "geoCoordinates": coords,
    }


def additional_info_text(d: RiskDetection) -> str:
    return json.dumps(
        [{"Key": e.key, "Value": e.value} for e in d.additional_info],
        separators=(",", ":"),
        ensure_ascii=False,
    )


def detection_to_graph(
    d: RiskDetection, *, version: Version = "v1.0", include_unknown: bool = False
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "@odata.type": "#microsoft.graph.servicePrincipalRiskDetection",
        "id": d.id,
        "requestId": d.request_id,
        "correlationId": d.correlation_id,
        "riskEventType": d.risk_event_type,
        "riskState": enum_value(d.risk_state, include_unknown),
        "riskLevel": enum_value(d.risk_level, include_unknown),
        "riskDetail": enum_value(d.risk_detail, include_unknown),
        "source": d.source,
        "detectionTimingType": enum_value(d.detection_timing_type, include_unknown),
        "activity": enum_value(d.activity, include_unknown),
        "tokenIssuerType": enum_value(d.token_issuer_type, include_unknown),
        "ipAddress": d.ip_address,
        "location": location_to_graph(d.location),
        "activityDateTime": graph_datetime(d.activity_date_time),
        "detectedDateTime": graph_datetime(d.detected_date_time),
        "lastUpdatedDateTime": graph_datetime(d.last_updated_date_time),
        "servicePrincipalId": d.service_principal_id,
        "servicePrincipalDisplayName": d.service_principal_display_name,
        "appId": d.app_id,
        "keyIds": list(d.key_ids),
        "additionalInfo": additional_info_text(d),
    }
    if version == "beta":
        out["mitreTechniqueId"] = d.mitre_technique_id
    return out
