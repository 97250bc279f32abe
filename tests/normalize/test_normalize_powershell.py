"""Graph objects saved by the PowerShell SDK (``ConvertTo-Json``) normalize as their Graph JSON."""

from __future__ import annotations

import copy
import dataclasses
import json
from datetime import timedelta
from typing import Any

import orjson
import pytest
from tests.powershell_export import (
    GOLDEN_FILES,
    POWERSHELL,
    dumps,
    golden_file,
    graph_items,
    ms_precision,
    to_powershell,
)

from vigil.model import SignIn
from vigil.normalize import Rejected, classify, normalize
from vigil.normalize.graph_signin_wire import signin_from_line
from vigil.normalize.powershell import camel, is_powershell

GRAPH_FILES = {
    "graph/signins_sp.page.json": "powershell.signIn",
    "graph/signins_mi.page.json": "powershell.signIn",
    "graph/directory_audits.page.json": "powershell.directoryAudit",
    "graph/service_principals.page.json": "powershell.servicePrincipal",
    "graph/applications.page.json": "powershell.application",
}
GRAPH = [(path, i, item) for path in GRAPH_FILES for i, item in enumerate(graph_items(path))]
IDS = [f"{path.split('/')[1].split('.')[0]}[{i}]" for path, i, _ in GRAPH]

SIGN_IN = {
    "Id": "a1b2c3d4-0000-4000-8000-000000000001",
    "CreatedDateTime": "2024-05-14T09:21:07.1234567Z",
    "ServicePrincipalId": "5b3a9c1e-7f2d-4e8a-b6c4-1d9e0f2a3b4c",
    "ServicePrincipalName": "billing-sync",
    "Status": {"ErrorCode": 7000222},
}


def _same_fields(got: object, want: object) -> None:
    """Field by field, so a failure names the field."""
    assert type(got) is type(want), (got, want)
    for field in dataclasses.fields(want):  # type: ignore[arg-type]
        assert getattr(got, field.name) == getattr(want, field.name), field.name


def test_the_reported_sign_in_keeps_its_error_code_and_location() -> None:
    """The report: classified as a Log Analytics row, it was stored as error_code 0, no place."""
    record = {**SIGN_IN, "Location": {"City": "Paris", "CountryOrRegion": "FR"}}
    assert classify(record) == ("signins", "powershell.signIn")
    result = normalize(record)
    assert isinstance(result, SignIn)
    assert result.error_code == 7000222
    assert result.location is not None
    assert (result.location.city, result.location.country_or_region) == ("Paris", "FR")
    assert normalize(SIGN_IN).error_code == 7000222  # the bare report, no AdditionalProperties


@pytest.mark.parametrize(("path", "index", "graph"), GRAPH, ids=IDS)
def test_powershell_7_export_stores_what_the_graph_json_stores(
    path: str, index: int, graph: dict[str, Any]
) -> None:
    record = to_powershell(graph, "ps7")
    assert classify(record)[1] == GRAPH_FILES[path]
    want = normalize(graph)
    assert not isinstance(want, Rejected), want
    _same_fields(normalize(record), want)
    _same_fields(normalize(json.loads(json.dumps(record))), want)


@pytest.mark.parametrize(("path", "index", "graph"), GRAPH, ids=IDS)
def test_windows_powershell_export_differs_only_by_the_milliseconds_it_keeps(
    path: str, index: int, graph: dict[str, Any]
) -> None:
    record = to_powershell(graph, "ps51")
    assert classify(record)[1] == GRAPH_FILES[path]
    got = normalize(record)
    _same_fields(got, normalize(ms_precision(graph)))
    exact = normalize(graph)
    for field in dataclasses.fields(exact):  # type: ignore[arg-type]
        mine, theirs = getattr(got, field.name), getattr(exact, field.name)
        if field.name.endswith("date_time") and theirs is not None:
            assert timedelta(0) <= theirs - mine < timedelta(milliseconds=1), field.name
        elif "credentials" not in field.name and field.name != "app_roles_granted":
            assert mine == theirs, field.name


@pytest.mark.parametrize("name", sorted(GOLDEN_FILES))
def test_golden_files_are_the_exports_of_the_graph_golden_records(name: str) -> None:
    """``tests/data/powershell`` is generated from ``tests/data/graph``; regenerate, never edit."""
    style = GOLDEN_FILES[name][1]
    assert (POWERSHELL / name).read_text() == dumps(golden_file(name), style)


def test_members_the_model_lacks_come_from_additional_properties() -> None:
    graph = graph_items("graph/signins_sp.page.json")[0]
    record = to_powershell(
        graph, extra=("servicePrincipalCredentialKeyId", "autonomousSystemNumber")
    )
    assert "ServicePrincipalCredentialKeyId" not in record
    assert record["AdditionalProperties"]["autonomousSystemNumber"] == 8075
    _same_fields(normalize(record), normalize(graph))


def test_a_set_model_property_wins_over_additional_properties_and_a_null_one_does_not() -> None:
    record = {
        **SIGN_IN,
        "AppId": None,
        "UserAgent": "model/1.0",
        "AdditionalProperties": {"appId": "from-additional", "userAgent": "additional/1.0"},
    }
    result = normalize(record)
    assert (result.app_id, result.user_agent) == ("from-additional", "model/1.0")


@pytest.mark.parametrize(
    ("date", "iso"),
    [
        ("/Date(1715678467123)/", "2024-05-14T09:21:07.123000+00:00"),
        ("/Date(1715678467123+0200)/", "2024-05-14T09:21:07.123000+00:00"),  # ms are UTC anyway
        ("/Date(1715678467123-0500)/", "2024-05-14T09:21:07.123000+00:00"),
        ("/Date(-1000)/", "1969-12-31T23:59:59+00:00"),
    ],
)
def test_dotnet_dates_are_utc_milliseconds(date: str, iso: str) -> None:
    result = normalize({**SIGN_IN, "CreatedDateTime": date})
    assert result.created_date_time.isoformat() == iso


@pytest.mark.parametrize(
    ("key", "graph"),
    [
        ("Id", "id"),
        ("AppId", "appId"),
        ("IPAddress", "ipAddress"),
        ("IpAddress", "ipAddress"),
        ("OSPlatform", "osPlatform"),
        ("ID", "id"),
        ("RiskEventTypes_v2", "riskEventTypes_v2"),
        ("@odata.type", "@odata.type"),
        ("appId", "appId"),
        ("", ""),
    ],
)
def test_camel_gives_graph_names(key: str, graph: str) -> None:
    assert camel(key) == graph


def test_every_graph_golden_key_survives_pascal_casing() -> None:
    def keys(value: Any) -> set[str]:
        if isinstance(value, dict):
            return set(value).union(*map(keys, value.values()))
        if isinstance(value, list):
            return set().union(*map(keys, value))
        return set()

    names = keys([graph for _, _, graph in GRAPH])
    assert len(names) > 100
    for name in names:
        if not name.startswith("@"):
            assert camel(name[:1].upper() + name[1:]) == name


def _ps(name: str, index: int = 0) -> dict[str, Any]:
    return copy.deepcopy(golden_file(name)[index])


@pytest.mark.parametrize(
    ("name", "change", "field", "reason"),
    [
        ("signins.json", {"Id": None}, "Id", "missing required field"),
        ("signins.json", {"CreatedDateTime": "/Date(x)/"}, "CreatedDateTime", "invalid timestamp"),
        ("signins.json", {"Status": {"ErrorCode": "x"}}, "Status.ErrorCode", "integer"),
        ("signins.json", {"ClientCredentialType": 5}, "ClientCredentialType", "-EnumsAsStrings"),
        (
            "signins.json",
            {"Status": "Microsoft.Graph.Beta.PowerShell.Models.MicrosoftGraphSignInStatus"},
            "Status",
            "-Depth",
        ),
        (
            "signins.json",
            {"AdditionalProperties": {"servicePrincipalCredentialThumbprint": 5}},
            "AdditionalProperties.servicePrincipalCredentialThumbprint",
            "expected a string",
        ),
        ("signins.json", {"AdditionalProperties": [1]}, "AdditionalProperties", "an object"),
        (
            "service_principals.json",
            {"PasswordCredentials": [{"KeyId": None, "Hint": "abc"}]},
            "PasswordCredentials[0].KeyId",
            "missing required field",
        ),
        (
            "applications.json",
            {"KeyCredentials": [{"KeyId": "k", "EndDateTime": "/Date(99999999999999999)/"}]},
            "KeyCredentials[0].EndDateTime",
            "out of range",
        ),
    ],
)
def test_bad_records_are_rejected_naming_the_field_as_powershell_wrote_it(
    name: str, change: dict[str, Any], field: str, reason: str
) -> None:
    record = {**_ps(name), **change}
    result = normalize(record)
    assert isinstance(result, Rejected), result
    assert result.field == field
    assert result.kind == ("signins" if name.startswith("signins") else "directory")
    assert reason in result.reason, result.reason


def test_objects_nested_beyond_the_stack_are_rejected() -> None:
    deep: dict[str, Any] = {}
    for _ in range(2000):
        deep = {"Inner": deep}
    result = normalize({**SIGN_IN, "AuthenticationDetails": deep})
    assert isinstance(result, Rejected)
    assert result.reason == "objects nested too deeply to read"


def test_a_list_cut_at_the_depth_names_the_field_and_the_fix() -> None:
    record = _ps("directory_audits.ps51.json", 1)
    target = record["TargetResources"][0]
    target["ModifiedProperties"] = '{"displayName":"KeyDescription"} {"displayName":"Included"}'
    result = normalize(record)
    assert isinstance(result, Rejected)
    assert result.field == "TargetResources[0].ModifiedProperties"
    assert "ConvertTo-Json -Depth 10" in result.reason


def test_a_forced_kind_applies_to_powershell_records() -> None:
    result = normalize(_ps("signins.json"), kind="audit")
    assert isinstance(result, Rejected)
    assert result.kind == "signins"
    assert normalize(_ps("directory_audits.ps51.json"), kind="audit").id.startswith("Directory_")


def test_log_analytics_and_graph_golden_records_are_not_taken_for_powershell() -> None:
    from tests.golden import json_records

    others = [r for r in json_records() if "AdditionalProperties" not in r]
    assert len(others) > 20
    for record in others:
        assert not is_powershell(record), record
        assert not (classify(record)[1] or "").startswith("powershell."), record


@pytest.mark.parametrize(
    "row",
    [
        # hunting exports without Type: Log Analytics columns say what they are
        {"Id": "x", "TimeGenerated": "2024-05-14T09:21:07Z", "ServicePrincipalId": "s",
         "ServicePrincipalName": "n", "Location": "westeurope",
         "LocationDetails": {"city": "Paris"}},
        {"Id": "x", "ActivityDisplayName": "Add application", "OperationName": "Add application",
         "InitiatedBy": {"app": {"servicePrincipalId": "s"}}, "TargetResources": []},
        {"Id": "x", "ServicePrincipalId": "s", "ResultType": "0", "Status": {"ErrorCode": 1}},
    ],
)  # fmt: skip
def test_log_analytics_rows_stay_log_analytics_rows(row: dict[str, Any]) -> None:
    assert classify(row)[1].startswith("la."), classify(row)


def test_the_graph_sign_in_fast_path_leaves_powershell_lines_to_the_generic_path() -> None:
    records = [*golden_file("signins.json"), SIGN_IN]
    for record in records:
        assert signin_from_line(orjson.dumps(record)) is None
        assert isinstance(normalize(record), SignIn)
