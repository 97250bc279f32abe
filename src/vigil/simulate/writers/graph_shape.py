"""Graph JSON: beta ``signIn`` for workload sign-ins, ``directoryAudit`` (as built by
:mod:`vigil.simulate.audit`), and the ``servicePrincipal`` / ``application`` inventory.

Field names and enum values are those of spec §5.1 (``GET /beta/auditLogs/signIns`` with
``signInEventTypes``), §10 (password / key credentials) and the v1.0 ``servicePrincipal`` and
``application`` resources; the inventory is what ``GET /v1.0/servicePrincipals?$expand=
appRoleAssignments`` and ``GET /v1.0/applications?$expand=federatedIdentityCredentials`` return,
snapshot at the end of the timeline.
"""

from __future__ import annotations

from typing import Any

from vigil.simulate.catalog import FAILURES, GRAPH_ROLES, MICROSOFT_TENANT
from vigil.simulate.events import SignInEvent
from vigil.simulate.rand import fmt_guid, iso_7, iso_s
from vigil.simulate.tenant import Credential, Principal, Tenant

AUTH_DETAILS = [{"key": "Azure AD App Authentication Library", "value": ""}]
NO_MSI = {"msiType": "none", "associatedResourceId": None, "federatedTokenId": None,
          "federatedTokenIssuer": None}


def failure_reason(e: SignInEvent) -> str | None:
    if not e.error:
        return None
    text = FAILURES.get(e.error, "Other.")
    return text.replace("{app_id}", e.sp.app_id).replace("{name}", e.sp.display_name)


def signin(e: SignInEvent, tenant: Tenant) -> dict[str, Any]:
    """The beta ``signIn`` object of a service-principal or managed-identity sign-in."""
    sp = e.sp
    sid = fmt_guid(e.rid)
    cred = e.cred
    key_id = thumb = fic = None
    if cred is not None and e.error not in (7000215, 700027):
        if cred.kind == "Federated":
            fic = cred.key_id
        elif cred.created_by != "vendor" or e.error == 0:
            key_id = cred.key_id
            thumb = cred.thumbprint
    managed = e.managed
    msi = NO_MSI
    if managed:
        msi = {"msiType": sp.msi_type, "associatedResourceId": sp.associated_resource_id,
               "federatedTokenId": None, "federatedTokenIssuer": None}
    return {
        "id": sid,
        "createdDateTime": iso_s(e.t),
        "appId": sp.app_id,
        "appDisplayName": sp.display_name,
        "ipAddress": e.ip,
        "ipAddressFromResourceProvider": None,
        "status": {"errorCode": e.error, "failureReason": failure_reason(e),
                   "additionalDetails": None},
        "location": e.network.location,
        "autonomousSystemNumber": e.network.asn,
        "correlationId": fmt_guid(e.corr),
        "originalRequestId": sid,
        "conditionalAccessStatus": "notApplied",
        "appliedConditionalAccessPolicies": [],
        "isInteractive": False,
        "tokenIssuerType": "AzureAD",
        "tokenIssuerName": "",
        "authenticationProcessingDetails": AUTH_DETAILS,
        "processingTimeInMilliseconds": 40 + e.rid % 160,
        "riskDetail": "none",
        "riskLevelAggregated": "none",
        "riskLevelDuringSignIn": "none",
        "riskState": "none",
        "riskEventTypes_v2": [],
        "resourceDisplayName": e.resource.display_name,
        "resourceId": e.resource.app_id,
        "resourceServicePrincipalId": tenant.resource_sps[e.resource.key].id,
        "resourceTenantId": tenant.id,
        "resourceOwnerTenantId": MICROSOFT_TENANT,
        "appOwnerTenantId": sp.owner_tenant,
        "servicePrincipalId": sp.id,
        "servicePrincipalName": sp.display_name,
        "servicePrincipalCredentialKeyId": key_id,
        "servicePrincipalCredentialThumbprint": thumb,
        "clientCredentialType": e.cred_type,
        "federatedCredentialId": fic,
        "managedServiceIdentity": msi,
        "signInEventTypes": ["managedIdentity" if managed else "servicePrincipal"],
        "uniqueTokenIdentifier": e.unique_token_identifier,
        "userAgent": e.user_agent,
        "authenticationProtocol": "none",
        "incomingTokenType": "none",
        "crossTenantAccessType": "none",
        "isTenantRestricted": False,
        "flaggedForReview": False,
    }


def password_credential(c: Credential) -> dict[str, Any]:
    return {"customKeyIdentifier": None, "displayName": c.display_name,
            "endDateTime": iso_7(c.end), "hint": c.hint, "keyId": c.key_id, "secretText": None,
            "startDateTime": iso_7(c.start)}


def key_credential(c: Credential) -> dict[str, Any]:
    return {"customKeyIdentifier": c.thumbprint, "displayName": c.display_name,
            "endDateTime": iso_7(c.end), "key": None, "keyId": c.key_id, "startDateTime":
            iso_7(c.start), "type": "AsymmetricX509Cert", "usage": "Verify"}


def _creds(p: Principal, at: int, on_application: bool) -> tuple[list[dict], list[dict]]:
    pw, keys = [], []
    for c in p.credentials:
        if c.on_application != on_application or not c.present_at(at) or c.created_by == "vendor":
            continue
        if c.kind == "Password":
            pw.append(password_credential(c))
        elif c.kind == "AsymmetricX509Cert":
            keys.append(key_credential(c))
    return pw, keys


def _publisher(p: Principal) -> dict[str, Any]:
    if p.verified_publisher:
        return {"displayName": p.verified_publisher, "verifiedPublisherId": str(5_000_000 + p.index),
                "addedDateTime": iso_s(p.created)}
    return {"displayName": None, "verifiedPublisherId": None, "addedDateTime": None}


def service_principal(p: Principal, tenant: Tenant) -> dict[str, Any]:
    at = tenant.end
    pw, keys = _creds(p, at, on_application=False)
    graph = tenant.resource_sps["graph"]
    grants = [{"id": g.id, "deletedDateTime": None, "appRoleId": GRAPH_ROLES[g.role],
               "createdDateTime": iso_7(g.created), "principalDisplayName": p.display_name,
               "principalId": p.id, "principalType": "ServicePrincipal",
               "resourceDisplayName": graph.display_name, "resourceId": graph.id}
              for g in p.roles if g.created <= at]
    names = [p.app_id]
    alternative: list[str] = []
    if p.sp_type == "ManagedIdentity":
        names.append(f"https://identity.azure.net/{fmt_guid(p.index * 7919 + 17)}")
        alternative = [f"isExplicit={'True' if p.msi_type == 'userAssigned' else 'False'}",
                       p.associated_resource_id or ""]
    return {
        "id": p.id,
        "deletedDateTime": None,
        "accountEnabled": p.account_enabled,
        "alternativeNames": alternative,
        "appDisplayName": p.display_name,
        "appDescription": None,
        "appId": p.app_id,
        "appOwnerOrganizationId": p.owner_tenant,
        "appRoleAssignmentRequired": False,
        "disabledByMicrosoftStatus": p.disabled_by_microsoft,
        "displayName": p.display_name,
        "homepage": None,
        "notes": None,
        "publisherName": p.publisher_name or tenant.name,
        "replyUrls": list(p.reply_urls),
        "servicePrincipalNames": names,
        "servicePrincipalType": p.sp_type,
        "signInAudience": p.sign_in_audience if p.sp_type == "Application" else None,
        "tags": list(p.tags),
        "verifiedPublisher": _publisher(p),
        "keyCredentials": keys,
        "passwordCredentials": pw,
        "appRoleAssignments": grants,
    }


def application(p: Principal, tenant: Tenant) -> dict[str, Any]:
    at = tenant.end
    pw, keys = _creds(p, at, on_application=True)
    fics = [{"id": c.key_id, "name": c.display_name, "issuer": c.issuer, "subject": c.subject,
             "audiences": ["api://AzureADTokenExchange"], "description": None}
            for c in p.credentials if c.kind == "Federated" and c.present_at(at)]
    roles = [{"id": GRAPH_ROLES[g.role], "type": "Role"} for g in p.roles if g.created <= at]
    return {
        "id": p.app_object_id,
        "deletedDateTime": None,
        "appId": p.app_id,
        "displayName": p.display_name,
        "createdDateTime": iso_s(p.created),
        "signInAudience": p.sign_in_audience,
        "publisherDomain": tenant.domain,
        "verifiedPublisher": _publisher(p),
        "disabledByMicrosoftStatus": p.disabled_by_microsoft,
        "identifierUris": [],
        "tags": list(p.tags),
        "notes": None,
        "web": {"redirectUris": list(p.reply_urls), "homePageUrl": None, "logoutUrl": None},
        "requiredResourceAccess": (
            [{"resourceAppId": tenant.resource_sps["graph"].app_id, "resourceAccess": roles}]
            if roles else []
        ),
        "passwordCredentials": pw,
        "keyCredentials": keys,
        "federatedIdentityCredentials": fics,
    }


def page(context: str, items: list[dict[str, Any]], next_link: str | None) -> dict[str, Any]:
    doc: dict[str, Any] = {"@odata.context": context}
    if next_link:
        doc["@odata.nextLink"] = next_link
    doc["value"] = items
    return doc
