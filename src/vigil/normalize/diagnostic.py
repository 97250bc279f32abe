"""Diagnostic-settings records → model objects.

Entra's diagnostic settings (storage archive ``PT1H.json``, Event Hubs) write one envelope per
event: ``{"time", "category", "tenantId", "resultType", "callerIpAddress", ..., "properties":
{...}}``. For the sign-in and audit categories ``properties`` is Graph-shaped camelCase; for
``MicrosoftGraphActivityLogs`` it is the camelCase spelling of the Log Analytics columns.

The envelope supplies what ``properties`` lacks: ``time`` (event time), ``tenantId``,
``callerIpAddress``. The category decides the sign-in kind. Rejections name fields inside the
envelope as ``properties.<field>``.
"""

from __future__ import annotations

from typing import Any

from vigil.model import AuditEvent, GraphActivity, SignIn, SignInKind
from vigil.normalize.audit import normalize_directory_audit
from vigil.normalize.graph_activity import normalize_graph_activity
from vigil.normalize.graph_signin import normalize_graph_signin
from vigil.normalize.rejected import Rejected

#: Diagnostic category → sign-in kind.
SIGNIN_CATEGORIES: dict[str, SignInKind] = {
    "ServicePrincipalSignInLogs": SignInKind.servicePrincipal,
    "ManagedIdentitySignInLogs": SignInKind.managedIdentity,
}


def normalize_diagnostic_signin(record: dict[str, Any]) -> SignIn | Rejected:
    props: dict[str, Any] = record["properties"]
    if not props.get("createdDateTime") and record.get("time"):
        props = {**props, "createdDateTime": record["time"]}
    if not props.get("ipAddress") and record.get("callerIpAddress"):
        props = {**props, "ipAddress": record["callerIpAddress"]}
    tenant = record.get("tenantId")
    category = record.get("category")
    kind = SIGNIN_CATEGORIES.get(category) if type(category) is str else None
    result = normalize_graph_signin(
        props, kind=kind, tenant_id=tenant if type(tenant) is str and tenant else None
    )
    return _inside(result)


def normalize_diagnostic_audit(record: dict[str, Any]) -> AuditEvent | Rejected:
    props: dict[str, Any] = record["properties"]
    if not props.get("activityDateTime") and record.get("time"):
        props = {**props, "activityDateTime": record["time"]}
    return _inside(normalize_directory_audit(props))


def normalize_diagnostic_graph_activity(record: dict[str, Any]) -> GraphActivity | Rejected:
    props: dict[str, Any] = record["properties"]
    if not props.get("tenantId") and record.get("tenantId"):
        props = {**props, "tenantId": record["tenantId"]}
    result = normalize_graph_activity(props, diagnostic=True, fallback_time=record.get("time"))
    return _inside(result)


def _inside(result: Any) -> Any:
    if type(result) is Rejected and result.field is not None:
        return Rejected(result.kind, result.reason, "properties." + result.field)
    return result
