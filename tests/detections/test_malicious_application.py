"""maliciousApplication: disabledByMicrosoftStatus on the principal or its application."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from behaviour_sim import MemoryContext, run

from vigil.detections.malicious_application import MaliciousApplication
from vigil.ingest.pipeline import NewRecords
from vigil.model import Application, RiskLevel, ServicePrincipal, SignIn, SignInKind

T = datetime(2026, 10, 30, 11, 0, tzinfo=UTC)
STATUS = "DisabledDueToViolationOfServicesAgreement"


def sp(status: str | None = None) -> ServicePrincipal:
    return ServicePrincipal(id="sp1", app_id="app1", display_name="DocuSign",
                            disabled_by_microsoft_status=status)


def app(status: str | None = None) -> Application:
    return Application(id="o1", app_id="app1", display_name="Mailer",
                       disabled_by_microsoft_status=status, created_date_time=T - timedelta(days=400))


def fail(n: int, t: datetime, error: int = 7000112) -> SignIn:
    return SignIn(id=f"f{n}", created_date_time=t, kind=SignInKind.servicePrincipal,
                  service_principal_id="sp1", error_code=error)


def test_status_and_first_failure_in_any_order():
    failures = [fail(2, T + timedelta(hours=3)), fail(1, T + timedelta(hours=1)),
                fail(3, T - timedelta(days=1), error=0)]
    inventory_first = run(MaliciousApplication(), [NewRecords(service_principals=[sp(STATUS)]),
                                                   NewRecords(sign_ins=failures)],
                          MemoryContext(sps=[sp(STATUS)]))
    logs_first = run(MaliciousApplication(), [NewRecords(sign_ins=failures),
                                              NewRecords(service_principals=[sp(STATUS)])],
                     MemoryContext(sps=[sp(STATUS)]))
    assert inventory_first.keys() == logs_first.keys()
    (d,) = logs_first.values()
    assert (d.activity_date_time, d.risk_level, d.request_id) == (
        T + timedelta(hours=1), RiskLevel.high, "f1")
    assert {e.key: e.value for e in d.additional_info}["disabledByMicrosoftStatus"] == STATUS


def test_without_failures_the_snapshot_is_dated_by_the_logs_before_it():
    other = SignIn(id="x", created_date_time=T + timedelta(days=1), kind=SignInKind.servicePrincipal,
                   service_principal_id="sp9")
    found = run(MaliciousApplication(), [NewRecords(sign_ins=[other]),
                                         NewRecords(applications=[app(STATUS)])],
                MemoryContext(sps=[sp()], apps=[app(STATUS)]))
    (d,) = found.values()
    assert d.activity_date_time == T + timedelta(days=1)
    assert {e.key: e.value for e in d.additional_info}["disabledObjects"] == ["application"]


@pytest.mark.parametrize("status", [None, "NotDisabled", ""])
def test_not_disabled(status):
    found = run(MaliciousApplication(), [NewRecords(sign_ins=[fail(1, T)]),
                                         NewRecords(service_principals=[sp(status)])],
                MemoryContext(sps=[sp(status)]))
    assert found == {}
