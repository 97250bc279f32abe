"""Explanations and kinds: the pure parts of the detail pane."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from vigil.console.detail import kind_of
from vigil.console.explain import explain, label, referenced_ids
from vigil.model import (
    InfoEntry,
    RiskDetection,
    RiskLevel,
    RiskState,
    ServicePrincipal,
    ServicePrincipalType,
)

T = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("key", "text"),
    [
        ("unfamiliarProperties", "Unfamiliar properties"),
        ("firstMatchDateTime", "First match time"),
        ("indicatorValue", "Indicator value"),
        ("sourceIpAddress", "Source IP address"),
        ("actorServicePrincipalId", "Actor service principal id"),
        ("keyId", "Credential keyId"),
        ("location", "Where it was found"),
        ("score", "Score"),
    ],
)
def test_label(key: str, text: str) -> None:
    assert label(key) == text


def _detection(*info: InfoEntry) -> RiskDetection:
    return RiskDetection(
        id="d1",
        service_principal_id="sp",
        risk_event_type="leakedCredentials",
        risk_level=RiskLevel.high,
        risk_state=RiskState.atRisk,
        activity_date_time=T,
        detected_date_time=T,
        last_updated_date_time=T,
        request_id="req-1",
        additional_info=info,
    )


def test_explain_keeps_order_and_values_and_drops_empty_entries() -> None:
    d = _detection(
        InfoEntry("keyId", "k1"),
        InfoEntry("alertUrl", None),
        InfoEntry("location", {"repository": "r", "path": "p"}),
        InfoEntry("operations", []),
    )
    doc = explain(d)
    assert doc["description"].startswith("A valid credential")
    assert [(f["key"], f["value"]) for f in doc["facts"]] == [
        ("keyId", "k1"),
        ("location", {"repository": "r", "path": "p"}),
    ]


def test_referenced_ids_walks_nested_values() -> None:
    d = _detection(InfoEntry("evidence", [{"signIn": "s-1"}, ["s-2"]]), InfoEntry("score", 3))
    assert referenced_ids(d) == {"req-1", "s-1", "s-2"}


@pytest.mark.parametrize(
    ("sp", "kind"),
    [
        (None, "unknown"),
        (ServicePrincipal("1", "a", "n", ServicePrincipalType.ManagedIdentity), "managedIdentity"),
        (ServicePrincipal("1", "a", "n", app_owner_organization_id="home"), "singleTenant"),
        (ServicePrincipal("1", "a", "n", app_owner_organization_id="other"), "multiTenant"),
        (ServicePrincipal("1", "a", "n", sign_in_audience="AzureADMultipleOrgs"), "multiTenant"),
        (ServicePrincipal("1", "a", "n"), "singleTenant"),
    ],
)
def test_kind_of(sp: ServicePrincipal | None, kind: str) -> None:
    assert kind_of(sp, "home") == kind
