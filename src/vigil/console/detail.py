"""The detail pane's document for one service principal: everything an analyst needs to decide.

Basic info and kind (managed identity; multi-tenant when the app is owned by another organization
than ``settings.tenant_id`` or registered for other organizations; single-tenant otherwise); the
current risk and the full history (Graph shapes); its detections with explanations; recent sign-ins
with the suspicious ones marked; the credential inventory with the last use of each key; recent
audit operations by and on it. Reads only; actions go through the Graph routes (``RiskService``).

A sign-in is *suspicious* when a detection names it (its id or correlation id is the detection's
``requestId`` / ``correlationId`` or a value in its ``additionalInfo``), or when it comes from a
detection's IP address within :data:`NEAR` of the detection's activity time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from vigil.api.shapes import detection_to_graph, graph_datetime, history_to_graph, risky_to_graph
from vigil.app import App
from vigil.console.explain import explain, referenced_ids
from vigil.model import (
    Application,
    AuditEvent,
    RiskDetection,
    ServicePrincipal,
    ServicePrincipalType,
    SignIn,
)
from vigil.store.console_queries import ConsoleQueries

NEAR = timedelta(minutes=5)
SIGN_IN_LIMIT = 50
AUDIT_LIMIT = 25
DETECTION_LIMIT = 200


def kind_of(sp: ServicePrincipal | None, tenant_id: str | None) -> str:
    """``managedIdentity``, ``multiTenant``, ``singleTenant`` or ``unknown`` (not inventoried)."""
    if sp is None:
        return "unknown"
    if sp.service_principal_type == ServicePrincipalType.ManagedIdentity:
        return "managedIdentity"
    audience = (sp.sign_in_audience or "").lower()
    if sp.is_multi_tenant(tenant_id) or audience in (
        "azureadmultipleorgs",
        "azureadandpersonalmicrosoftaccount",
    ):
        return "multiTenant"
    return "singleTenant"


def _principal(sp: ServicePrincipal | None, fallback: dict[str, Any], tenant: str | None) -> Any:
    if sp is None:
        return {**fallback, "kind": "unknown", "inInventory": False}
    return {
        "id": sp.id,
        "appId": sp.app_id,
        "displayName": sp.display_name,
        "servicePrincipalType": sp.service_principal_type.value,
        "kind": kind_of(sp, tenant),
        "accountEnabled": sp.account_enabled,
        "appOwnerOrganizationId": sp.app_owner_organization_id,
        "publisherName": sp.publisher_name,
        "verifiedPublisher": sp.verified_publisher,
        "signInAudience": sp.sign_in_audience,
        "disabledByMicrosoftStatus": sp.disabled_by_microsoft_status,
        "createdDateTime": graph_datetime(sp.created_date_time),
        "inInventory": True,
    }


def credentials(
    sp: ServicePrincipal | None,
    app: Application | None,
    last_used: dict[str, datetime],
    now: datetime,
) -> list[dict[str, Any]]:
    """Secrets, certificates and federated credentials of the principal and its application."""
    out: list[dict[str, Any]] = []

    def row(
        owner: str,
        kind: str,
        key_id: str,
        name: str | None,
        hint: str | None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> dict[str, Any]:
        return {
            "owner": owner,
            "type": kind,
            "keyId": key_id,
            "displayName": name,
            "hint": hint,
            "startDateTime": graph_datetime(start),
            "endDateTime": graph_datetime(end),
            "expired": end is not None and end <= now,
            "lastUsedDateTime": graph_datetime(last_used.get(key_id.lower())),
        }

    for owner, obj in (("servicePrincipal", sp), ("application", app)):
        if obj is None:
            continue
        for p in obj.password_credentials:
            out.append(row(owner, "clientSecret", p.key_id, p.display_name, p.hint,
                           p.start_date_time, p.end_date_time))  # fmt: skip
        for k in obj.key_credentials:
            out.append(row(owner, "certificate", k.key_id, k.display_name, k.thumbprint,
                           k.start_date_time, k.end_date_time))  # fmt: skip
        for f in obj.federated_identity_credentials:
            hint = f"{f.issuer} · {f.subject}"
            out.append(row(owner, "federatedIdentityCredential", f.id, f.name, hint))
    return out


def suspicion(s: SignIn, detections: Sequence[RiskDetection], named: dict[str, str]) -> Any:
    """Why a sign-in is suspicious (``{"detectionId", "reason"}``), or None."""
    for key in (s.id, s.correlation_id):
        if key and key in named:
            return {"detectionId": named[key], "reason": "named by the detection"}
    for d in detections:
        if (
            d.ip_address
            and s.ip_address == d.ip_address
            and abs(s.created_date_time - d.activity_date_time) <= NEAR
        ):
            return {"detectionId": d.id, "reason": "same IP address, near the detection's time"}
    return None


def sign_in_doc(s: SignIn, why: Any) -> dict[str, Any]:
    loc = s.location
    return {
        "id": s.id,
        "createdDateTime": graph_datetime(s.created_date_time),
        "ipAddress": s.ip_address,
        "location": ", ".join(x for x in (loc.city, loc.country_or_region) if x) if loc else None,
        "asn": s.asn,
        "asnOrg": s.asn_org,
        "isHosting": s.is_hosting,
        "resource": s.resource_display_name or s.resource_id,
        "credentialType": s.client_credential_type.value if s.client_credential_type else None,
        "keyId": s.credential_key_id,
        "errorCode": s.error_code,
        "failureReason": s.failure_reason,
        "userAgent": s.user_agent,
        "correlationId": s.correlation_id,
        "suspicious": why,
    }


def audit_doc(a: AuditEvent) -> dict[str, Any]:
    ini = a.initiated_by
    by = None
    if ini is not None:
        by = ini.user_principal_name or ini.display_name or ini.service_principal_id or ini.id
    return {
        "id": a.id,
        "activityDateTime": graph_datetime(a.activity_date_time),
        "activityDisplayName": a.activity_display_name,
        "category": a.category,
        "result": a.result,
        "initiatedBy": by,
        "targets": [t.display_name or t.user_principal_name or t.id for t in a.targets],
    }


def detail_document(app: App, sp_id: str) -> dict[str, Any] | None:
    """The detail pane of ``sp_id``, or None when Vigil knows nothing of it."""
    store = app.store
    queries = ConsoleQueries(store.engine)
    sp = store.inventory.service_principal(sp_id)
    risky = store.risk.risky(sp_id)
    detections = queries.detections_of(sp_id, DETECTION_LIMIT)
    if sp is None and risky is None and not detections:
        return None
    application = None
    if sp is not None:
        application = store.inventory.applications_by_app_id([sp.app_id]).get(sp.app_id)
    fallback = {
        "id": sp_id,
        "appId": risky.app_id if risky else detections[0].app_id,
        "displayName": risky.display_name
        if risky
        else detections[0].service_principal_display_name,
        "servicePrincipalType": risky.service_principal_type if risky else None,
        "accountEnabled": risky.is_enabled if risky else None,
    }
    named: dict[str, str] = {}
    for d in reversed(detections):  # the newest detection naming an id wins
        named.update(dict.fromkeys(referenced_ids(d), d.id))
    recent = queries.recent_sign_ins(sp_id, SIGN_IN_LIMIT)
    seen = {s.id for s in recent}
    flagged = [s for s in queries.sign_ins_by_ids(sp_id, named) if s.id not in seen]
    sign_ins = sorted([*recent, *flagged], key=lambda s: s.created_date_time, reverse=True)
    targets = [sp_id] + ([application.id] if application is not None else [])
    return {
        "principal": _principal(sp, fallback, app.settings.tenant_id),
        "risk": None if risky is None else risky_to_graph(risky, include_unknown=True),
        "history": [
            history_to_graph(h, include_unknown=True) for h in reversed(store.risk.history(sp_id))
        ],
        "detections": [
            {
                **detection_to_graph(d, version="beta", include_unknown=True),
                "explanation": explain(d),
            }
            for d in detections
        ],
        "signIns": [sign_in_doc(s, suspicion(s, detections, named)) for s in sign_ins],
        "credentials": credentials(sp, application, queries.key_last_used(sp_id), app.clock()),
        "auditsBy": [audit_doc(a) for a in queries.audits_by(sp_id, AUDIT_LIMIT)],
        "auditsOn": [audit_doc(a) for a in queries.audits_on(targets, AUDIT_LIMIT)],
    }
