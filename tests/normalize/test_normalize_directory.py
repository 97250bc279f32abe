"""Graph servicePrincipal / application collection pages → ServicePrincipal / Application."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from vigil.model import (
    Application,
    AppRoleGrant,
    FederatedIdentityCredential,
    KeyCredential,
    PasswordCredential,
    ServicePrincipal,
    ServicePrincipalType,
)
from vigil.normalize import Rejected, normalize
from vigil.normalize.credentials import thumbprint_from

DATA = Path(__file__).resolve().parents[1] / "data" / "graph"
TENANT = "8c5d1f3e-2a47-4b9d-9e61-3f0a7c2b5d14"
APP1 = "0c4e8b2a-6d1f-4a3e-9b7c-2e5f8a1d4c6b"
CERT_THUMBPRINT = hashlib.sha1(b"billing-sync certificate").hexdigest().upper()
GRAPH = "00000003-0000-0000-c000-000000000000"


def _page(name: str) -> list[dict[str, Any]]:
    return json.loads((DATA / name).read_text())["value"]


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


CERT = KeyCredential(
    key_id="3f2504e0-4f89-41d3-9a0c-0305e82c3301",
    display_name="CN=billing-sync",
    type="AsymmetricX509Cert",
    usage="Verify",
    thumbprint=CERT_THUMBPRINT,
    start_date_time=_t("2024-05-14T08:59:00"),
    end_date_time=_t("2026-05-14T08:59:00"),
)
CI_SECRET = PasswordCredential(
    key_id="8b2c4d6e-0f1a-4b3c-9d5e-7f9a1b3c5d7e",
    display_name="ci",
    hint="Xy7",
    start_date_time=_t("2024-05-14T08:00:00"),
    end_date_time=_t("2025-05-14T08:00:00"),
)

BILLING_SP = ServicePrincipal(
    id="5b3a9c1e-7f2d-4e8a-b6c4-1d9e0f2a3b4c",
    app_id=APP1,
    display_name="billing-sync",
    service_principal_type=ServicePrincipalType.Application,
    app_owner_organization_id=TENANT,
    account_enabled=True,
    publisher_name="Contoso",
    verified_publisher=None,
    sign_in_audience="AzureADMyOrg",
    reply_urls=("https://billing.contoso.com/auth/callback",),
    tags=("WindowsAzureActiveDirectoryIntegratedApp",),
    password_credentials=(CI_SECRET,),
    key_credentials=(
        CERT,
        KeyCredential(  # customKeyIdentifier already 40 hex chars → upper-cased
            key_id="4a3b2c1d-0e9f-4a8b-b7c6-d5e4f3a2b1c0",
            display_name="CN=billing-sync-old",
            type="AsymmetricX509Cert",
            usage="Verify",
            thumbprint="A909502DD82AE41433E6F83886B00D4277A32A7B",
            start_date_time=_t("2023-01-01T00:00:00"),
            end_date_time=_t("2024-12-31T23:59:59"),
        ),
        KeyCredential(  # a custom identifier that is not a digest → no thumbprint
            key_id="5b4c3d2e-1f0a-4b9c-8d7e-6f5a4b3c2d1e",
            display_name="signing",
            type="Symmetric",
            usage="Sign",
        ),
    ),
    app_roles_granted=(
        AppRoleGrant(
            id="nJ8vX2kx0Ea1m6q9wT3ZbA",
            resource_id="a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d",
            app_role_id="9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30",
            resource_display_name="Microsoft Graph",
            created_date_time=_t("2023-11-02T15:10:00"),
        ),
    ),
    created_date_time=_t("2023-11-02T15:04:05"),
)


def test_service_principals_page() -> None:
    billing, identity, partner = (normalize(r) for r in _page("service_principals.page.json"))
    assert billing == BILLING_SP
    assert isinstance(identity, ServicePrincipal) and isinstance(partner, ServicePrincipal)
    assert identity.service_principal_type is ServicePrincipalType.ManagedIdentity
    assert [k.thumbprint for k in identity.key_credentials] == [
        "1C2A0D8A7B2C6D1E5F4A3B2C1D0E9F8A7B6C5D4E"
    ]
    assert (partner.account_enabled, partner.verified_publisher) == (False, "Fabrikam, Inc.")
    assert partner.disabled_by_microsoft_status == "DisabledDueToViolationOfServicesAgreement"
    assert partner.is_multi_tenant(TENANT)


def test_applications_page() -> None:
    billing, pipeline = (normalize(r) for r in _page("applications.page.json"))
    assert billing == Application(
        id="a7b8c9d0-e1f2-4a3b-8c4d-5e6f7a8b9c0d",
        app_id=APP1,
        display_name="billing-sync",
        sign_in_audience="AzureADMyOrg",
        publisher_domain="contoso.onmicrosoft.com",
        web_redirect_uris=("https://billing.contoso.com/auth/callback", "http://localhost:8400"),
        required_permissions=(
            f"{GRAPH}/9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30",
            f"{GRAPH}/e1fe6dd8-ba31-4d61-89e7-88639da4683d",
        ),
        password_credentials=(
            CI_SECRET,
            PasswordCredential(
                key_id="9c3d5e7f-1a2b-4c4d-8e6f-0a2b4c6d8e0f",
                display_name="backdoor",
                hint="q~P",
                start_date_time=datetime(2024, 5, 14, 10, 2, 33, 96666, tzinfo=UTC),
                end_date_time=_t("2299-12-31T00:00:00"),
            ),
        ),
        key_credentials=(CERT,),
        created_date_time=_t("2023-11-02T15:04:00"),
    )
    assert isinstance(pipeline, Application)
    assert pipeline.federated_identity_credentials == (
        FederatedIdentityCredential(
            id="5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9",
            name="github-prod",
            issuer="https://token.actions.githubusercontent.com",
            subject="repo:contoso/billing:environment:prod",
            audiences=("api://AzureADTokenExchange",),
        ),
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (base64.b64encode(bytes(range(20))).decode(), bytes(range(20)).hex().upper()),
        ("a909502dd82ae41433e6f83886b00d4277a32a7b", "A909502DD82AE41433E6F83886B00D4277A32A7B"),
        (base64.b64encode(b"short").decode(), None),
        ("not base64 and not hex!", None),
        ("", None),
        (None, None),
    ],
)
def test_thumbprint_from_custom_key_identifier(value: str | None, expected: str | None) -> None:
    assert thumbprint_from(value) == expected


@pytest.mark.parametrize(
    ("name", "mutate", "field"),
    [
        ("service_principals.page.json", lambda r: r.pop("appId"), "appId"),
        ("service_principals.page.json", lambda r: r.update(id=7), "id"),
        (
            "service_principals.page.json",
            lambda r: r["passwordCredentials"][0].pop("keyId"),
            "passwordCredentials[0].keyId",
        ),
        (
            "service_principals.page.json",
            lambda r: r["keyCredentials"][1].update(endDateTime="soon"),
            "keyCredentials[1].endDateTime",
        ),
        ("service_principals.page.json", lambda r: r.update(tags="a,b"), "tags"),
        (
            "service_principals.page.json",
            lambda r: r.update(accountEnabled="yes"),
            "accountEnabled",
        ),
        (
            "service_principals.page.json",
            lambda r: r["appRoleAssignments"][0].pop("resourceId"),
            "appRoleAssignments[0].resourceId",
        ),
        ("applications.page.json", lambda r: r.update(web=["x"]), "web"),
        (
            "applications.page.json",
            lambda r: r["requiredResourceAccess"][0]["resourceAccess"].append({"type": "Role"}),
            "requiredResourceAccess[0].resourceAccess[2].id",
        ),
    ],
)
def test_bad_directory_fields(name: str, mutate: Any, field: str) -> None:
    record = _page(name)[0]
    mutate(record)
    result = normalize(record)
    assert isinstance(result, Rejected)
    assert (result.kind, result.field) == ("directory", field)


def test_federated_credential_requires_subject() -> None:
    record = _page("applications.page.json")[1]
    del record["federatedIdentityCredentials"][0]["subject"]
    result = normalize(record)
    assert isinstance(result, Rejected)
    assert result.field == "federatedIdentityCredentials[0].subject"
