"""The Graph properties that ``$filter``, ``$orderby`` and ``$select`` accept, per entity set.

Each maps a Graph (camelCase) name to its OData type and to the model field / store column behind it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from vigil.api.odata_filter import Property, PropType
from vigil.model import (
    ActivityType,
    RiskDetail,
    RiskDetectionTimingType,
    RiskLevel,
    RiskState,
    TokenIssuerType,
)
from vigil.store.risk import DETECTION_COLUMNS, RISKY_COLUMNS


def _enum(name: str, enum: type[StrEnum]) -> Property:
    graph_type = enum.__name__[0].lower() + enum.__name__[1:]  # RiskLevel -> riskLevel
    return Property(name, PropType.ENUM, tuple(m.value for m in enum), enum_type=graph_type)


def _s(name: str) -> Property:
    return Property(name, PropType.STRING)


def _guid(name: str) -> Property:
    """A string property holding GUIDs (stored lower-case; literals compared in lower case)."""
    return Property(name, PropType.STRING, guid=True)


def _dt(name: str) -> Property:
    return Property(name, PropType.DATETIME)


@dataclass(frozen=True)
class EntitySet:
    """Queryable properties (Graph name → Property) and the columns behind them."""

    properties: Mapping[str, Property]
    columns: Mapping[str, Any]
    #: Names accepted by ``$select`` (every property of the shape, queryable or not).
    selectable: Mapping[str, Property]


def _entity_set(
    props: list[Property], fields: Mapping[str, str], columns: Mapping[str, Any], extra: list[str]
) -> EntitySet:
    by_name = {p.name: p for p in props}
    selectable = dict(by_name)
    for name in extra:
        selectable.setdefault(
            name, Property(name, PropType.STRING, filterable=False, sortable=False)
        )
    return EntitySet(
        properties=by_name,
        columns={name: columns[fields[name]] for name in by_name},
        selectable=selectable,
    )


RISKY_SERVICE_PRINCIPALS = _entity_set(
    [
        _guid("id"),
        _guid("appId"),
        _s("displayName"),
        _s("servicePrincipalType"),
        Property("isEnabled", PropType.BOOL),
        Property("accountEnabled", PropType.BOOL),
        Property("isProcessing", PropType.BOOL),
        _enum("riskLevel", RiskLevel),
        _enum("riskState", RiskState),
        _enum("riskDetail", RiskDetail),
        _dt("riskLastUpdatedDateTime"),
    ],
    {
        "id": "id",
        "appId": "app_id",
        "displayName": "display_name",
        "servicePrincipalType": "service_principal_type",
        "isEnabled": "is_enabled",
        "accountEnabled": "is_enabled",
        "isProcessing": "is_processing",
        "riskLevel": "risk_level",
        "riskState": "risk_state",
        "riskDetail": "risk_detail",
        "riskLastUpdatedDateTime": "risk_last_updated_date_time",
    },
    RISKY_COLUMNS,
    [],
)

SERVICE_PRINCIPAL_RISK_DETECTIONS = _entity_set(
    [
        _s("id"),
        _guid("servicePrincipalId"),
        _s("servicePrincipalDisplayName"),
        _guid("appId"),
        _s("riskEventType"),
        _enum("riskLevel", RiskLevel),
        _enum("riskState", RiskState),
        _enum("riskDetail", RiskDetail),
        _enum("activity", ActivityType),
        _enum("detectionTimingType", RiskDetectionTimingType),
        _enum("tokenIssuerType", TokenIssuerType),
        _dt("activityDateTime"),
        _dt("detectedDateTime"),
        _dt("lastUpdatedDateTime"),
        _s("source"),
        _s("ipAddress"),
        _guid("requestId"),
        _guid("correlationId"),
        _s("mitreTechniqueId"),
    ],
    {
        "id": "id",
        "servicePrincipalId": "service_principal_id",
        "servicePrincipalDisplayName": "service_principal_display_name",
        "appId": "app_id",
        "riskEventType": "risk_event_type",
        "riskLevel": "risk_level",
        "riskState": "risk_state",
        "riskDetail": "risk_detail",
        "activity": "activity",
        "detectionTimingType": "detection_timing_type",
        "tokenIssuerType": "token_issuer_type",
        "activityDateTime": "activity_date_time",
        "detectedDateTime": "detected_date_time",
        "lastUpdatedDateTime": "last_updated_date_time",
        "source": "source",
        "ipAddress": "ip_address",
        "requestId": "request_id",
        "correlationId": "correlation_id",
        "mitreTechniqueId": "mitre_technique_id",
    },
    DETECTION_COLUMNS,
    ["location", "keyIds", "additionalInfo"],
)
