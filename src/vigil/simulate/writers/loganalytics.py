"""Log Analytics rows (spec §5.2-5.5): ``AADServicePrincipalSignInLogs``,
``AADManagedIdentitySignInLogs``, ``AuditLogs`` and ``MicrosoftGraphActivityLogs``.

Columns are PascalCase; ``dynamic`` columns and the ones Entra fills with JSON (``LocationDetails``,
``ManagedServiceIdentity``, ``AuthenticationProcessingDetails``, ``ConditionalAccessPolicies``,
``InitiatedBy``, ``TargetResources``, ``AdditionalDetails``) are JSON text, as a query export writes
them. ``TenantId`` is the Log Analytics workspace; the Entra tenant is ``AADTenantId``
(``AadTenantId`` in the Graph activity table). ``ResultType`` is the STS error code as text
(``"0"`` for success).
"""

from __future__ import annotations

from typing import Any

import orjson

from vigil.simulate.catalog import APP_ONLY_WIDS
from vigil.simulate.events import CLIENT_AUTH_METHOD, AuditRecord, GraphCall, SignInEvent
from vigil.simulate.rand import fmt_guid, iso_ms
from vigil.simulate.tenant import Tenant
from vigil.simulate.writers.graph_shape import signin


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def signin_row(e: SignInEvent, tenant: Tenant) -> dict[str, Any]:
    g = signin(e, tenant)
    managed = e.managed
    row: dict[str, Any] = {
        "TenantId": tenant.workspace_id,
        "SourceSystem": "Azure AD",
        "TimeGenerated": iso_ms(e.t + 700 + e.rid % 900),
        "OperationName": "Sign-in activity",
        "OperationVersion": "1.0",
        "Category": "ManagedIdentitySignInLogs" if managed else "ServicePrincipalSignInLogs",
        "ResultType": str(e.error),
        "ResultSignature": "None",
        "ResultDescription": g["status"]["failureReason"] or "",
        "DurationMs": 0,
        "CorrelationId": g["correlationId"],
        "ResourceGroup": "Microsoft.aadiam",
        "Identity": e.sp.display_name,
        "Level": "4",
        "Location": e.network.country,
        "AppId": e.sp.app_id,
        "AADTenantId": tenant.id,
        "AppOwnerTenantId": e.sp.owner_tenant,
        "AuthenticationProcessingDetails": _json(g["authenticationProcessingDetails"]),
        "AutonomousSystemNumber": str(e.network.asn),
        "ClientCredentialType": e.cred_type,
        "ConditionalAccessPolicies": "[]",
        "ConditionalAccessStatus": "notApplied",
        "CreatedDateTime": iso_ms(e.t),
        "FederatedCredentialId": g["federatedCredentialId"] or "",
        "Id": g["id"],
        "IPAddress": e.ip,
        "LocationDetails": _json(e.network.location),
        "ResourceDisplayName": e.resource.display_name,
        "ResourceIdentity": e.resource.app_id,
        "ResourceOwnerTenantId": g["resourceOwnerTenantId"],
        "ResourceServicePrincipalId": g["resourceServicePrincipalId"],
        "ResourceTenantId": tenant.id,
        "ServicePrincipalCredentialKeyId": g["servicePrincipalCredentialKeyId"] or "",
        "ServicePrincipalCredentialThumbprint": g["servicePrincipalCredentialThumbprint"] or "",
        "ServicePrincipalId": e.sp.id,
        "ServicePrincipalName": e.sp.display_name,
        "UniqueTokenIdentifier": g["uniqueTokenIdentifier"],
        "UserAgent": e.user_agent or "",
        "Type": "AADManagedIdentitySignInLogs" if managed else "AADServicePrincipalSignInLogs",
    }
    if managed:
        row["ManagedServiceIdentity"] = _json(g["managedServiceIdentity"])
    return row


def audit_row(a: AuditRecord, tenant: Tenant) -> dict[str, Any]:
    d = a.doc
    initiated = {k: v for k, v in d["initiatedBy"].items() if v is not None}
    actor = initiated.get("user", {}).get("userPrincipalName") or initiated.get("app", {}).get(
        "displayName"
    )
    return {
        "TenantId": tenant.workspace_id,
        "SourceSystem": "Azure AD",
        "TimeGenerated": iso_ms(a.t + 1_200),
        "ResourceId": f"/tenants/{tenant.id}/providers/Microsoft.aadiam",
        "OperationName": d["activityDisplayName"],
        "OperationVersion": "1.0",
        "Category": d["category"],
        "ResultSignature": "None",
        "DurationMs": 0,
        "CorrelationId": d["correlationId"],
        "Resource": "Microsoft.aadiam",
        "ResourceGroup": "Microsoft.aadiam",
        "Identity": actor or "",
        "Level": "4",
        "AdditionalDetails": _json(d["additionalDetails"]),
        "Id": d["id"],
        "InitiatedBy": _json(initiated),
        "LoggedByService": d["loggedByService"],
        "Result": d["result"],
        "ResultReason": d["resultReason"],
        "TargetResources": _json(d["targetResources"]),
        "AADTenantId": tenant.id,
        "ActivityDisplayName": d["activityDisplayName"],
        "ActivityDateTime": iso_ms(a.t),
        "AADOperationType": d["operationType"],
        "Type": "AuditLogs",
    }


def graph_activity_row(c: GraphCall, tenant: Tenant) -> dict[str, Any]:
    rid = fmt_guid(c.rid)
    token = c.token
    roles = " ".join(c.sp.role_values(at=token.t))
    return {
        "TenantId": tenant.workspace_id,
        "SourceSystem": "Azure AD",
        "TimeGenerated": iso_ms(c.t + c.duration),
        "Location": "West Europe",
        "RequestId": rid,
        "OperationId": rid,
        "ClientRequestId": fmt_guid(c.rid ^ 0x5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A),
        "ApiVersion": c.api_version,
        "RequestMethod": c.method,
        "ResponseStatusCode": c.status,
        "AadTenantId": tenant.id,
        "IPAddress": c.ip,
        "UserAgent": c.user_agent or "",
        "RequestUri": c.uri,
        "DurationMs": c.duration,
        "ResponseSizeBytes": c.size,
        "SignInActivityId": token.unique_token_identifier,
        "Roles": roles,
        "TokenIssuedAt": iso_ms(token.t - token.t % 1000),
        "AppId": c.sp.app_id,
        "UserId": "",
        "ServicePrincipalId": c.sp.id,
        "Scopes": "",
        "IdentityProvider": f"https://sts.windows.net/{tenant.id}/",
        "ClientAuthMethod": CLIENT_AUTH_METHOD.get(token.cred_type, 1),
        "Wids": APP_ONLY_WIDS,
        "ATContent": "",
        "Type": "MicrosoftGraphActivityLogs",
    }
