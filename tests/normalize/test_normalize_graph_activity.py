"""MicrosoftGraphActivityLogs rows (LA JSON/CSV, diagnostic properties) → GraphActivity."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from vigil.model import GraphActivity
from vigil.normalize import Rejected, normalize

DATA = Path(__file__).resolve().parents[1] / "data"
TENANT = "8c5d1f3e-2a47-4b9d-9e61-3f0a7c2b5d14"

FIRST = GraphActivity(
    id="7e8f9a0b-1c2d-4e3f-8a4b-5c6d7e8f9a0b",
    time=datetime(2024, 5, 14, 9, 21, 9, 441223, tzinfo=UTC),
    request_method="GET",
    request_uri="https://graph.microsoft.com/v1.0/applications?$select=id,appId,passwordCredentials",
    response_status_code=200,
    service_principal_id="5b3a9c1e-7f2d-4e8a-b6c4-1d9e0f2a3b4c",
    app_id="0c4e8b2a-6d1f-4a3e-9b7c-2e5f8a1d4c6b",
    user_id=None,
    tenant_id=TENANT,  # AadTenantId; TenantId is the workspace
    ip_address="20.190.151.7",
    user_agent="python-requests/2.31.0",
    api_version="v1.0",
    response_size_bytes=2048,
    duration_ms=125,
    sign_in_activity_id="ZupU5mljbU6-Yv9adZsBAA",
    client_auth_method=2,
    roles="Application.Read.All",
    scopes=None,
    location="West Europe",
)


def _la_json() -> list[dict[str, Any]]:
    return json.loads((DATA / "la" / "MicrosoftGraphActivityLogs.json").read_text())


def _la_csv() -> list[dict[str, str]]:
    with (DATA / "la" / "MicrosoftGraphActivityLogs.csv").open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("rows", [_la_json, _la_csv], ids=["json", "csv"])
def test_log_analytics_rows(rows: Any) -> None:
    first, second = (normalize(r) for r in rows())
    assert first == FIRST
    assert isinstance(second, GraphActivity)
    assert (second.request_method, second.response_status_code, second.client_auth_method) == (
        "POST",
        403,
        1,
    )
    assert second.ip_address == "2001:db8::ff00:42:8329"
    assert second.time == datetime(2024, 5, 14, 9, 21, 10, tzinfo=UTC)


def test_diagnostic_record_equals_the_la_row() -> None:
    records = json.loads((DATA / "diagnostic" / "PT1H.json").read_text())["records"]
    assert normalize(records[4]) == FIRST


def test_bare_camel_case_properties() -> None:
    records = json.loads((DATA / "diagnostic" / "PT1H.json").read_text())["records"]
    assert normalize(records[4]["properties"]) == FIRST


@pytest.mark.parametrize(
    ("column", "value", "field", "reason_start"),
    [
        ("RequestId", "", "RequestId", "missing required field"),
        ("TimeGenerated", None, "TimeGenerated", "missing required field"),
        ("RequestMethod", 5, "RequestMethod", "expected a string, got int"),
        ("RequestUri", None, "RequestUri", "missing required field"),
        ("ResponseStatusCode", "", "ResponseStatusCode", "missing required field"),
        ("ResponseStatusCode", "OK", "ResponseStatusCode", "expected an integer"),
        ("DurationMs", [1], "DurationMs", "expected an integer, got list"),
        ("Roles", {"r": 1}, "Roles", "expected a string, got dict"),
    ],
)
def test_bad_columns(column: str, value: object, field: str, reason_start: str) -> None:
    row = _la_json()[0]
    row[column] = value
    result = normalize(row)
    assert isinstance(result, Rejected)
    assert (result.kind, result.field) == ("graphactivity", field)
    assert result.reason.startswith(reason_start), result.reason


def test_diagnostic_rejections_name_the_camel_case_field() -> None:
    record = json.loads((DATA / "diagnostic" / "PT1H.json").read_text())["records"][4]
    del record["properties"]["requestUri"]
    result = normalize(record)
    assert result == Rejected("graphactivity", "missing required field", "properties.requestUri")
