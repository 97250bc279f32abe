"""Values longer than their store columns are rejected in the normalizer, naming the field."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import String

from vigil.model import (
    Application,
    AuditEvent,
    GraphActivity,
    Location,
    ServicePrincipal,
    SignIn,
    SignInKind,
)
from vigil.normalize import Rejected, normalize
from vigil.normalize.widths import (
    AUDIT_ID,
    AUDIT_TARGET_TYPE,
    COUNTRY,
    WIDTHS,
    sign_in_too_long,
)
from vigil.store import tables as t

#: (model, attribute) → the column it is stored in.
_COLUMNS = {
    SignIn: t.sign_ins,
    GraphActivity: t.graph_activities,
    AuditEvent: t.audit_events,
    ServicePrincipal: t.service_principals,
    Application: t.applications,
}
#: Fixed-width columns whose values are enums of the model (always short).
_ENUMS = {("sign_ins", "kind"), ("sign_ins", "client_credential_type"),
          ("service_principals", "service_principal_type")}  # fmt: skip
#: Fixed-width columns checked outside ``WIDTHS`` (nested values).
_NESTED = {("sign_ins", "country"): COUNTRY, ("audit_events", "initiator_service_principal_id"):
           AUDIT_ID, ("audit_events", "initiator_user_id"): AUDIT_ID}  # fmt: skip


def test_widths_are_the_store_column_widths_and_cover_every_fixed_width_column() -> None:
    for model, table in _COLUMNS.items():
        checked = {name: width for name, width, _ in WIDTHS[model]}
        for column in table.columns:
            if not isinstance(column.type, String) or column.type.length is None:
                continue
            key = (table.name, column.name)
            if key in _ENUMS:
                continue
            expected = _NESTED.get(key, checked.get(column.name))
            assert expected == column.type.length, key
    assert t.audit_targets.c.target_id.type.length == AUDIT_ID
    assert t.audit_targets.c.target_type.type.length == AUDIT_TARGET_TYPE


def _signin(**extra: Any) -> dict[str, Any]:
    return {"id": "s-1", "createdDateTime": "2026-10-25T00:14:52Z", "servicePrincipalId": "sp",
            "signInEventTypes": ["servicePrincipal"], **extra}  # fmt: skip


@pytest.mark.parametrize(
    ("record", "field", "width"),
    [
        (_signin(servicePrincipalCredentialKeyId="k" * 37), "servicePrincipalCredentialKeyId", 36),
        (_signin(id="i" * 65), "id", 64),
        (_signin(appId="a" * 65), "appId", 64),
        (_signin(location={"countryOrRegion": "c" * 9}), "location.countryOrRegion", 8),
        ({"Type": "AADServicePrincipalSignInLogs", "Id": "x", "TimeGenerated":
          "2026-10-25T00:14:52Z", "ServicePrincipalId": "sp", "ResultType": "0",
          "ServicePrincipalCredentialKeyId": "k" * 37}, "servicePrincipalCredentialKeyId", 36),
        ({"id": "a", "activityDateTime": "2026-10-25T00:14:52Z", "activityDisplayName": "x",
          "targetResources": [{"id": "t" * 65}]}, "targetResources[0].id", 64),
        ({"id": "a", "activityDateTime": "2026-10-25T00:14:52Z", "activityDisplayName": "x",
          "result": "r" * 33}, "result", 32),
        ({"id": "sp", "appId": "app", "displayName": "x", "servicePrincipalType": "Application",
          "appOwnerOrganizationId": "o" * 37}, "appOwnerOrganizationId", 36),
    ],
)  # fmt: skip
def test_a_value_longer_than_its_column_is_rejected_naming_the_field(
    record: dict[str, Any], field: str, width: int
) -> None:
    result = normalize(record)
    assert isinstance(result, Rejected), result
    assert (result.field, result.reason) == (field, f"longer than {width} characters")


def test_values_that_fit_exactly_are_kept() -> None:
    result = normalize(_signin(servicePrincipalCredentialKeyId="K" * 36, id="i" * 64))
    assert isinstance(result, SignIn) and result.credential_key_id == "k" * 36


def test_the_bulk_paths_sign_in_check_agrees_with_widths() -> None:
    """``sign_in_too_long`` (used after the fast path) spells the widths out for speed."""
    base = SignIn("i", datetime(2026, 1, 1, tzinfo=UTC), SignInKind.servicePrincipal, "sp")
    assert sign_in_too_long(base) is None
    for name, width, label in WIDTHS[SignIn]:
        fits = dataclasses.replace(base, **{name: "x" * width})
        assert sign_in_too_long(fits) is None, name
        over = dataclasses.replace(base, **{name: "x" * (width + 1)})
        assert sign_in_too_long(over) == (label, width)
    far = dataclasses.replace(base, location=Location(country_or_region="x" * (COUNTRY + 1)))
    assert sign_in_too_long(far) == ("location.countryOrRegion", COUNTRY)
