"""Activity records: workload sign-ins, directory audit events and Graph API activity.

Each is the normalized form of one source record, whatever shape it came in (Graph JSON, Log
Analytics row, diagnostic-settings record, CSV). ``id`` is the source record's own id and the key
for idempotent storage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from vigil.model.enums import ClientCredentialType, MsiType, SignInKind


@dataclass(frozen=True, slots=True)
class Location:
    """Graph's ``signInLocation`` (with ``geoCoordinates`` flattened)."""

    city: str | None = None
    state: str | None = None
    country_or_region: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    altitude: float | None = None


@dataclass(frozen=True, slots=True)
class SignIn:
    id: str
    created_date_time: datetime
    kind: SignInKind
    service_principal_id: str
    app_id: str | None = None
    service_principal_name: str | None = None
    tenant_id: str | None = None
    ip_address: str | None = None
    location: Location | None = None
    #: Autonomous system number of ``ip_address`` (from the log or offline enrichment).
    asn: int | None = None
    asn_org: str | None = None
    #: True when the IP belongs to a hosting / cloud provider, None when unknown.
    is_hosting: bool | None = None
    resource_id: str | None = None
    resource_display_name: str | None = None
    resource_service_principal_id: str | None = None
    client_credential_type: ClientCredentialType | None = None
    credential_key_id: str | None = None
    credential_thumbprint: str | None = None
    federated_credential_id: str | None = None
    msi_type: MsiType | None = None
    error_code: int = 0
    failure_reason: str | None = None
    user_agent: str | None = None
    correlation_id: str | None = None
    unique_token_identifier: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.error_code == 0


@dataclass(frozen=True, slots=True)
class Initiator:
    """Who performed an audited operation: a user or an app (service principal)."""

    kind: str  # "user" | "app"
    id: str | None = None
    display_name: str | None = None
    user_principal_name: str | None = None
    app_id: str | None = None
    service_principal_id: str | None = None
    ip_address: str | None = None


@dataclass(frozen=True, slots=True)
class ModifiedProperty:
    display_name: str
    old_value: str | None = None
    new_value: str | None = None


@dataclass(frozen=True, slots=True)
class AuditTarget:
    id: str | None
    type: str | None = None
    display_name: str | None = None
    user_principal_name: str | None = None
    modified_properties: tuple[ModifiedProperty, ...] = ()


@dataclass(frozen=True, slots=True)
class AuditEvent:
    id: str
    activity_date_time: datetime
    activity_display_name: str
    category: str | None = None
    operation_type: str | None = None
    result: str | None = None
    result_reason: str | None = None
    logged_by_service: str | None = None
    correlation_id: str | None = None
    initiated_by: Initiator | None = None
    targets: tuple[AuditTarget, ...] = ()
    additional_details: tuple[tuple[str, str | None], ...] = ()

    @property
    def actor_service_principal_id(self) -> str | None:
        ini = self.initiated_by
        return ini.service_principal_id if ini is not None and ini.kind == "app" else None


@dataclass(frozen=True, slots=True)
class GraphActivity:
    """One row of ``MicrosoftGraphActivityLogs`` (a request made to Microsoft Graph)."""

    id: str  # RequestId
    time: datetime
    request_method: str
    request_uri: str
    response_status_code: int
    service_principal_id: str | None = None
    app_id: str | None = None
    user_id: str | None = None
    tenant_id: str | None = None
    ip_address: str | None = None
    user_agent: str | None = None
    api_version: str | None = None
    response_size_bytes: int | None = None
    duration_ms: int | None = None
    sign_in_activity_id: str | None = None
    client_auth_method: int | None = None
    roles: str | None = None
    scopes: str | None = None
    location: str | None = None
