"""A hand-built ground truth and detections whose scores are worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from vigil.model import RiskDetection, RiskLevel, RiskState
from vigil.simulate.labels import BenignChange, Decoy, Label, LabelSet

T0 = datetime(2026, 10, 10, 10, 0, tzinfo=UTC)
H = timedelta(hours=1)


def label(lid: str, kind: str, sp: str, start: datetime, end: datetime,
          required: bool = True) -> Label:
    return Label(id=lid, risk_event_type=kind, service_principal_id=sp,
                 service_principal_display_name=sp, scenario="s", variant="v", start=start,
                 end=end, required=required)


def detection(did: str, kind: str, sp: str, at: datetime, level: str = "high",
              key_ids: tuple[str, ...] = ()) -> RiskDetection:
    return RiskDetection(id=did, service_principal_id=sp, risk_event_type=kind,
                         risk_level=RiskLevel(level), risk_state=RiskState.atRisk,
                         activity_date_time=at, detected_date_time=at, last_updated_date_time=at,
                         key_ids=key_ids)


SS, LC, AN = "suspiciousSignins", "leakedCredentials", "anomalousServicePrincipalActivity"
ADMIN = "adminConfirmedServicePrincipalCompromised"


def ground_truth() -> LabelSet:
    return LabelSet(
        seed=1, tenant_id="t", start=T0 - 10 * 24 * H, end=T0 + 10 * 24 * H,
        labels=[label("L1", SS, "sp-a", T0, T0 + H),
                label("L2", SS, "sp-b", T0 + 2 * H, T0 + 3 * H),
                label("L3", SS, "sp-c", T0 - H, T0 - H, required=False),
                label("L4", LC, "sp-d", T0 - 2 * H, T0 - 2 * H)],
        benign_changes=[BenignChange(id="B1", kind="credentialRotation",
                                     service_principal_id="sp-e",
                                     service_principal_display_name="e", time=T0,
                                     initiated_by="admin")],
        decoys=[Decoy(id="D1", kind="leakRemovedCredential", time=T0 - 24 * H,
                      description="removed", service_principal_id="sp-f",
                      key_ids=("k-decoy",))],
    )


def detections() -> list[RiskDetection]:
    return [
        detection("d1", SS, "sp-a", T0 + H / 2),                 # L1, delay 30 min
        detection("d2", SS, "sp-a", T0 + H + 47 * H),            # L1 again, later
        detection("d3", SS, "sp-a", T0 + H + 49 * H),            # past the horizon: FP
        detection("d4", SS, "sp-c", T0 - H + timedelta(minutes=10)),  # optional L3: true
        detection("d5", SS, "sp-e", T0 + H, "medium"),           # FP, benign alarm
        detection("d6", SS, "sp-e", T0 + 2 * H, "low"),          # FP, low: no alarm
        detection("d7", LC, "sp-d", T0),                         # L4, delay 2 h
        detection("d8", LC, "sp-x", T0, key_ids=("k-decoy",)),   # FP, decoy hit
        detection("d9", ADMIN, "sp-a", T0),                      # not simulated
        detection("d10", AN, "sp-e", T0 + 47 * H),               # FP, benign alarm
    ]
