"""Console test helpers: a realistic small tenant written through the store and ``RiskService``, and
a real uvicorn server with one local token per role (the API tests' ``ServerThread``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from tests.api.tests_api_support import Keys, ServerThread, add_token, make_app, oidc_settings

from vigil.api.server import create_api
from vigil.app import App
from vigil.auth import Role
from vigil.model import (
    AuditEvent,
    AuditTarget,
    ClientCredentialType,
    InfoEntry,
    Initiator,
    KeyCredential,
    Location,
    PasswordCredential,
    RiskDetection,
    RiskEventType,
    RiskLevel,
    RiskState,
    ServicePrincipal,
    ServicePrincipalType,
    SignIn,
    SignInKind,
    detection_id,
)
from vigil.store import Store

HOME = "11111111-1111-4111-8111-111111111111"
OTHER = "99999999-9999-4999-8999-999999999999"
PAYROLL = "aaaaaaaa-0000-4000-8000-000000000001"
PARTNER = "aaaaaaaa-0000-4000-8000-000000000002"
MI = "aaaaaaaa-0000-4000-8000-000000000003"
SECRET_KEY = "5e0c5c5a-1d51-4e0e-9d5c-000000000001"
CERT_KEY = "5e0c5c5a-1d51-4e0e-9d5c-000000000002"
EVIL_SIGN_IN = "signin-evil-0001"
GENERIC = 30
TYPES = (
    RiskEventType.suspiciousSignins,
    RiskEventType.leakedCredentials,
    RiskEventType.anomalousServicePrincipalActivity,
    RiskEventType.investigationsThreatIntelligence,
)
LEVELS = (RiskLevel.low, RiskLevel.medium, RiskLevel.high)


def generic_id(n: int) -> str:
    return f"bbbbbbbb-0000-4000-8000-{n:012d}"


def _detection(
    sp: str, name: str, kind: str, level: RiskLevel, at: Any, **kw: Any
) -> RiskDetection:
    return RiskDetection(
        id=detection_id(kind, sp, str(at.timestamp())),
        service_principal_id=sp,
        risk_event_type=kind,
        risk_level=level,
        risk_state=RiskState.atRisk,
        activity_date_time=at,
        detected_date_time=at + timedelta(minutes=3),
        last_updated_date_time=at + timedelta(minutes=3),
        service_principal_display_name=name,
        **kw,
    )


def seed_tenant(app: App) -> None:
    """Three named principals (single-tenant app, multi-tenant app, managed identity) with
    credentials, sign-ins, audit events and explained detections, plus ``GENERIC`` plain ones."""
    now = app.clock()
    store = app.store
    sps = [
        ServicePrincipal(
            id=PAYROLL,
            app_id="app-payroll",
            display_name="Payroll Sync",
            app_owner_organization_id=HOME,
            sign_in_audience="AzureADMyOrg",
            password_credentials=(
                PasswordCredential(
                    SECRET_KEY,
                    "prod secret",
                    "Xy7",
                    now - timedelta(days=200),
                    now + timedelta(days=165),
                ),
            ),
            key_credentials=(
                KeyCredential(
                    CERT_KEY,
                    "old cert",
                    "AsymmetricX509Cert",
                    "Verify",
                    "ABCDEF0123",
                    now - timedelta(days=800),
                    now - timedelta(days=70),
                ),
            ),
        ),
        ServicePrincipal(
            id=PARTNER,
            app_id="app-partner",
            display_name="Contoso Partner Connector",
            app_owner_organization_id=OTHER,
            publisher_name="Contoso",
        ),
        ServicePrincipal(
            id=MI,
            app_id="app-mi",
            display_name="build-agent-identity",
            service_principal_type=ServicePrincipalType.ManagedIdentity,
        ),
        *(
            ServicePrincipal(
                id=generic_id(n), app_id=f"app-g{n}", display_name=f"Generic App {n:03d}"
            )
            for n in range(GENERIC)
        ),
    ]
    store.inventory.upsert_service_principals([(sp, None) for sp in sps], now)

    usual = Location(city="Seattle", country_or_region="US")
    sign_ins = [
        SignIn(
            id=f"signin-ok-{i:04d}",
            created_date_time=now - timedelta(days=2, hours=i),
            kind=SignInKind.servicePrincipal,
            service_principal_id=PAYROLL,
            app_id="app-payroll",
            ip_address="10.0.0.1",
            location=usual,
            client_credential_type=ClientCredentialType.clientSecret,
            credential_key_id=SECRET_KEY,
            resource_display_name="Microsoft Graph",
        )
        for i in range(8)
    ]
    evil_at = now - timedelta(hours=5)
    sign_ins.append(
        SignIn(
            id=EVIL_SIGN_IN,
            created_date_time=evil_at,
            kind=SignInKind.servicePrincipal,
            service_principal_id=PAYROLL,
            app_id="app-payroll",
            ip_address="203.0.113.9",
            location=Location(city="Lagos", country_or_region="NG"),
            asn=64500,
            is_hosting=True,
            client_credential_type=ClientCredentialType.clientSecret,
            credential_key_id=SECRET_KEY,
            resource_display_name="Microsoft Graph",
            user_agent="python-requests/2.31",
        )
    )
    store.activity.add_sign_ins([(s, None) for s in sign_ins])
    store.activity.add_audit_events(
        [
            (
                AuditEvent(
                    id="audit-0001",
                    activity_date_time=now - timedelta(hours=4),
                    activity_display_name="Add service principal credentials",
                    category="ApplicationManagement",
                    result="success",
                    initiated_by=Initiator(
                        "app", display_name="Payroll Sync", service_principal_id=PAYROLL
                    ),
                    targets=(
                        AuditTarget(PARTNER, "ServicePrincipal", "Contoso Partner Connector"),
                    ),
                ),
                None,
            ),
            (
                AuditEvent(
                    id="audit-0002",
                    activity_date_time=now - timedelta(days=3),
                    activity_display_name="Update service principal",
                    category="ApplicationManagement",
                    result="success",
                    initiated_by=Initiator(
                        "user", id="u1", user_principal_name="admin@contoso.test"
                    ),
                    targets=(AuditTarget(PAYROLL, "ServicePrincipal", "Payroll Sync"),),
                ),
                None,
            ),
        ]
    )

    record = app.risk.record_detection
    record(
        _detection(
            PAYROLL,
            "Payroll Sync",
            RiskEventType.suspiciousSignins,
            RiskLevel.high,
            evil_at,
            app_id="app-payroll",
            ip_address="203.0.113.9",
            request_id=EVIL_SIGN_IN,
            location=Location(city="Lagos", country_or_region="NG"),
            key_ids=(SECRET_KEY,),
            additional_info=(
                InfoEntry(
                    "unfamiliarProperties",
                    [
                        "country NG: never in 41 days; usual US 100%",
                        "asn 64500: never in 41 days",
                    ],
                ),
                InfoEntry("score", 38.5),
            ),
        )
    )
    record(
        _detection(
            PARTNER,
            "Contoso Partner Connector",
            RiskEventType.leakedCredentials,
            RiskLevel.high,
            now - timedelta(days=1),
            app_id="app-partner",
            key_ids=("c0ffee00-0000-4000-8000-000000000001",),
            additional_info=(
                InfoEntry("keyId", "c0ffee00-0000-4000-8000-000000000001"),
                InfoEntry("credentialType", "clientSecret"),
                InfoEntry("location", {"repository": "contoso/tools", "path": "deploy/.env"}),
                InfoEntry("source", "githubSecretScanning"),
            ),
        )
    )
    record(
        _detection(
            MI,
            "build-agent-identity",
            RiskEventType.investigationsThreatIntelligence,
            RiskLevel.medium,
            now - timedelta(days=6),
            app_id="app-mi",
            ip_address="198.51.100.7",
            additional_info=(
                InfoEntry("indicatorValue", "198.51.100.7"),
                InfoEntry("indicatorName", "Known C2 node"),
                InfoEntry("feed", "local-stix"),
            ),
        )
    )
    for n in range(GENERIC):
        kind = TYPES[n % len(TYPES)]
        record(
            _detection(
                generic_id(n),
                f"Generic App {n:03d}",
                kind,
                LEVELS[n % 3],
                now - timedelta(days=n % 28, hours=n),
                app_id=f"app-g{n}",
                ip_address="20.1.2.3",
            )
        )


@dataclass
class Console:
    """A running server over a seeded tenant, and one local token per role."""

    base: str
    app: App
    tokens: dict[Role, str]
    #: The OIDC signing keys the server trusts (``console_oidc`` only).
    keys: Keys | None = None


def _serve(store: Store, clock: Any, **settings: Any) -> Iterator[Console]:
    app = make_app(store, clock, tenant_id=HOME, **settings)
    seed_tenant(app)
    tokens = {role: add_token(store, role, f"{role.value} token", clock()) for role in Role}
    with ServerThread(create_api(app)) as server:
        yield Console(server.base, app, tokens)


@pytest.fixture
def console(sqlite_store: Store, clock: Any) -> Iterator[Console]:
    """On SQLite (the browser tests)."""
    yield from _serve(sqlite_store, clock)


@pytest.fixture
def console_db(store: Store, clock: Any) -> Iterator[Console]:
    """On SQLite and on PostgreSQL (the JSON endpoint tests)."""
    yield from _serve(store, clock)


@pytest.fixture
def console_oidc(sqlite_store: Store, clock: Any, tmp_path: Any) -> Iterator[Console]:
    """On SQLite, also accepting OIDC JWTs signed by ``Console.keys``."""
    keys = Keys.generate()
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(keys.jwks()))
    for served in _serve(sqlite_store, clock, **oidc_settings(jwks)):
        served.keys = keys
        yield served
