"""Classification of mixed records, forced kinds, and the completeness of the registry."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from vigil.model import AuditEvent, GraphActivity, ServicePrincipal, SignIn
from vigil.normalize import KINDS, NORMALIZERS, SHAPE_KINDS, Rejected, classify, normalize

DATA = Path(__file__).resolve().parents[1] / "data"


def _first(path: str) -> dict[str, Any]:
    data = json.loads((DATA / path).read_text())
    if isinstance(data, dict):
        data = data.get("value") or data.get("records")
    return data[0]


@pytest.mark.parametrize(
    ("path", "hint", "expected"),
    [
        ("graph/signins_sp.page.json", None, ("signins", "graph.signIn")),
        ("graph/signins_mi.page.json", "graph:auditLogs/signIns", ("signins", "graph.signIn")),
        ("graph/directory_audits.page.json", None, ("audit", "graph.directoryAudit")),
        ("graph/service_principals.page.json", None, ("directory", "graph.servicePrincipal")),
        ("graph/applications.page.json", None, ("directory", "graph.application")),
        ("la/AADServicePrincipalSignInLogs.json", None, ("signins", "la.AADServicePrincipalSignInLogs")),
        ("la/AADManagedIdentitySignInLogs.json", "csv", ("signins", "la.AADManagedIdentitySignInLogs")),
        ("la/AuditLogs.json", None, ("audit", "la.AuditLogs")),
        ("la/MicrosoftGraphActivityLogs.json", None, ("graphactivity", "la.MicrosoftGraphActivityLogs")),
        ("diagnostic/PT1H.json", "diagnostic", ("signins", "diagnostic.ServicePrincipalSignInLogs")),
    ],
)  # fmt: skip
def test_classify_golden_records(path: str, hint: str | None, expected: tuple[str, str]) -> None:
    assert classify(_first(path), hint) == expected


def test_classify_without_distinctive_keys_uses_the_page_hint() -> None:
    selected = {"id": "x", "appId": "y", "displayName": "z"}  # $select=id,appId,displayName
    assert classify(selected) == (None, None)
    assert classify(selected, "graph:servicePrincipals(id,appId,displayName)") == (
        "directory",
        "graph.servicePrincipal",
    )
    assert classify(selected, "graph:applications/$entity") == ("directory", "graph.application")


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        ("servicePrincipals(id,appId,displayName)/$entity", ("directory", "graph.servicePrincipal")),
        ("servicePrincipals/$entity", ("directory", "graph.servicePrincipal")),
        ("applications/$entity", ("directory", "graph.application")),
        ("applications(id,appId)/$entity", ("directory", "graph.application")),
        ("auditLogs/signIns/$entity", ("signins", "graph.signIn")),
        ("auditLogs/directoryAudits/$entity", ("audit", "graph.directoryAudit")),
    ],
)  # fmt: skip
def test_a_single_objects_own_odata_context_gives_its_kind(
    context: str, expected: tuple[str, str]
) -> None:
    url = f"https://graph.microsoft.com/v1.0/$metadata#{context}"
    selected = {"@odata.context": url, "id": "x", "appId": "y", "displayName": "z"}
    assert classify(selected) == expected


def test_a_selected_single_service_principal_normalizes_like_the_same_object_in_a_page() -> None:
    obj = {
        "id": "00000000-0000-0000-0000-000000000009",
        "appId": "00000000-0000-0000-0000-000000000008",
        "displayName": "x",
    }
    context = "https://graph.microsoft.com/v1.0/$metadata#servicePrincipals(id,appId,displayName)"
    in_page = normalize(obj, shape_hint="graph:" + context.split("#")[1])
    single = normalize({"@odata.context": context + "/$entity", **obj})
    assert isinstance(in_page, ServicePrincipal)
    assert isinstance(single, ServicePrincipal)
    assert (single.id, single.app_id, single.display_name) == (
        in_page.id,
        in_page.app_id,
        in_page.display_name,
    )


def test_type_column_overwritten_by_a_hunting_query_falls_back_to_columns() -> None:
    row = _first("la/AuditLogs.json")
    row["Type"] = "Application"  # as in the OTRF sample
    assert classify(row) == ("audit", "la.AuditLogs")


@pytest.mark.parametrize(
    "value",
    [None, 3, "x", [], [{}], {}, {"foo": 1}, {"category": ["AuditLogs"], "properties": {}}],
)
def test_unrecognised_values(value: Any) -> None:
    assert classify(value) == (None, None)
    result = normalize(value)
    assert isinstance(result, Rejected) and result.kind is None


def test_mixed_records_each_get_their_kind() -> None:
    mixed = [
        _first("graph/signins_sp.page.json"),
        _first("la/AuditLogs.json"),
        _first("la/MicrosoftGraphActivityLogs.json"),
    ]
    assert [type(normalize(r)) for r in mixed] == [SignIn, AuditEvent, GraphActivity]


def test_forced_kind() -> None:
    signin = _first("graph/signins_sp.page.json")
    assert isinstance(normalize(signin, kind="signins"), SignIn)
    rejected = normalize(signin, kind="audit")
    assert rejected == Rejected(
        "signins", "a signins record where only audit records were asked for", None
    )
    audit = _first("la/AuditLogs.json")
    assert normalize(audit, kind="signins") == Rejected(
        "audit", "an audit record where only signins records were asked for", None
    )
    assert normalize({"foo": 1}, kind="audit") == Rejected(
        "audit", "unrecognised record shape", None
    )
    bad = normalize(signin, kind="users")
    assert isinstance(bad, Rejected) and bad.reason.startswith("unknown kind 'users'")


def test_registry_is_complete() -> None:
    assert set(NORMALIZERS) == set(SHAPE_KINDS)
    assert set(SHAPE_KINDS.values()) == set(KINDS)
