"""Risk records: detections, risky service principals and their append-only history."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from vigil.model.activity import Location
from vigil.model.enums import (
    ActivityType,
    RiskDetail,
    RiskDetectionTimingType,
    RiskLevel,
    RiskState,
    TokenIssuerType,
)

#: Namespace for the uuid5 ids of history items.
_HISTORY_NS = uuid.UUID("5f0b6a53-8c1e-4e55-9a39-2f0d1f6a7c21")


def detection_id(risk_event_type: str, service_principal_id: str, *evidence: str) -> str:
    """Deterministic detection id: the same evidence always gives the same id.

    52 lowercase hex characters, the length of the ids in Graph's documentation. ``evidence`` are the
    strings that identify what was detected (an episode's first sign-in id, a leaked keyId and the
    place it was found, an indicator id, ...).
    """
    h = hashlib.sha256()
    for part in (risk_event_type, service_principal_id, *evidence):
        h.update(part.encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()[:52]


def history_item_id(service_principal_id: str, sequence: int) -> str:
    return str(uuid.uuid5(_HISTORY_NS, f"{service_principal_id}/{sequence}"))


@dataclass(frozen=True, slots=True)
class InfoEntry:
    """One ``{Key, Value}`` pair of a detection's ``additionalInfo``; ``value`` is JSON-compatible."""

    key: str
    value: Any


@dataclass(frozen=True, slots=True)
class RiskDetection:
    id: str
    service_principal_id: str
    risk_event_type: str
    risk_level: RiskLevel
    risk_state: RiskState
    activity_date_time: datetime
    detected_date_time: datetime
    last_updated_date_time: datetime
    risk_detail: RiskDetail = RiskDetail.none
    activity: ActivityType = ActivityType.servicePrincipal
    detection_timing_type: RiskDetectionTimingType = RiskDetectionTimingType.nearRealtime
    source: str = "Vigil"
    token_issuer_type: TokenIssuerType = TokenIssuerType.AzureAD
    app_id: str | None = None
    service_principal_display_name: str | None = None
    ip_address: str | None = None
    location: Location | None = None
    key_ids: tuple[str, ...] = ()
    request_id: str | None = None
    correlation_id: str | None = None
    mitre_technique_id: str | None = None
    additional_info: tuple[InfoEntry, ...] = field(default=())

    @property
    def is_open(self) -> bool:
        return self.risk_state in (RiskState.atRisk, RiskState.confirmedCompromised)


@dataclass(frozen=True, slots=True)
class RiskyServicePrincipal:
    id: str
    display_name: str | None
    app_id: str | None
    service_principal_type: str | None
    is_enabled: bool
    risk_level: RiskLevel
    risk_state: RiskState
    risk_detail: RiskDetail
    risk_last_updated_date_time: datetime
    is_processing: bool = False


@dataclass(frozen=True, slots=True)
class RiskHistoryItem:
    """Graph's ``riskyServicePrincipalHistoryItem``: the principal as it was after one transition."""

    id: str
    sequence: int
    principal: RiskyServicePrincipal
    initiated_by: str | None
    activity_detail: RiskDetail
    activity_risk_event_types: tuple[str, ...]

    @property
    def service_principal_id(self) -> str:
        return self.principal.id
