"""Output files have the real export shapes: field names and value types of spec §5, §10 and
STIX 2.1, checked record by record."""

from __future__ import annotations

import json
from datetime import datetime

from simfiles import labels, load, rows

SIGNIN_FIELDS = {"id", "createdDateTime", "appId", "appDisplayName", "ipAddress", "status",
                 "location", "autonomousSystemNumber", "correlationId", "resourceId",
                 "resourceDisplayName", "resourceServicePrincipalId", "servicePrincipalId",
                 "servicePrincipalName", "servicePrincipalCredentialKeyId",
                 "servicePrincipalCredentialThumbprint", "clientCredentialType",
                 "federatedCredentialId", "managedServiceIdentity", "signInEventTypes",
                 "uniqueTokenIdentifier", "userAgent", "tokenIssuerType", "appOwnerTenantId"}
CREDENTIAL_TYPES = {"none", "clientSecret", "clientAssertion", "federatedIdentityCredential",
                    "managedIdentity", "certificate"}
LA_SIGNIN = {"TenantId", "TimeGenerated", "OperationName", "Category", "ResultType",
             "ResultDescription", "CorrelationId", "AppId", "AADTenantId", "AppOwnerTenantId",
             "AutonomousSystemNumber", "ClientCredentialType", "CreatedDateTime",
             "FederatedCredentialId", "Id", "IPAddress", "LocationDetails", "ResourceDisplayName",
             "ResourceIdentity", "ResourceServicePrincipalId", "ServicePrincipalCredentialKeyId",
             "ServicePrincipalCredentialThumbprint", "ServicePrincipalId", "ServicePrincipalName",
             "UniqueTokenIdentifier", "UserAgent", "Type"}
LA_AUDIT = {"TenantId", "TimeGenerated", "OperationName", "Category", "CorrelationId",
            "AdditionalDetails", "Id", "InitiatedBy", "LoggedByService", "Result",
            "TargetResources", "AADTenantId", "ActivityDisplayName", "ActivityDateTime",
            "AADOperationType", "Type"}
GRAPH_ACTIVITY = {"AadTenantId", "ApiVersion", "AppId", "ClientAuthMethod", "ClientRequestId",
                  "DurationMs", "IdentityProvider", "IPAddress", "Location", "OperationId",
                  "RequestId", "RequestMethod", "RequestUri", "ResponseSizeBytes",
                  "ResponseStatusCode", "Roles", "Scopes", "ServicePrincipalId",
                  "SignInActivityId", "TokenIssuedAt", "UserAgent", "UserId", "Wids",
                  "TenantId", "TimeGenerated", "Type"}


def iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_graph_signins(graph_out):
    seen_kinds, seen_errors = set(), set()
    for name, kind in (("ServicePrincipalSignIns", "servicePrincipal"),
                       ("ManagedIdentitySignIns", "managedIdentity")):
        previous = ""
        for r in rows(graph_out / f"signins/{name}.jsonl"):
            assert r.keys() >= SIGNIN_FIELDS
            assert r["signInEventTypes"] == [kind]
            assert r["createdDateTime"].endswith("Z") and r["createdDateTime"] >= previous
            previous = r["createdDateTime"]
            assert type(r["status"]["errorCode"]) is int
            assert r["clientCredentialType"] in CREDENTIAL_TYPES
            assert r["managedServiceIdentity"]["msiType"] in {"none", "systemAssigned",
                                                              "userAssigned"}
            assert set(r["location"]) == {"city", "state", "countryOrRegion", "geoCoordinates"}
            assert type(r["autonomousSystemNumber"]) is int
            seen_kinds.add((kind, r["clientCredentialType"]))
            seen_errors.add(r["status"]["errorCode"])
    assert {("managedIdentity", "managedIdentity"), ("servicePrincipal", "clientSecret"),
            ("servicePrincipal", "certificate"),
            ("servicePrincipal", "federatedIdentityCredential")} <= seen_kinds
    assert {0, 7000215, 700027, 7000112} <= seen_errors


def test_log_analytics_rows(la_out):
    for name, table in (("AADServicePrincipalSignInLogs", "AADServicePrincipalSignInLogs"),
                        ("AADManagedIdentitySignInLogs", "AADManagedIdentitySignInLogs")):
        for r in rows(la_out / f"signins/{name}.jsonl"):
            assert r.keys() >= LA_SIGNIN and r["Type"] == table
            assert r["TenantId"] != r["AADTenantId"]  # workspace vs Entra tenant
            assert int(r["ResultType"]) >= 0
            assert set(json.loads(r["LocationDetails"])) >= {"city", "countryOrRegion"}
            if table == "AADManagedIdentitySignInLogs":
                assert json.loads(r["ManagedServiceIdentity"])["msiType"] in {"systemAssigned",
                                                                              "userAssigned"}
    for r in rows(la_out / "audit/AuditLogs.jsonl"):
        assert r.keys() >= LA_AUDIT and r["Type"] == "AuditLogs"
        assert isinstance(json.loads(r["TargetResources"]), list)
        assert set(json.loads(r["InitiatedBy"])) <= {"user", "app"}
        assert isinstance(json.loads(r["AdditionalDetails"]), list)


def test_graph_activity_rows_join_their_sign_ins(graph_out):
    tokens = {r["uniqueTokenIdentifier"] for r in rows(graph_out / "signins/ServicePrincipalSignIns.jsonl")}
    n = 0
    for r in rows(graph_out / "graph/MicrosoftGraphActivityLogs.jsonl"):
        assert r.keys() >= GRAPH_ACTIVITY and r["Type"] == "MicrosoftGraphActivityLogs"
        assert r["RequestUri"].startswith("https://graph.microsoft.com/")
        assert type(r["ResponseStatusCode"]) is int and type(r["ResponseSizeBytes"]) is int
        assert r["SignInActivityId"] in tokens
        assert r["ClientAuthMethod"] in (0, 1, 2)
        n += 1
    assert n > 500


def test_directory_audits(graph_out):
    names = set()
    for r in rows(graph_out / "audit/directoryAudits.jsonl"):
        assert r["id"].startswith("Directory_") and r["loggedByService"] == "Core Directory"
        assert set(r["initiatedBy"]) == {"user", "app"}
        assert (r["initiatedBy"]["user"] is None) != (r["initiatedBy"]["app"] is None)
        for t in r["targetResources"]:
            for p in t["modifiedProperties"]:
                for v in (p["oldValue"], p["newValue"]):
                    assert v is None or json.loads(v) is not None or v == "null"
        names.add(r["activityDisplayName"])
    assert "Update application – Certificates and secrets management " in names
    assert {"Add app role assignment to service principal", "Add service principal credentials",
            "Add owner to service principal", "Add member to role", "Consent to application",
            "Update application"} <= names


def test_inventory_pages(graph_out):
    sps = load(graph_out / "inventory/servicePrincipals.json")
    apps = load(graph_out / "inventory/applications.json")
    assert sps["@odata.context"].startswith("https://graph.microsoft.com/v1.0/$metadata#")
    assert "@odata.nextLink" not in sps
    types = {sp["servicePrincipalType"] for sp in sps["value"]}
    assert types == {"Application", "ManagedIdentity"}
    tenant = labels(graph_out)["tenantId"]
    assert any(sp["appOwnerOrganizationId"] != tenant for sp in sps["value"])
    disabled = [sp for sp in sps["value"] if sp["disabledByMicrosoftStatus"]]
    assert {sp["disabledByMicrosoftStatus"] for sp in disabled} == {
        "DisabledDueToViolationOfServicesAgreement"}
    for app in apps["value"]:
        for pc in app["passwordCredentials"]:
            assert len(pc["hint"]) == 3 and pc["secretText"] is None
        for fic in app["federatedIdentityCredentials"]:
            assert fic["audiences"] == ["api://AzureADTokenExchange"]
    secrets = load(graph_out / "secrets.json")
    hints = {pc["keyId"]: pc["hint"] for app in apps["value"] for pc in app["passwordCredentials"]}
    for s in secrets:
        assert set(s) == {"keyId", "secretText", "servicePrincipalId", "appId"}
        if s["keyId"] in hints:
            assert s["secretText"][:3] == hints[s["keyId"]]


def test_stix_bundle(graph_out):
    bundle = load(graph_out / "intel/threat-intel.stix.json")
    assert bundle["type"] == "bundle" and bundle["id"].startswith("bundle--")
    start = iso(labels(graph_out)["start"])
    indicators = [o for o in bundle["objects"] if o["type"] == "indicator"]
    assert indicators
    for o in indicators:
        assert o["spec_version"] == "2.1" and o["pattern_type"] == "stix"
        assert o["pattern"].startswith("[") and o["pattern"].endswith("]")
        iso(o["valid_from"])
    assert any(o.get("revoked") for o in indicators)
    assert any("valid_until" in o and iso(o["valid_until"]) < start for o in indicators)
    assert any("/" in o["pattern"] for o in indicators)  # a CIDR indicator
