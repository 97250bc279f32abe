"""Graph ``signIn`` (beta) golden files → exact SignIn values; kinds; bad fields."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from vigil.model import ClientCredentialType, Location, MsiType, SignIn, SignInKind
from vigil.normalize import Rejected, normalize
from vigil.normalize.graph_signin import normalize_graph_signin

DATA = Path(__file__).resolve().parents[1] / "data"
TENANT = "8c5d1f3e-2a47-4b9d-9e61-3f0a7c2b5d14"
SP1 = "5b3a9c1e-7f2d-4e8a-b6c4-1d9e0f2a3b4c"
GRAPH_APP = "00000003-0000-0000-c000-000000000000"
GRAPH_SP = "a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d"


def _page(name: str) -> list[dict[str, Any]]:
    return json.loads((DATA / "graph" / name).read_text())["value"]


SP_FIRST = SignIn(
    id="66ea54eb-6301-4ee5-be62-ff5a759b0100",
    created_date_time=datetime(2024, 5, 14, 9, 21, 7, 123456, tzinfo=UTC),
    kind=SignInKind.servicePrincipal,
    service_principal_id=SP1,
    app_id="0c4e8b2a-6d1f-4a3e-9b7c-2e5f8a1d4c6b",
    service_principal_name="billing-sync",
    tenant_id=TENANT,
    ip_address="20.190.151.7",
    location=Location("Amsterdam", "Noord-Holland", "NL", 52.37403, 4.88969, None),
    asn=8075,
    resource_id=GRAPH_APP,
    resource_display_name="Microsoft Graph",
    resource_service_principal_id=GRAPH_SP,
    client_credential_type=ClientCredentialType.certificate,
    credential_key_id="3f2504e0-4f89-41d3-9a0c-0305e82c3301",
    credential_thumbprint="A909502DD82AE41433E6F83886B00D4277A32A7B",
    msi_type=MsiType.none,
    error_code=0,
    user_agent="python-requests/2.31.0",
    correlation_id="1f2e3d4c-5b6a-4789-8a9b-0c1d2e3f4a5b",
    unique_token_identifier="ZupU5mljbU6-Yv9adZsBAA",
)


def test_sp_page_first_record_exact() -> None:
    assert normalize(_page("signins_sp.page.json")[0]) == SP_FIRST


def test_sp_page_failure_record() -> None:
    s = normalize(_page("signins_sp.page.json")[1])
    assert isinstance(s, SignIn)
    # 11:22:08.9876543+02:00 → UTC, the 7th fraction digit truncated
    assert s.created_date_time == datetime(2024, 5, 14, 9, 22, 8, 987654, tzinfo=UTC)
    assert s.ip_address == "2001:db8::ff00:42:8329"
    assert s.location == Location(country_or_region="US")
    assert (s.error_code, s.succeeded) == (7000222, False)
    assert s.failure_reason == (
        "The provided client secret keys for app '0c4e8b2a-6d1f-4a3e-9b7c-2e5f8a1d4c6b' are expired."
    )
    assert s.client_credential_type is ClientCredentialType.clientSecret
    assert (s.credential_key_id, s.credential_thumbprint, s.asn) == (
        "8b2c4d6e-0f1a-4b3c-9d5e-7f9a1b3c5d7e",
        None,
        14061,
    )


def test_sp_page_federated_credential_and_invalid_ip() -> None:
    s = normalize(_page("signins_sp.page.json")[2])
    assert isinstance(s, SignIn)
    assert s.ip_address is None  # "not-an-ip": dropped, not rejected
    assert s.client_credential_type is ClientCredentialType.federatedIdentityCredential
    assert s.federated_credential_id == "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9"
    assert (s.service_principal_id, s.resource_id) == (
        "7d1e3f5a-2b4c-4d6e-8f0a-1b3c5d7e9f1a",
        "797f4846-ba00-4fd7-ba43-dac1f8f63013",
    )
    assert s.location == Location("Dublin", "Dublin", "IE", 53.34807, -6.24827, None)


def test_mi_page() -> None:
    first, second = (normalize(r) for r in _page("signins_mi.page.json"))
    assert isinstance(first, SignIn) and isinstance(second, SignIn)
    assert (first.kind, first.msi_type, first.client_credential_type) == (
        SignInKind.managedIdentity,
        MsiType.systemAssigned,
        ClientCredentialType.managedIdentity,
    )
    assert first.ip_address is None  # "" in the log
    assert first.created_date_time == datetime(2024, 5, 14, 3, 15, 42, 500000, tzinfo=UTC)
    assert (first.resource_display_name, first.service_principal_id) == (
        "Azure Key Vault",
        "9e2d4f6a-1b3c-4d5e-8f7a-6b9c0d1e2f3a",
    )
    # errorCode 0 with failureReason "Other." (Graph's filler): a success has no failure reason,
    # as in the Log Analytics shapes, which give ResultDescription only with an error
    assert (second.msi_type, second.ip_address, second.failure_reason) == (
        MsiType.userAssigned,
        "10.1.2.3",
        None,
    )


def test_jsonl_kinds_with_and_without_sign_in_event_types() -> None:
    rows = [
        json.loads(line) for line in (DATA / "graph" / "signins.jsonl").read_text().splitlines()
    ]
    results = [normalize(r) for r in rows]
    assert [(r.id[:8], r.kind.value) for r in results] == [  # type: ignore[union-attr]
        ("66ea54eb", "servicePrincipal"),
        ("0b7c9d1e", "servicePrincipal"),
        ("a1b2c3d4", "servicePrincipal"),
        ("c3d4e5f6", "managedIdentity"),
        ("d4e5f6a7", "managedIdentity"),
        ("e5f6a7b8", "servicePrincipal"),  # no signInEventTypes, no MSI evidence
        ("f6a7b8c9", "managedIdentity"),  # no signInEventTypes, msiType userAssigned
    ]
    v1 = results[5]
    assert isinstance(v1, SignIn)
    assert (v1.client_credential_type, v1.credential_key_id, v1.asn, v1.msi_type) == (
        None,
        None,
        None,
        None,
    )


# --- bad input --------------------------------------------------------------------------------


def _sp(**changes: Any) -> dict[str, Any]:
    record = copy.deepcopy(_page("signins_sp.page.json")[0])
    for key, value in changes.items():
        if value is _DROP:
            record.pop(key)
        else:
            record[key] = value
    return record


_DROP = object()


@pytest.mark.parametrize(
    ("changes", "field", "reason_start"),
    [
        ({"id": _DROP}, "id", "missing required field"),
        ({"id": ""}, "id", "missing required field"),
        ({"createdDateTime": _DROP}, "createdDateTime", "missing required field"),
        ({"createdDateTime": "yesterday"}, "createdDateTime", "invalid timestamp"),
        ({"servicePrincipalId": None}, "servicePrincipalId", "missing required field"),
        ({"servicePrincipalId": ["x"]}, "servicePrincipalId", "expected a string, got list"),
        ({"appId": ["a", "b"]}, "appId", "expected a string, got list"),
        ({"ipAddress": {"v": 4}}, "ipAddress", "expected an IP address string, got dict"),
        ({"status": "ok"}, "status", "expected an object, got str"),
        ({"status": {"errorCode": "boom"}}, "status.errorCode", "expected an integer"),
        ({"location": [1]}, "location", "expected an object, got list"),
        ({"location": {"city": 5}}, "location.city", "expected a string, got int"),
        (
            {"location": {"geoCoordinates": {"latitude": "north"}}},
            "location.geoCoordinates.latitude",
            "expected a number",
        ),
        ({"signInEventTypes": ["interactiveUser"]}, "signInEventTypes", "not a workload sign-in"),
        ({"signInEventTypes": "servicePrincipal"}, "signInEventTypes", "expected an array"),
        ({"managedServiceIdentity": 3}, "managedServiceIdentity", "expected an object"),
        ({"clientCredentialType": 7}, "clientCredentialType", "expected a string, got int"),
        ({"autonomousSystemNumber": "AS8075"}, "autonomousSystemNumber", "expected an integer"),
    ],
)
def test_bad_fields_are_rejected_with_the_field(
    changes: dict[str, Any], field: str, reason_start: str
) -> None:
    result = normalize(_sp(**changes))
    assert isinstance(result, Rejected)
    assert (result.kind, result.field) == ("signins", field)
    assert result.reason.startswith(reason_start), result.reason


@pytest.mark.parametrize(
    ("changes", "attribute", "expected"),
    [
        (
            {"createdDateTime": "2024-05-14T09:21:07"},
            "created_date_time",
            datetime(2024, 5, 14, 9, 21, 7, tzinfo=UTC),
        ),
        (
            {"createdDateTime": "2024-05-14T04:21:07-05:00"},
            "created_date_time",
            datetime(2024, 5, 14, 9, 21, 7, tzinfo=UTC),
        ),
        ({"ipAddress": " 20.190.151.7 "}, "ip_address", "20.190.151.7"),
        ({"ipAddress": "2603:1030:0:0:0:0:0:1"}, "ip_address", "2603:1030::1"),
        ({"ipAddress": "20.190.151.007"}, "ip_address", None),
        (
            {"clientCredentialType": "Client secret"},
            "client_credential_type",
            ClientCredentialType.clientSecret,
        ),
        (
            {"clientCredentialType": "CLIENT_ASSERTION"},
            "client_credential_type",
            ClientCredentialType.clientAssertion,
        ),
        ({"clientCredentialType": "somethingNew"}, "client_credential_type", None),
        ({"status": _DROP}, "error_code", 0),
        ({"status": {"errorCode": "50126"}}, "error_code", 50126),
        ({"autonomousSystemNumber": "8075"}, "asn", 8075),
        ({"autonomousSystemNumber": 0}, "asn", None),
        ({"location": {}}, "location", None),
        ({"tenantId": "t-explicit"}, "tenant_id", "t-explicit"),
    ],
)
def test_field_coercions(changes: dict[str, Any], attribute: str, expected: object) -> None:
    result = normalize(_sp(**changes))
    assert isinstance(result, SignIn), result
    assert getattr(result, attribute) == expected


def test_forced_kind_is_used_and_the_tenant_fallback_applies() -> None:
    record = _sp(resourceTenantId=_DROP)
    result = normalize_graph_signin(record, kind=SignInKind.managedIdentity, tenant_id="t-env")
    assert isinstance(result, SignIn)
    assert (result.kind, result.tenant_id) == (SignInKind.managedIdentity, "t-env")
