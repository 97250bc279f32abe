"""Graph ``servicePrincipal`` and ``application`` objects → :class:`ServicePrincipal` /
:class:`Application` (kind ``directory``).

Required: ``id`` and ``appId``; a missing ``displayName`` becomes ``""``. ``verifiedPublisher`` is
kept as its ``displayName``. Service principals: ``appRoleAssignments`` (present when the export
expanded them) become :class:`AppRoleGrant` values; an unknown ``servicePrincipalType`` is read
as ``Application``. Applications: ``web.redirectUris`` and ``requiredResourceAccess`` (each
entry as ``resourceAppId/id``, roles and scopes alike, in source order). Credentials: see
:mod:`vigil.normalize.credentials`. GUID-valued fields (``id``, ``appId``,
``appOwnerOrganizationId``, a grant's ``resourceId``, a requirement's ``resourceAppId``) are
lower-cased when they are GUIDs (:func:`vigil.normalize.values.canonical_guid`), so the inventory
joins the sign-ins and audits of the same principal whatever case either export used. A grant's
``id`` is not a GUID (base64) and is kept as it is.
"""

from __future__ import annotations

from typing import Any

from vigil.model import Application, AppRoleGrant, ServicePrincipal, ServicePrincipalType
from vigil.normalize.credentials import (
    federated_credentials,
    key_credentials,
    password_credentials,
)
from vigil.normalize.rejected import Invalid, Rejected
from vigil.normalize.timestamps import parse_optional_time
from vigil.normalize.values import (
    objects,
    opt_bool,
    opt_dict,
    opt_guid,
    opt_str,
    req_guid,
    req_str,
    str_tuple,
)

KIND = "directory"
_SP_TYPES = {member.value.lower(): member for member in ServicePrincipalType}


def normalize_service_principal(data: dict[str, Any]) -> ServicePrincipal | Rejected:
    """Normalize one Graph ``servicePrincipal``; never raises."""
    try:
        g = data.get
        sp_type = opt_str(g("servicePrincipalType"), "servicePrincipalType")
        return ServicePrincipal(
            id=req_guid(g("id"), "id"),
            app_id=req_guid(g("appId"), "appId"),
            display_name=opt_str(g("displayName"), "displayName") or "",
            service_principal_type=_SP_TYPES.get(
                (sp_type or "").lower(), ServicePrincipalType.Application
            ),
            app_owner_organization_id=opt_guid(
                g("appOwnerOrganizationId"), "appOwnerOrganizationId"
            ),
            account_enabled=opt_bool(g("accountEnabled"), "accountEnabled", True),
            disabled_by_microsoft_status=opt_str(
                g("disabledByMicrosoftStatus"), "disabledByMicrosoftStatus"
            ),
            publisher_name=opt_str(g("publisherName"), "publisherName"),
            verified_publisher=_publisher(g("verifiedPublisher")),
            sign_in_audience=opt_str(g("signInAudience"), "signInAudience"),
            reply_urls=str_tuple(g("replyUrls"), "replyUrls"),
            tags=str_tuple(g("tags"), "tags"),
            password_credentials=password_credentials(
                g("passwordCredentials"), "passwordCredentials"
            ),
            key_credentials=key_credentials(g("keyCredentials"), "keyCredentials"),
            federated_identity_credentials=federated_credentials(
                g("federatedIdentityCredentials"), "federatedIdentityCredentials"
            ),
            app_roles_granted=_grants(g("appRoleAssignments"), "appRoleAssignments"),
            created_date_time=parse_optional_time(g("createdDateTime"), "createdDateTime"),
        )
    except Invalid as exc:
        return exc.rejected(KIND)
    except Exception as exc:  # the contract is "never raises": report, don't crash
        return Rejected(KIND, f"unexpected {type(exc).__name__}: {exc}", None)


def normalize_application(data: dict[str, Any]) -> Application | Rejected:
    """Normalize one Graph ``application``; never raises."""
    try:
        g = data.get
        web = opt_dict(g("web"), "web") or {}
        return Application(
            id=req_guid(g("id"), "id"),
            app_id=req_guid(g("appId"), "appId"),
            display_name=opt_str(g("displayName"), "displayName") or "",
            sign_in_audience=opt_str(g("signInAudience"), "signInAudience"),
            publisher_domain=opt_str(g("publisherDomain"), "publisherDomain"),
            verified_publisher=_publisher(g("verifiedPublisher")),
            disabled_by_microsoft_status=opt_str(
                g("disabledByMicrosoftStatus"), "disabledByMicrosoftStatus"
            ),
            web_redirect_uris=str_tuple(web.get("redirectUris"), "web.redirectUris"),
            required_permissions=_permissions(g("requiredResourceAccess")),
            password_credentials=password_credentials(
                g("passwordCredentials"), "passwordCredentials"
            ),
            key_credentials=key_credentials(g("keyCredentials"), "keyCredentials"),
            federated_identity_credentials=federated_credentials(
                g("federatedIdentityCredentials"), "federatedIdentityCredentials"
            ),
            created_date_time=parse_optional_time(g("createdDateTime"), "createdDateTime"),
        )
    except Invalid as exc:
        return exc.rejected(KIND)
    except Exception as exc:  # the contract is "never raises": report, don't crash
        return Rejected(KIND, f"unexpected {type(exc).__name__}: {exc}", None)


def _publisher(value: object) -> str | None:
    publisher = opt_dict(value, "verifiedPublisher")
    if not publisher:
        return None
    return opt_str(publisher.get("displayName"), "verifiedPublisher.displayName")


def _grants(value: object, field: str) -> tuple[AppRoleGrant, ...]:
    grants = []
    for f, item in objects(value, field):
        g = item.get
        grants.append(
            AppRoleGrant(
                id=req_str(g("id"), f + ".id"),
                resource_id=req_guid(g("resourceId"), f + ".resourceId"),
                app_role_id=req_str(g("appRoleId"), f + ".appRoleId").lower(),
                resource_display_name=opt_str(g("resourceDisplayName"), f + ".resourceDisplayName"),
                created_date_time=parse_optional_time(g("createdDateTime"), f + ".createdDateTime"),
            )
        )
    return tuple(grants)


def _permissions(value: object) -> tuple[str, ...]:
    permissions = []
    for f, resource in objects(value, "requiredResourceAccess"):
        app = req_guid(resource.get("resourceAppId"), f + ".resourceAppId")
        for af, access in objects(resource.get("resourceAccess"), f + ".resourceAccess"):
            permissions.append(f"{app}/{req_str(access.get('id'), af + '.id').lower()}")
    return tuple(permissions)
