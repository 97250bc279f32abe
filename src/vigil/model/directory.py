"""Directory objects: service principals, applications and their credentials.

Field names are Python's snake_case of Graph's properties; Graph's camelCase lives only in ``api``.
Times are timezone-aware UTC ``datetime`` values. Secrets never appear here: a password credential
carries Entra's 3-character ``hint`` only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from vigil.model.enums import ServicePrincipalType


@dataclass(frozen=True, slots=True)
class PasswordCredential:
    key_id: str
    display_name: str | None = None
    hint: str | None = None
    start_date_time: datetime | None = None
    end_date_time: datetime | None = None


@dataclass(frozen=True, slots=True)
class KeyCredential:
    key_id: str
    display_name: str | None = None
    type: str | None = None
    usage: str | None = None
    #: Hex SHA-1 thumbprint of the certificate (Graph's ``customKeyIdentifier`` by default).
    thumbprint: str | None = None
    start_date_time: datetime | None = None
    end_date_time: datetime | None = None


@dataclass(frozen=True, slots=True)
class FederatedIdentityCredential:
    id: str
    name: str
    issuer: str
    subject: str
    audiences: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AppRoleGrant:
    """An application permission granted to the principal (Graph ``appRoleAssignment``)."""

    id: str
    resource_id: str
    app_role_id: str
    resource_display_name: str | None = None
    #: The permission's value when known, e.g. ``RoleManagement.ReadWrite.Directory``.
    app_role_value: str | None = None
    created_date_time: datetime | None = None


@dataclass(frozen=True, slots=True)
class ServicePrincipal:
    id: str
    app_id: str
    display_name: str
    service_principal_type: ServicePrincipalType = ServicePrincipalType.Application
    app_owner_organization_id: str | None = None
    account_enabled: bool = True
    disabled_by_microsoft_status: str | None = None
    publisher_name: str | None = None
    verified_publisher: str | None = None
    sign_in_audience: str | None = None
    reply_urls: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    password_credentials: tuple[PasswordCredential, ...] = ()
    key_credentials: tuple[KeyCredential, ...] = ()
    federated_identity_credentials: tuple[FederatedIdentityCredential, ...] = ()
    app_roles_granted: tuple[AppRoleGrant, ...] = ()
    created_date_time: datetime | None = None

    def is_multi_tenant(self, home_tenant_id: str | None) -> bool:
        """True when the app is owned by another organization than ``home_tenant_id``."""
        return bool(
            home_tenant_id
            and self.app_owner_organization_id
            and self.app_owner_organization_id != home_tenant_id
        )


@dataclass(frozen=True, slots=True)
class Application:
    id: str
    app_id: str
    display_name: str
    sign_in_audience: str | None = None
    publisher_domain: str | None = None
    verified_publisher: str | None = None
    disabled_by_microsoft_status: str | None = None
    web_redirect_uris: tuple[str, ...] = ()
    #: Requested application permissions as ``resourceAppId/roleOrScopeId`` or a known value.
    required_permissions: tuple[str, ...] = ()
    password_credentials: tuple[PasswordCredential, ...] = ()
    key_credentials: tuple[KeyCredential, ...] = ()
    federated_identity_credentials: tuple[FederatedIdentityCredential, ...] = ()
    created_date_time: datetime | None = None
