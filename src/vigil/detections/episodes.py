"""Episodes: one detection per principal per burst of suspicious records, not one per record.

An episode opens at its first suspicious record, whose id (with the principal's) makes the
detection id, and whose time is the detection's ``activityDateTime``. Later suspicious records of
the same principal at most ``gap`` seconds after the episode's last one extend it: the detection
keeps its id and is re-emitted with more evidence, and its level can only rise. A record after the
gap opens a new episode (a new detection). Detectors drop an episode from the principal's state
once it is over (reported in full when it last changed), so steady state stays small.

State (JSON, kept in the principal's profile)::

    {"id": first record id, "at": ISO time of the first record, "start": epoch s, "last": epoch s,
     "n": suspicious records, "score": highest score, "level": "low" | "medium" | "high",
     "lastAt": ISO time of the last one, "req": [...], "corr": [...], "keys": [...],
     "notes": {key: {ident: text}}, "first": {...}}

``req`` / ``corr`` / ``keys`` hold the first ``max_ids`` distinct request ids, correlation ids and
credential keyIds; ``notes`` the explanations (the first text for each ``ident`` wins, in order of
arrival); ``first`` what the detector wants to remember of the first record (IP, location...).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from vigil.model import (
    ActivityType,
    InfoEntry,
    Location,
    RiskDetection,
    RiskLevel,
    RiskState,
    detection_id,
)

LEVELS = ("low", "medium", "high")
RANK = {"low": 1, "medium": 2, "high": 3}


def level_for(score: float, low: float, medium: float, high: float) -> str | None:
    """The level a score reaches (None below ``low``)."""
    if score >= high:
        return "high"
    if score >= medium:
        return "medium"
    if score >= low:
        return "low"
    return None


def higher(a: str | None, b: str | None) -> str | None:
    return a if RANK.get(a or "", 0) >= RANK.get(b or "", 0) else b


def _append(items: list[Any], value: Any, limit: int) -> None:
    if value and value not in items and len(items) < limit:
        items.append(value)


class Episode:
    __slots__ = ("s",)

    def __init__(self, state: dict[str, Any]) -> None:
        self.s = state

    @classmethod
    def open(cls, record_id: str, at: datetime, t: int, first: Mapping[str, Any]) -> Episode:
        return cls({"id": record_id, "at": at.isoformat(), "lastAt": at.isoformat(), "start": t,
                    "last": t, "n": 0,
                    "score": 0.0, "level": "low", "req": [], "corr": [], "keys": [],
                    "notes": {}, "first": dict(first)})

    @property
    def id(self) -> str:
        return str(self.s["id"])

    @property
    def level(self) -> str:
        return str(self.s["level"])

    def continues(self, t: int, gap_seconds: int) -> bool:
        return t - int(self.s["last"]) <= gap_seconds

    def add(self, at: datetime, t: int, score: float, level: str, *,
            request_id: str | None = None, correlation_id: str | None = None,
            key_ids: Iterable[str] = (), max_ids: int = 20) -> None:
        s = self.s
        if t >= int(s["last"]):
            s["last"], s["lastAt"] = t, at.isoformat()
        s["n"] = int(s["n"]) + 1
        s["score"] = round(max(float(s["score"]), score), 1)
        s["level"] = higher(s["level"], level)
        _append(s["req"], request_id, max_ids)
        _append(s["corr"], correlation_id, max_ids)
        for key_id in key_ids:
            _append(s["keys"], key_id, max_ids)

    def note(self, key: str, ident: str, text: str, limit: int = 20) -> None:
        """Remember ``text`` under ``key`` unless ``ident`` already has one (or ``limit`` is hit)."""
        items = self.s["notes"].setdefault(key, {})
        if ident not in items and len(items) < limit:
            items[ident] = text

    def notes(self, key: str) -> list[str]:
        return list(self.s["notes"].get(key, {}).values())

    def detection(
        self,
        risk_event_type: str,
        service_principal_id: str,
        now: datetime,
        *,
        activity: ActivityType,
        info: Iterable[tuple[str, Any]],
        app_id: str | None = None,
        display_name: str | None = None,
        ip_address: str | None = None,
        location: Location | None = None,
        request_id: str | None = None,
        correlation_id: str | None = None,
        mitre_technique_id: str | None = None,
    ) -> RiskDetection:
        """The detection this episode stands for (id from its first record)."""
        s = self.s
        return RiskDetection(
            id=detection_id(risk_event_type, service_principal_id, self.id),
            service_principal_id=service_principal_id,
            risk_event_type=risk_event_type,
            risk_level=RiskLevel(self.level),
            risk_state=RiskState.atRisk,
            activity_date_time=datetime.fromisoformat(s["at"]),
            detected_date_time=now,
            last_updated_date_time=now,
            activity=activity,
            app_id=app_id,
            service_principal_display_name=display_name,
            ip_address=ip_address,
            location=location,
            key_ids=tuple(s["keys"]),
            request_id=request_id,
            correlation_id=correlation_id,
            mitre_technique_id=mitre_technique_id,
            additional_info=tuple(InfoEntry(k, v) for k, v in info),
        )
