"""Log Analytics sign-in rows (JSON and CSV exports) → exact SignIn values."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from vigil.model import ClientCredentialType, Location, MsiType, SignIn, SignInKind
from vigil.normalize import Rejected, normalize
from vigil.normalize.la_signin import UNKNOWN_FAILURE, result_code

DATA = Path(__file__).resolve().parents[1] / "data" / "la"
TENANT = "8c5d1f3e-2a47-4b9d-9e61-3f0a7c2b5d14"


def _json_rows(name: str) -> list[dict[str, Any]]:
    return json.loads((DATA / name).read_text())


def _csv_rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(newline="", encoding="utf-8") as f:
        return [{k.removesuffix(" [UTC]"): v for k, v in row.items()} for row in csv.DictReader(f)]


FIRST = SignIn(
    id="66ea54eb-6301-4ee5-be62-ff5a759b0100",
    created_date_time=datetime(2024, 5, 14, 9, 21, 7, 123456, tzinfo=UTC),
    kind=SignInKind.servicePrincipal,
    service_principal_id="5b3a9c1e-7f2d-4e8a-b6c4-1d9e0f2a3b4c",
    app_id="0c4e8b2a-6d1f-4a3e-9b7c-2e5f8a1d4c6b",
    service_principal_name="billing-sync",
    tenant_id=TENANT,  # AADTenantId, not the workspace's TenantId
    ip_address="20.190.151.7",
    location=Location("Amsterdam", "Noord-Holland", "NL", 52.37403, 4.88969, None),
    asn=8075,
    resource_id="00000003-0000-0000-c000-000000000000",
    resource_display_name="Microsoft Graph",
    resource_service_principal_id="a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d",
    client_credential_type=ClientCredentialType.certificate,
    credential_key_id="3f2504e0-4f89-41d3-9a0c-0305e82c3301",
    credential_thumbprint="A909502DD82AE41433E6F83886B00D4277A32A7B",
    error_code=0,
    user_agent="python-requests/2.31.0",
    correlation_id="1f2e3d4c-5b6a-4789-8a9b-0c1d2e3f4a5b",
    unique_token_identifier="ZupU5mljbU6-Yv9adZsBAA",
)


def test_sp_json_rows() -> None:
    first, failure, third = (normalize(r) for r in _json_rows("AADServicePrincipalSignInLogs.json"))
    assert first == FIRST
    assert isinstance(failure, SignIn) and isinstance(third, SignIn)
    # ResultType "Failure" → the code from ResultSignature; description kept as failure reason
    assert (failure.error_code, failure.client_credential_type) == (
        7000222,
        ClientCredentialType.clientSecret,  # "Client secret"
    )
    assert failure.failure_reason.startswith("The provided client secret keys")  # type: ignore[union-attr]
    assert failure.ip_address == "2001:db8::ff00:42:8329"
    assert failure.location == Location(country_or_region="US")
    # No CreatedDateTime → TimeGenerated; no AADTenantId → tenant from the ARM ResourceId
    assert third.created_date_time == datetime(2024, 5, 14, 12, 0, tzinfo=UTC)
    assert third.tenant_id == TENANT
    assert (third.error_code, third.client_credential_type) == (
        7000215,
        ClientCredentialType.clientSecret,  # "ClientSecret"
    )


def test_portal_csv_rows_match_the_json_rows() -> None:
    from_csv = [normalize(r) for r in _csv_rows("AADServicePrincipalSignInLogs.portal.csv")]
    from_json = [normalize(r) for r in _json_rows("AADServicePrincipalSignInLogs.json")]
    assert all(isinstance(s, SignIn) for s in from_csv)
    # The portal writes milliseconds only ("5/14/2024, 9:21:07.123 AM") and TimeGenerated only
    assert from_csv[0].created_date_time == datetime(2024, 5, 14, 9, 21, 7, 123000, tzinfo=UTC)  # type: ignore[union-attr]
    assert from_csv[2].created_date_time == datetime(2024, 5, 14, 12, 0, tzinfo=UTC)  # type: ignore[union-attr]
    assert from_csv[1].failure_reason.endswith("create new keys for your app.")  # type: ignore[union-attr]
    for csv_row, json_row in zip(from_csv, from_json, strict=True):
        assert csv_row.id == json_row.id  # type: ignore[union-attr]
        assert csv_row.error_code == json_row.error_code  # type: ignore[union-attr]
        assert csv_row.location == json_row.location  # type: ignore[union-attr]
        assert csv_row.credential_key_id == json_row.credential_key_id  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "name", ["AADManagedIdentitySignInLogs.json", "AADManagedIdentitySignInLogs.csv"]
)
def test_mi_rows(name: str) -> None:
    rows = _json_rows(name) if name.endswith(".json") else _csv_rows(name)
    first, second = (normalize(r) for r in rows)
    assert isinstance(first, SignIn) and isinstance(second, SignIn)
    assert (first.kind, first.msi_type, first.client_credential_type) == (
        SignInKind.managedIdentity,
        MsiType.systemAssigned,
        ClientCredentialType.managedIdentity,  # "Managed identity"
    )
    assert (first.ip_address, first.location) == (None, None)  # "" and "{}"
    assert first.created_date_time == datetime(2024, 5, 14, 3, 15, 42, 500000, tzinfo=UTC)
    assert (second.kind, second.msi_type, second.ip_address, second.service_principal_id) == (
        SignInKind.managedIdentity,
        MsiType.userAssigned,
        "10.1.2.3",
        "4a6c8e0f-2d4b-4f6a-8c0e-2a4c6e8f0b2d",
    )


def test_kind_from_columns_when_type_is_absent() -> None:
    row = _json_rows("AADManagedIdentitySignInLogs.json")[0]
    del row["Type"]
    result = normalize(row)
    assert isinstance(result, SignIn) and result.kind is SignInKind.managedIdentity
    sp_row = _json_rows("AADServicePrincipalSignInLogs.json")[0]
    del sp_row["Type"]
    assert normalize(sp_row).kind is SignInKind.servicePrincipal  # type: ignore[union-attr]


@pytest.mark.parametrize("blank", [(), ("ManagedServiceIdentity", "ClientCredentialType")])
def test_kind_from_category_when_type_is_absent(blank: tuple[str, ...]) -> None:
    # A hunting export without Type, of rows with no managed-identity evidence (the 2024 schema
    # has neither column; newer rows may leave them empty): Category still names the table's
    # diagnostic category, as Graph's signInEventTypes and the diagnostic record's category do.
    row = _json_rows("AADManagedIdentitySignInLogs.json")[0]
    del row["Type"]
    for column in ("ManagedServiceIdentity", "ClientCredentialType", "SourceAppClientId"):
        if column in blank:
            row[column] = ""
        else:
            row.pop(column, None)
    assert row["Category"] == "ManagedIdentitySignInLogs"
    result = normalize(row)
    assert isinstance(result, SignIn) and result.kind is SignInKind.managedIdentity
    sp_row = _json_rows("AADServicePrincipalSignInLogs.json")[0]
    del sp_row["Type"]
    assert normalize(sp_row).kind is SignInKind.servicePrincipal  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("result_type", "signature", "description", "expected"),
    [
        ("0", "None", None, 0),
        ("", None, None, 0),
        (None, None, None, 0),
        (7000215, None, None, 7000215),
        ("50126", "50126", None, 50126),
        ("Success", "SUCCESS", None, 0),
        ("success", None, None, 0),
        ("Failure", "7000222", None, 7000222),
        ("Failure", "None", "AADSTS7000215: Invalid client secret provided.", 7000215),
        ("Failure", "", "something broke", UNKNOWN_FAILURE),
    ],
)
def test_result_codes(
    result_type: object, signature: object, description: str | None, expected: int
) -> None:
    assert result_code(result_type, signature, description) == expected


@pytest.mark.parametrize(
    ("column", "value", "field", "reason_start"),
    [
        ("Id", "", "Id", "missing required field"),
        ("ServicePrincipalId", None, "ServicePrincipalId", "missing required field"),
        ("ResultType", "Maybe", "ResultType", "unrecognised result"),
        ("LocationDetails", "{not json", "LocationDetails", "invalid JSON text"),
        ("LocationDetails", "[1, 2]", "LocationDetails", "expected an object"),
        ("ManagedServiceIdentity", "{oops", "ManagedServiceIdentity", "invalid JSON text"),
        ("AppId", 12, "AppId", "expected a string, got int"),
    ],
)
def test_bad_columns(column: str, value: object, field: str, reason_start: str) -> None:
    row = _json_rows("AADServicePrincipalSignInLogs.json")[0]
    row[column] = value
    result = normalize(row)
    assert isinstance(result, Rejected)
    assert (result.kind, result.field) == ("signins", field)
    assert result.reason.startswith(reason_start), result.reason


def test_missing_time_names_the_column() -> None:
    row = _json_rows("AADServicePrincipalSignInLogs.json")[0]
    row["CreatedDateTime"] = row["TimeGenerated"] = ""
    result = normalize(row)
    assert result == Rejected("signins", "missing required field", "TimeGenerated")
