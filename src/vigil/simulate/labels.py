"""``labels.json``: the ground truth of a simulated tenant (format version 1).

```
{"version": 1, "seed", "tenantId", "start", "end", "shape",
 "labels": [Label...], "benignChanges": [BenignChange...], "decoys": [Decoy...],
 "notSimulated": [{"riskEventType", "reason"}]}
```

A :class:`Label` says "a detector of ``riskEventType`` should flag ``servicePrincipalId`` for what
happened between ``start`` (the first malicious record) and ``end`` (the last)". ``required: false``
marks a detection that is acceptable but not expected (e.g. a suspiciousSignins detection for the
attacker's sign-ins in a leaked-secret scenario, or the password-spray targets where the spray
failed). ``records`` names the evidence by category (``signIns``, ``managedIdentitySignIns``,
``directoryAudits``, ``graphActivities``, ``servicePrincipals``, ``applications``, ``indicators``) and
``files`` the leaked-secret locations (``path`` under the output folder, ``line``, and for a git
repository ``commit`` and ``file``). Times are ISO 8601 UTC strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from vigil.simulate.rand import dt_of, iso_s, ms_of

VERSION = 1
RECORD_KINDS = ("signIns", "managedIdentitySignIns", "directoryAudits", "graphActivities",
                "servicePrincipals", "applications", "indicators")


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _stamp(dt: datetime) -> str:
    return iso_s(ms_of(dt))


@dataclass(frozen=True, slots=True)
class Label:
    id: str
    risk_event_type: str
    service_principal_id: str
    service_principal_display_name: str
    scenario: str
    variant: str
    start: datetime
    end: datetime
    required: bool = True
    description: str = ""
    key_ids: tuple[str, ...] = ()
    records: dict[str, tuple[str, ...]] = field(default_factory=dict)
    files: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "riskEventType": self.risk_event_type,
            "servicePrincipalId": self.service_principal_id,
            "servicePrincipalDisplayName": self.service_principal_display_name,
            "scenario": self.scenario,
            "variant": self.variant,
            "start": _stamp(self.start),
            "end": _stamp(self.end),
            "required": self.required,
            "description": self.description,
            "keyIds": list(self.key_ids),
            "records": {k: list(v) for k, v in self.records.items() if v},
            "files": list(self.files),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Label:
        return cls(
            id=d["id"],
            risk_event_type=d["riskEventType"],
            service_principal_id=d["servicePrincipalId"],
            service_principal_display_name=d.get("servicePrincipalDisplayName", ""),
            scenario=d.get("scenario", ""),
            variant=d.get("variant", ""),
            start=_time(d["start"]),
            end=_time(d["end"]),
            required=bool(d.get("required", True)),
            description=d.get("description", ""),
            key_ids=tuple(d.get("keyIds", ())),
            records={k: tuple(v) for k, v in d.get("records", {}).items()},
            files=tuple(d.get("files", ())),
        )


@dataclass(frozen=True, slots=True)
class BenignChange:
    """An authorized change: detections of medium or high within 48 h of ``time`` are false alarms."""

    id: str
    kind: str
    service_principal_id: str
    service_principal_display_name: str
    time: datetime
    initiated_by: str
    description: str = ""
    audit_ids: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "servicePrincipalId": self.service_principal_id,
                "servicePrincipalDisplayName": self.service_principal_display_name,
                "time": _stamp(self.time), "initiatedBy": self.initiated_by,
                "description": self.description, "auditIds": list(self.audit_ids)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> BenignChange:
        return cls(id=d["id"], kind=d["kind"], service_principal_id=d["servicePrincipalId"],
                   service_principal_display_name=d.get("servicePrincipalDisplayName", ""),
                   time=_time(d["time"]), initiated_by=d.get("initiatedBy", ""),
                   description=d.get("description", ""),
                   audit_ids=tuple(d.get("auditIds", ())))


@dataclass(frozen=True, slots=True)
class Decoy:
    """Something that looks like an attack and is not (no detection is expected)."""

    id: str
    kind: str
    time: datetime
    description: str
    service_principal_id: str | None = None
    key_ids: tuple[str, ...] = ()
    records: dict[str, tuple[str, ...]] = field(default_factory=dict)
    files: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "servicePrincipalId": self.service_principal_id,
                "time": _stamp(self.time), "description": self.description,
                "keyIds": list(self.key_ids),
                "records": {k: list(v) for k, v in self.records.items() if v},
                "files": list(self.files)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Decoy:
        return cls(id=d["id"], kind=d["kind"], time=_time(d["time"]),
                   description=d.get("description", ""),
                   service_principal_id=d.get("servicePrincipalId"),
                   key_ids=tuple(d.get("keyIds", ())),
                   records={k: tuple(v) for k, v in d.get("records", {}).items()},
                   files=tuple(d.get("files", ())))


NOT_SIMULATED = (
    {"riskEventType": "adminConfirmedServicePrincipalCompromised",
     "reason": "raised by an administrator's confirmCompromised action, not by any log record; "
               "the simulator writes no such action"},
)


@dataclass(slots=True)
class LabelSet:
    seed: int
    tenant_id: str
    start: datetime
    end: datetime
    shape: str = "graph"
    labels: list[Label] = field(default_factory=list)
    benign_changes: list[BenignChange] = field(default_factory=list)
    decoys: list[Decoy] = field(default_factory=list)
    not_simulated: tuple[dict[str, str], ...] = NOT_SIMULATED

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "seed": self.seed,
            "tenantId": self.tenant_id,
            "start": _stamp(self.start),
            "end": _stamp(self.end),
            "shape": self.shape,
            "labels": [lb.to_dict() for lb in self.labels],
            "benignChanges": [c.to_dict() for c in self.benign_changes],
            "decoys": [d.to_dict() for d in self.decoys],
            "notSimulated": list(self.not_simulated),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LabelSet:
        if d.get("version") != VERSION:
            raise ValueError(f"labels version {d.get('version')!r} is not {VERSION}")
        return cls(
            seed=int(d.get("seed", 0)),
            tenant_id=d.get("tenantId", ""),
            start=_time(d["start"]),
            end=_time(d["end"]),
            shape=d.get("shape", "graph"),
            labels=[Label.from_dict(x) for x in d.get("labels", ())],
            benign_changes=[BenignChange.from_dict(x) for x in d.get("benignChanges", ())],
            decoys=[Decoy.from_dict(x) for x in d.get("decoys", ())],
            not_simulated=tuple(d.get("notSimulated", ())),
        )


def at(ms: int) -> datetime:
    """Label time of an epoch-ms instant (whole seconds, as the records show it)."""
    return dt_of(ms - ms % 1000)
