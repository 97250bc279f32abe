"""GUIDs have one spelling: a GUID-valued field is stored lower-case whatever case its export used.

Every golden file (each wire shape) is read once as it is and once with every GUID in its text
upper-cased (KQL's ``toupper()``, a spreadsheet, a PowerShell object): both must normalize to the
same objects, apart from free text that merely mentions a GUID (a failure reason, a request URI,
modified-property values), which is kept verbatim.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import orjson
import pytest

from vigil.ingest.readers import RawRecord, iter_records
from vigil.model import (
    Application,
    AuditEvent,
    AuditTarget,
    GraphActivity,
    Initiator,
    ServicePrincipal,
    SignIn,
)
from vigil.normalize import Rejected, normalize
from vigil.normalize.graph_signin_wire import signin_from_line
from vigil.normalize.values import canonical_guid, guid

DATA = Path(__file__).resolve().parents[1] / "data"
FILES = sorted(p for p in DATA.rglob("*") if p.suffix in (".json", ".jsonl", ".csv"))
GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
#: A GUID standing alone (not part of an id such as ``Directory_<guid>_...``).
WHOLE_GUID = re.compile(rf"(?<![0-9A-Za-z_]){GUID.pattern}(?![0-9A-Za-z_])")
RECEIVED = "2026-11-28T00:00:00Z"

#: Free text that may mention a GUID and is kept verbatim (so it differs between the two reads).
FREE_TEXT = {
    SignIn: ("failure_reason",),
    GraphActivity: ("request_uri",),
    AuditEvent: ("targets", "additional_details", "result_reason"),
}
#: The GUID-valued fields of each model, which must come out lower-case.
GUID_FIELDS: dict[type, tuple[str, ...]] = {
    SignIn: (
        "id",
        "service_principal_id",
        "app_id",
        "tenant_id",
        "resource_id",
        "resource_service_principal_id",
        "credential_key_id",
        "federated_credential_id",
        "correlation_id",
    ),
    GraphActivity: ("id", "service_principal_id", "app_id", "user_id", "tenant_id"),
    AuditEvent: ("id", "correlation_id"),
    Initiator: ("id", "app_id", "service_principal_id"),
    AuditTarget: ("id",),
    ServicePrincipal: ("id", "app_id", "app_owner_organization_id"),
    Application: ("id", "app_id"),
}


def _upper(text: str) -> str:
    return WHOLE_GUID.sub(lambda m: m.group(0).upper(), text)


def _read(path: Path) -> list[Any]:
    return [
        normalize(item.data, shape_hint=item.shape_hint, received_at=RECEIVED)
        for item in iter_records(str(path))
        if isinstance(item, RawRecord)
    ]


def _without_free_text(obj: Any) -> Any:
    if isinstance(obj, ServicePrincipal | Application):  # a certificate's name: CN=<appId>
        creds = tuple(dataclasses.replace(c, display_name=None) for c in obj.key_credentials)
        return dataclasses.replace(obj, key_credentials=creds)
    fields = FREE_TEXT.get(type(obj), ())
    return dataclasses.replace(obj, **{f: None for f in fields}) if fields else obj


def _guid_values(obj: Any) -> list[str]:
    values = [getattr(obj, f) for f in GUID_FIELDS.get(type(obj), ())]
    if isinstance(obj, AuditEvent):
        values += _guid_values(obj.initiated_by) if obj.initiated_by else []
        for target in obj.targets:
            values += _guid_values(target)
    if isinstance(obj, ServicePrincipal | Application):
        creds = (*obj.password_credentials, *obj.key_credentials)
        values += [c.key_id for c in creds]
        values += [c.id for c in obj.federated_identity_credentials]
    if isinstance(obj, ServicePrincipal):
        values += [g.resource_id for g in obj.app_roles_granted]
    return [v for v in values if v is not None]


def test_every_shape_has_a_golden_file() -> None:
    assert {p.parent.name for p in FILES} == {"graph", "la", "diagnostic", "powershell"}
    assert {p.suffix for p in FILES} == {".json", ".jsonl", ".csv"}


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_upper_case_guids_normalize_to_the_same_objects(path: Path, tmp_path: Path) -> None:
    text = path.read_text(encoding="utf-8-sig" if path.parent.name == "powershell" else "utf-8")
    upper = tmp_path / path.name
    upper.write_text(_upper(text), encoding="utf-8")
    assert upper.read_text() != text  # the file has GUIDs to upper-case
    original, shouted = _read(path), _read(upper)
    assert original and not any(isinstance(r, Rejected) for r in original + shouted)
    assert [_without_free_text(r) for r in shouted] == [_without_free_text(r) for r in original]
    for result in shouted:
        values = _guid_values(result)
        assert values, result
        assert [v for v in values if GUID.fullmatch(v) and v != v.lower()] == []


def test_the_fast_path_lower_cases_like_the_generic_path() -> None:
    lines = (DATA / "graph" / "signins.jsonl").read_bytes().splitlines()
    for line in filter(None, lines):
        if b'"signInEventTypes"' not in line:
            continue  # v1.0 records: the generic path's
        shouted = _upper(line.decode()).encode()
        fast = signin_from_line(shouted)
        assert fast is not None
        assert fast == normalize(orjson.loads(shouted))
        assert _without_free_text(fast) == _without_free_text(normalize(orjson.loads(line)))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("66EA54EB-6301-4EE5-BE62-FF5A759B0100", "66ea54eb-6301-4ee5-be62-ff5a759b0100"),
        ("66ea54eb-6301-4EE5-be62-ff5a759b0100", "66ea54eb-6301-4ee5-be62-ff5a759b0100"),
        ("00000003-0000-0000-C000-000000000000", "00000003-0000-0000-c000-000000000000"),
        # not GUIDs: kept as they are, case included
        ("SP-Fixture-1", "SP-Fixture-1"),
        ("ZupU5mljbU6-Yv9adZsBAA", "ZupU5mljbU6-Yv9adZsBAA"),  # uniqueTokenIdentifier (base64)
        ("66EA54EB-6301-4EE5-BE62-FF5A759B010G", "66EA54EB-6301-4EE5-BE62-FF5A759B010G"),
        ("66EA54EB6301-4EE5-BE62-FF5A759B0100-", "66EA54EB6301-4EE5-BE62-FF5A759B0100-"),
        ("{66EA54EB-6301-4EE5-BE62-FF5A759B0100}", "{66EA54EB-6301-4EE5-BE62-FF5A759B0100}"),
        (
            "Directory_66EA54EB-6301-4EE5-BE62-FF5A759B0100",
            "Directory_66EA54EB-6301-4EE5-BE62-FF5A759B0100",
        ),
    ],
)
def test_canonical_guid(text: str, expected: str) -> None:
    assert canonical_guid(text) == expected
    assert guid(text) == expected


def test_guid_of_nothing() -> None:
    assert guid("") is None
    assert guid(None) is None


def test_a_non_guid_id_and_the_token_identifier_keep_their_case() -> None:
    record = {
        "id": "Sign-In-A",
        "createdDateTime": "2024-05-14T09:21:07Z",
        "servicePrincipalId": "SP-Fixture-1",
        "appId": "App-1",
        "uniqueTokenIdentifier": "ZupU5mljbU6-Yv9adZsBAA",
        "correlationId": "1F2E3D4C-5B6A-4789-8A9B-0C1D2E3F4A5B",
        "signInEventTypes": ["servicePrincipal"],
    }
    fast = signin_from_line(orjson.dumps(record))
    generic = normalize(record)
    assert fast == generic
    assert isinstance(generic, SignIn)
    assert (
        generic.id,
        generic.service_principal_id,
        generic.app_id,
        generic.unique_token_identifier,
        generic.correlation_id,
    ) == (
        "Sign-In-A",
        "SP-Fixture-1",
        "App-1",
        "ZupU5mljbU6-Yv9adZsBAA",
        "1f2e3d4c-5b6a-4789-8a9b-0c1d2e3f4a5b",
    )


def test_an_audit_id_that_is_a_guid_and_a_graph_activity_user_id_are_lower_cased() -> None:
    """The golden files' audit ids are ``Directory_...`` and their Graph activity has no user:
    these two GUID-valued fields need records of their own."""
    audits = json.loads((DATA / "graph" / "directory_audits.page.json").read_text())
    audit = dict(audits["value"][0], id="1F2E3D4C-5B6A-4789-8A9B-0C1D2E3F4A5C")
    event = normalize(audit)
    assert isinstance(event, AuditEvent) and event.id == "1f2e3d4c-5b6a-4789-8a9b-0c1d2e3f4a5c"
    row = json.loads((DATA / "la" / "MicrosoftGraphActivityLogs.json").read_text())
    row = dict(
        row[0] if isinstance(row, list) else row, UserId="A0B1C2D3-E4F5-4A6B-8C7D-9E0F1A2B3C4D"
    )
    activity = normalize(row)
    assert isinstance(activity, GraphActivity)
    assert activity.user_id == "a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d"
