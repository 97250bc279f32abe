"""suspiciousApplication: each heuristic, the score, and complete consent-phishing stories."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from behaviour_sim import MemoryContext, run

from vigil.detections import reply_urls
from vigil.detections.app_permissions import grants, risk_of
from vigil.detections.impersonation import impersonation
from vigil.detections.suspicious_application import (
    SuspiciousApplication,
    static_evidence,
    timed_evidence,
)
from vigil.ingest.pipeline import NewRecords
from vigil.model import (
    AuditEvent,
    AuditTarget,
    ModifiedProperty,
    RiskLevel,
    ServicePrincipal,
)

T = datetime(2026, 10, 17, 16, 44, 45, tzinfo=UTC)
OTHER_TENANT = "9a1d0c55-0000-4000-8000-000000000001"


@pytest.mark.parametrize(
    ("name", "brand", "homoglyph"),
    [("Micr\u043esoft Teams Sync", "microsoft", True),
     ("DocuS\u0456gn eSignature", "docusign", True),
     ("\uff27\uff4f\uff4f\uff47\uff4c\uff45 Drive", "google", True),  # full-width letters
     ("Contoso Teams Bot", "teams", False),
     ("Payroll Export", None, False),
     ("\u0456nbox cleaner", None, False)],  # the look-alike is outside any brand
)
def test_impersonation(name, brand, homoglyph):
    found = impersonation(name)
    assert (found.brand if found else None) == brand
    assert (found.homoglyph if found else False) is homoglyph


@pytest.mark.parametrize(
    ("url", "expected"),
    [("http://203.0.113.7:8080/oauth/callback", "rawIp"),
     ("https://[2001:db8::7]/cb", "rawIp"),
     ("https://amber-delta-orbit-123.trycloudflare.com/auth/callback", "tunnel"),
     ("https://abc.ngrok-free.app/cb", "tunnel"),
     ("https://my-home.duckdns.org/cb", "dynamicDns"),
     ("http://localhost:5000/cb", "localhost"),
     ("https://127.0.0.1/cb", "localhost"),
     ("http://app.contoso.com/cb", "insecureHttp"),
     ("https://app.zoom.com/auth/microsoft/callback", None),
     ("not a url", None)],
)
def test_reply_url_classes(url, expected):
    assert reply_urls.classify(url) == expected


@pytest.mark.parametrize(
    ("permission", "risk"),
    [("Mail.Read", "data"), ("Files.ReadWrite.All", "data"), ("Sites.Read.All", "data"),
     ("Directory.ReadWrite.All", "directoryWrite"), ("RoleManagement.ReadWrite.Directory",
                                                      "directoryWrite"),
     ("User.Read", None), ("offline_access", None), ("Directory.Read.All", None)],
)
def test_permission_risk(permission, risk):
    assert risk_of(permission) == risk


def prop(name: str, value: object) -> ModifiedProperty:
    return ModifiedProperty(name, None, json.dumps(value))


def event(n: int, t: datetime, name: str, target: AuditTarget) -> AuditEvent:
    return AuditEvent(id=f"a{n}", activity_date_time=t, activity_display_name=name,
                      result="success", targets=(target,))


def phishing(sp_id: str, t: datetime) -> list[AuditEvent]:
    graph = "graph-sp"
    return [
        event(1, t, "Add service principal", AuditTarget(sp_id, "ServicePrincipal")),
        event(2, t + timedelta(seconds=2), "Consent to application", AuditTarget(
            sp_id, "ServicePrincipal", modified_properties=(prop(
                "ConsentAction.Permissions", "[[Id: x, ClientId: c, ConsentType: AllPrincipals, "
                "Scope: Mail.ReadWrite Files.ReadWrite.All, CreatedDateTime: ]]"),))),
        event(3, t + timedelta(minutes=2), "Add app role assignment to service principal",
              AuditTarget(graph, "ServicePrincipal", modified_properties=(
                  prop("AppRole.Value", "Mail.ReadWrite"),
                  prop("ServicePrincipal.ObjectID", sp_id)))),
        event(4, t + timedelta(minutes=9), "Add service principal credentials",
              AuditTarget(sp_id, "ServicePrincipal")),
    ]


def test_grants_are_read_from_the_three_activities():
    events = phishing("sp1", T)
    assert grants(events[1]) == [("sp1", "Mail.ReadWrite"), ("sp1", "Files.ReadWrite.All")]
    assert grants(events[2]) == [("sp1", "Mail.ReadWrite")]
    assert grants(events[0]) == []


def lookalike(**kw) -> ServicePrincipal:
    base = dict(id="sp1", app_id="app1", display_name="DocuS\u0456gn eSignature",
                app_owner_organization_id=OTHER_TENANT, sign_in_audience="AzureADMultipleOrgs",
                publisher_name="DocuSign Inc", reply_urls=("http://203.0.113.7:8080/oauth/cb",))
    return ServicePrincipal(**{**base, **kw})


@pytest.mark.parametrize("order", ["logs-first", "inventory-first"])
def test_consent_phishing_is_high_in_any_order(order):
    sp = lookalike()
    logs, inventory = NewRecords(audit_events=phishing("sp1", T)), NewRecords(service_principals=[sp])
    stream = [logs, inventory] if order == "logs-first" else [inventory, logs]
    (d,) = run(SuspiciousApplication(), stream, MemoryContext(sps=[sp])).values()
    info = {e.key: e.value for e in d.additional_info}
    assert (d.risk_level, d.activity_date_time) == (RiskLevel.high, T)
    assert {e["heuristic"] for e in info["evidence"]} == {
        "impersonation", "unverifiedMultiTenantPublisher", "replyUrl",
        "highRiskPermissionsSoonAfterCreation", "credentialsAddedAfterConsent"}
    assert info["score"] == 3 + 1 + 2 + 1 + 2


@pytest.mark.parametrize(
    ("changes", "level"),
    [({"reply_urls": ()}, RiskLevel.medium),  # homoglyph + unverified multi-tenant: 4
     ({"reply_urls": (), "display_name": "eSignature"}, None),  # weak evidence only
     ({"display_name": "eSignature"}, RiskLevel.medium),  # raw-IP reply URL + unverified: 3
     ({"display_name": "DocuSign", "verified_publisher": "DocuSign, Inc.",
       "reply_urls": ("https://app.docusign.com/cb",)}, None)],  # the real vendor
)
def test_level_from_the_evidence(changes, level):
    sp = lookalike(**changes)
    found = run(SuspiciousApplication(), [NewRecords(audit_events=phishing("sp1", T)[:1]),
                                          NewRecords(service_principals=[sp])],
                MemoryContext(sps=[sp]))
    assert [d.risk_level for d in found.values()] == ([level] if level else [])


def test_evidence_functions_directly():
    assert [e["heuristic"] for e in static_evidence(lookalike(), None)] == [
        "impersonation", "unverifiedMultiTenantPublisher", "replyUrl"]
    late = {"created": [T.isoformat(), "a1"],
            "grants": [[(T + timedelta(days=3)).isoformat(), "Mail.Read"]]}
    assert timed_evidence(late) == []  # granted days after creation: not "soon"


def test_microsoft_first_party_is_never_suspicious():
    sp = lookalike(display_name="Micr\u043esoft Graph",
                   app_owner_organization_id="f8cdef31-a31e-4b4a-93e4-5f571e91255a")
    assert run(SuspiciousApplication(), [NewRecords(service_principals=[sp]),
                                         NewRecords(audit_events=phishing("sp1", T))],
               MemoryContext(sps=[sp])) == {}
