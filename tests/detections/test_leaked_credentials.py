"""leakedCredentials: a finding becomes a detection only for a credential valid now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from behaviour_sim import MemoryContext

from vigil.detections.leaked_credentials import LeakedCredentials, LeakFinding, LeakLocation
from vigil.ingest.pipeline import NewRecords
from vigil.model import Application, PasswordCredential, RiskLevel, ServicePrincipal

NOW = datetime(2026, 11, 2, tzinfo=UTC)
LEAK = NOW - timedelta(days=4)


def cred(key: str, end_days: int, start_days: int = -30) -> PasswordCredential:
    return PasswordCredential(key, hint="abc", start_date_time=NOW + timedelta(days=start_days),
                              end_date_time=NOW + timedelta(days=end_days))


SP = ServicePrincipal(id="sp1", app_id="app1", display_name="sales-notifier",
                      password_credentials=(cred("on-sp", 10),))
APP = Application(id="obj1", app_id="app1", display_name="sales-notifier",
                  password_credentials=(cred("valid", 10), cred("expired", -1),
                                        cred("future", 40, start_days=5)))


def finding(key: str, path: str = "/repo/.env", **kw) -> LeakFinding:
    return LeakFinding(key_id=key, credential_type="password", leaked_at=LEAK,
                       location=LeakLocation(path=path, line=4), source="scan",
                       service_principal_id=kw.get("sp", "sp1"), app_id=kw.get("app"))


@pytest.mark.parametrize(
    ("key", "detected"),
    [("valid", True), ("on-sp", True), ("VALID", True), ("expired", False), ("future", False),
     ("removed", False)],
)
def test_only_currently_valid_credentials(key, detected):
    ctx = MemoryContext(sps=[SP], apps=[APP], now=NOW)
    found = LeakedCredentials().detect_findings([finding(key)], ctx)
    assert bool(found) is detected
    if found:
        (d,) = found
        assert (d.risk_level, d.activity_date_time, d.key_ids) == (RiskLevel.high, LEAK, (key,))
        info = {e.key: e.value for e in d.additional_info}
        assert info["location"] == {"path": "/repo/.env", "line": 4}


def test_one_detection_per_key_and_place():
    ctx = MemoryContext(sps=[SP], apps=[APP], now=NOW)
    found = LeakedCredentials().detect_findings(
        [finding("valid"), finding("valid"), finding("valid", "/other/file"),
         finding("valid", sp=None, app="app1")], ctx)
    assert len(found) == 2


class Source:
    def __init__(self, *findings: LeakFinding) -> None:
        self.findings = findings

    def findings_for(self, key_ids, service_principal_ids, app_ids):
        return [f for f in self.findings if f.key_id in key_ids
                or f.service_principal_id in service_principal_ids]


def test_inventory_snapshot_brings_earlier_findings_to_detection():
    detector = LeakedCredentials(Source(finding("valid"), finding("expired")))
    ctx = MemoryContext(sps=[SP], apps=[APP], now=NOW)
    (d,) = detector.detect(NewRecords(applications=[APP]), ctx)
    assert d.key_ids == ("valid",)
    assert detector.detect(NewRecords(), ctx) == []
    assert LeakedCredentials().detect(NewRecords(applications=[APP]), ctx) == []
