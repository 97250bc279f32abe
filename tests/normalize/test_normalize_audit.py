"""Audit records (Graph directoryAudit, Log Analytics rows JSON/CSV, diagnostic) → AuditEvent."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from vigil.model import AuditEvent, AuditTarget, Initiator, ModifiedProperty
from vigil.normalize import Rejected, activity_key, normalize

DATA = Path(__file__).resolve().parents[1] / "data"
SP1 = "5b3a9c1e-7f2d-4e8a-b6c4-1d9e0f2a3b4c"
SP2 = "7d1e3f5a-2b4c-4d6e-8f0a-1b3c5d7e9f1a"
CERTS = "Update application – Certificates and secrets management "

FIRST = AuditEvent(
    id="Directory_1f2e3d4c-5b6a-4789-8a9b-0c1d2e3f4a5b_ABCDE_11223344",
    activity_date_time=datetime(2024, 5, 14, 8, 59, 12, 447012, tzinfo=UTC),
    activity_display_name="Add service principal credentials",
    category="ApplicationManagement",
    operation_type="Update",
    result="success",
    result_reason=None,
    logged_by_service="Core Directory",
    correlation_id="1f2e3d4c-5b6a-4789-8a9b-0c1d2e3f4a5b",
    initiated_by=Initiator(
        kind="user",
        id="2b4d6f8a-0c2e-4a6c-8e0a-2c4e6a8c0e2a",
        user_principal_name="admin@contoso.onmicrosoft.com",
        ip_address="203.0.113.45",
    ),
    targets=(
        AuditTarget(
            id=SP1,
            type="ServicePrincipal",
            display_name="billing-sync",
            modified_properties=(
                ModifiedProperty(
                    "KeyDescription",
                    "[]",
                    '["[KeyIdentifier=3f2504e0-4f89-41d3-9a0c-0305e82c3301,KeyType=AsymmetricX509Cert,'
                    'KeyUsage=Verify,DisplayName=CN=billing-sync]"]',
                ),
                ModifiedProperty("Included Updated Properties", None, '"KeyDescription"'),
            ),
        ),
    ),
    additional_details=(
        (
            "User-Agent",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/124.0.0.0 Safari/537.36",
        ),
        ("AppId", "0c4e8b2a-6d1f-4a3e-9b7c-2e5f8a1d4c6b"),
    ),
)


def _graph() -> list[dict[str, Any]]:
    return json.loads((DATA / "graph" / "directory_audits.page.json").read_text())["value"]


def _la_json() -> list[dict[str, Any]]:
    return json.loads((DATA / "la" / "AuditLogs.json").read_text())


def _la_csv() -> list[dict[str, str]]:
    with (DATA / "la" / "AuditLogs.csv").open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_graph_directory_audits() -> None:
    first, second, third = (normalize(r) for r in _graph())
    assert first == FIRST
    assert isinstance(second, AuditEvent) and isinstance(third, AuditEvent)
    assert second.activity_display_name == CERTS  # verbatim: EN DASH and trailing space
    assert second.initiated_by == Initiator(
        kind="app",
        id=SP2,
        display_name="deploy-pipeline",
        app_id="e2f4a6b8-c0d2-4e4f-a6b8-c0d2e4f6a8b0",
        service_principal_id=SP2,
    )
    assert second.actor_service_principal_id == SP2
    assert "backdoor" in second.targets[0].modified_properties[0].new_value  # type: ignore[operator]
    # displayName null → servicePrincipalName; failure with its reason; two targets
    assert third.initiated_by.display_name == "deploy-pipeline"  # type: ignore[union-attr]
    assert (third.result, third.result_reason, third.operation_type) == (
        "failure",
        "Microsoft.Online.DirectoryServices.AuthorizationException",
        "Assign",
    )
    assert [(t.id, t.type) for t in third.targets] == [
        ("a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d", "ServicePrincipal"),
        (SP2, "ServicePrincipal"),
    ]
    assert third.additional_details == ()


@pytest.mark.parametrize("rows", [_la_json, _la_csv], ids=["json", "csv"])
def test_log_analytics_rows_equal_the_graph_records(rows: Any) -> None:
    graph = [normalize(r) for r in _graph()]
    la = [normalize(r) for r in rows()]
    assert la[0] == FIRST
    assert la[1] == graph[1]  # ActivityDateTime "…33.1Z" == Graph "…33.1000000+00:00"
    # Row 3: no ActivityDateTime → TimeGenerated; AdditionalDetails "" → ()
    assert la[2] == graph[2]


def test_diagnostic_audit_record() -> None:
    records = json.loads((DATA / "diagnostic" / "PT1H.json").read_text())["records"]
    result = normalize(records[3])
    assert result == normalize(_graph()[1])


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (CERTS, "update application - certificates and secrets management"),
        ("Update application - Certificates and secrets management", None),
        ("update application — certificates  and secrets management", None),
        ("Add service principal credentials", "add service principal credentials"),
    ],
)
def test_activity_key_folds_dashes_spaces_and_case(name: str, expected: str | None) -> None:
    assert activity_key(name) == (expected or activity_key(CERTS))


@pytest.mark.parametrize(
    ("mutate", "field", "reason_start"),
    [
        (lambda r: r.pop("id"), "id", "missing required field"),
        (lambda r: r.pop("activityDateTime"), "activityDateTime", "missing required field"),
        (lambda r: r.update(activityDisplayName=None), "activityDisplayName", "missing"),
        (lambda r: r.update(activityDisplayName=["x"]), "activityDisplayName", "expected a string"),
        (lambda r: r.update(initiatedBy="admin"), "initiatedBy", "expected an object"),
        (lambda r: r.update(targetResources={"id": 1}), "targetResources", "expected an array"),
        (lambda r: r.update(targetResources=[3]), "targetResources[0]", "expected an object"),
        (
            lambda r: r["targetResources"][0].update(modifiedProperties=[{"displayName": 4}]),
            "targetResources[0].modifiedProperties[0].displayName",
            "expected a string",
        ),
        (
            lambda r: r.update(additionalDetails=[{"value": "v"}]),
            "additionalDetails[0].key",
            "missing",
        ),
        (lambda r: r.update(category=1.5), "category", "expected a string, got float"),
    ],
)
def test_bad_graph_fields(mutate: Any, field: str, reason_start: str) -> None:
    record = _graph()[0]
    mutate(record)
    result = normalize(record)
    assert isinstance(result, Rejected)
    assert (result.kind, result.field) == ("audit", field)
    assert result.reason.startswith(reason_start), result.reason


def test_la_row_without_any_time_and_bad_json_text() -> None:
    row = _la_json()[0]
    row["ActivityDateTime"] = row["TimeGenerated"] = ""
    result = normalize(row)
    assert isinstance(result, Rejected) and result.field == "ActivityDateTime"
    row = _la_json()[0]
    row["TargetResources"] = '[{"id": '
    result = normalize(row)
    assert isinstance(result, Rejected)
    assert (result.field, result.reason.split(":")[0]) == ("TargetResources", "invalid JSON text")


def test_decoded_values_are_reencoded_as_json_text() -> None:
    record = _graph()[0]
    record["targetResources"][0]["modifiedProperties"][0]["newValue"] = ["a", {"b": 1}]
    record["additionalDetails"] = [{"key": "n", "value": 3}]
    result = normalize(record)
    assert isinstance(result, AuditEvent)
    assert result.targets[0].modified_properties[0].new_value == '["a",{"b":1}]'
    assert result.additional_details == (("n", "3"),)
