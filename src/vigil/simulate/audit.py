"""``directoryAudit`` records (Graph shape) for the operations the simulator performs.

Shapes follow spec §5.5 and the public samples: ``initiatedBy`` holds ``user`` or ``app`` (the other
is null), ``targetResources[].modifiedProperties[]`` values are JSON text, credential changes carry
``KeyDescription`` lists of ``[KeyIdentifier=...,KeyType=...,KeyUsage=Verify,DisplayName=...]``,
and the live activity name of application credential changes has an EN DASH and a trailing space.
Ids look like Entra's: ``Directory_<correlationId>_<5 chars>_<number>``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from vigil.simulate.catalog import DIRECTORY_ROLES, GRAPH_ROLES
from vigil.simulate.events import AuditRecord
from vigil.simulate.rand import Rand, iso_s
from vigil.simulate.tenant import Credential, Person, Principal

APP_CREDENTIALS = "Update application – Certificates and secrets management "
PORTAL_UA = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
             "Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0")
_ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def by_user(p: Person) -> dict[str, Any]:
    user = {"id": p.id, "displayName": None, "userPrincipalName": p.upn, "ipAddress": p.ip,
            "roles": []}
    return {"app": None, "user": user}


def by_app(p: Principal) -> dict[str, Any]:
    app = {"appId": p.app_id, "displayName": p.display_name, "servicePrincipalId": p.id,
           "servicePrincipalName": p.display_name}
    return {"app": app, "user": None}


def by_platform(sp_id: str) -> dict[str, Any]:
    app = {"appId": None, "displayName": "Managed Service Identity", "servicePrincipalId": sp_id,
           "servicePrincipalName": None}
    return {"app": app, "user": None}


def prop(name: str, old: Any, new: Any) -> dict[str, Any]:
    """A modifiedProperty; values are JSON text (None stays null)."""
    return {"displayName": name, "oldValue": _enc(old), "newValue": _enc(new)}


def _enc(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def target(obj_id: str, name: str | None, kind: str, props: list[dict[str, Any]] | None = None,
           upn: str | None = None) -> dict[str, Any]:
    return {"id": obj_id, "displayName": name, "type": kind, "userPrincipalName": upn,
            "groupType": None, "modifiedProperties": props or [], "administrativeUnits": []}


def record(rng: Rand, t: int, activity: str, category: str, operation: str,
           initiated_by: dict[str, Any], targets: list[dict[str, Any]],
           details: Sequence[tuple[str, str]] = (), result: str = "success") -> AuditRecord:
    corr = rng.guid()
    doc = {
        "id": f"Directory_{corr}_{rng.token(_ID_CHARS, 5)}_{rng.randrange(10**7, 10**9)}",
        "category": category,
        "correlationId": corr,
        "result": result,
        "resultReason": "",
        "activityDisplayName": activity,
        "activityDateTime": iso_s(t),
        "loggedByService": "Core Directory",
        "operationType": operation,
        "initiatedBy": initiated_by,
        "targetResources": targets,
        "additionalDetails": [{"key": k, "value": v} for k, v in details],
    }
    return AuditRecord(t, doc)


def _ua(initiated_by: dict[str, Any]) -> list[tuple[str, str]]:
    if initiated_by.get("user"):
        return [("User-Agent", PORTAL_UA)]
    return [("User-Agent", "Microsoft Azure Graph Client Library 1.0")]


def key_description(c: Credential) -> str:
    kind = "Password" if c.kind == "Password" else c.kind
    return f"[KeyIdentifier={c.key_id},KeyType={kind},KeyUsage=Verify,DisplayName={c.display_name}]"


def credentials_changed(rng: Rand, t: int, p: Principal, before: list[Credential],
                        after: list[Credential], initiated_by: dict[str, Any]) -> AuditRecord:
    """A credential added to / removed from ``p``'s application (or its service principal)."""
    old = [key_description(c) for c in before]
    new = [key_description(c) for c in after]
    props = [prop("KeyDescription", old, new), prop("Included Updated Properties", None,
                                                     "KeyDescription")]
    if p.is_home_app and (after or before)[0].on_application:
        tgt = target(p.app_object_id or p.id, p.display_name, "Application", props)
        return record(rng, t, APP_CREDENTIALS, "ApplicationManagement", "Update", initiated_by,
                      [tgt], [*_ua(initiated_by), ("AppId", p.app_id)])
    removed = len(after) < len(before)
    activity = ("Remove" if removed else "Add") + " service principal credentials"
    props.append(prop("TargetId.ServicePrincipalNames", None, p.app_id))
    tgt = target(p.id, p.display_name, "ServicePrincipal", props)
    return record(rng, t, activity, "ApplicationManagement", "Update", initiated_by, [tgt],
                  [*_ua(initiated_by), ("AppId", p.app_id)])


def app_role_assigned(rng: Rand, t: int, client: Principal, resource_sp: Principal, role: str,
                      initiated_by: dict[str, Any]) -> AuditRecord:
    """``Add app role assignment to service principal``: ``client`` gets ``role`` on the resource."""
    stamp = iso_s(t)
    props = [prop("AppRole.Id", None, GRAPH_ROLES.get(role, rng.guid())),
             prop("AppRole.Value", None, role),
             prop("AppRoleAssignment.CreatedDateTime", None, stamp),
             prop("AppRoleAssignment.LastModifiedDateTime", None, stamp),
             prop("ServicePrincipal.ObjectID", None, client.id),
             prop("ServicePrincipal.DisplayName", None, client.display_name),
             prop("ServicePrincipal.AppId", None, client.app_id),
             prop("ServicePrincipal.Name", None, client.app_id),
             prop("TargetId.ServicePrincipalNames", None, resource_sp.app_id)]
    tgt = target(resource_sp.id, resource_sp.display_name, "ServicePrincipal", props)
    return record(rng, t, "Add app role assignment to service principal",
                  "ApplicationManagement", "Assign", initiated_by, [tgt], _ua(initiated_by))


def member_added_to_role(rng: Rand, t: int, member: Principal, role: str,
                         initiated_by: dict[str, Any]) -> AuditRecord:
    template = DIRECTORY_ROLES[role]
    props = [prop("Role.ObjectID", None, Rand.derive(0, "role", role).guid()),
             prop("Role.DisplayName", None, role),
             prop("Role.TemplateId", None, template),
             prop("Role.WellKnownObjectName", None, role.replace(" ", ""))]
    tgt = target(member.id, member.display_name, "ServicePrincipal", props)
    return record(rng, t, "Add member to role", "RoleManagement", "Assign", initiated_by, [tgt],
                  _ua(initiated_by))


def owner_added(rng: Rand, t: int, owner: Principal, owned: Principal,
                initiated_by: dict[str, Any]) -> AuditRecord:
    """``Add owner to service principal``: the new owner first, then the owned principal."""
    props = [prop("ServicePrincipal.ObjectID", None, owned.id),
             prop("ServicePrincipal.DisplayName", None, owned.display_name),
             prop("ServicePrincipal.AppId", None, owned.app_id),
             prop("ServicePrincipal.Name", None, owned.app_id)]
    return record(rng, t, "Add owner to service principal", "ApplicationManagement", "Add",
                  initiated_by, [target(owner.id, owner.display_name, "ServicePrincipal", props),
                                 target(owned.id, owned.display_name, "ServicePrincipal")],
                  _ua(initiated_by))


def application_added(rng: Rand, t: int, p: Principal,
                      initiated_by: dict[str, Any]) -> AuditRecord:
    """``Add application``: an app registration in the tenant (its service principal follows)."""
    props = [prop("AppId", None, [p.app_id]), prop("DisplayName", None, [p.display_name]),
             prop("AvailableToOtherTenants", None, [False]),
             prop("Included Updated Properties", None, "AppId, DisplayName, AvailableToOtherTenants")]
    return record(rng, t, "Add application", "ApplicationManagement", "Add", initiated_by,
                  [target(p.app_object_id or p.id, p.display_name, "Application", props)],
                  [*_ua(initiated_by), ("AppId", p.app_id)])


def service_principal_added(rng: Rand, t: int, p: Principal,
                            initiated_by: dict[str, Any]) -> AuditRecord:
    props = [prop("AccountEnabled", None, [True]), prop("AppPrincipalId", None, [p.app_id]),
             prop("DisplayName", None, [p.display_name]),
             prop("ServicePrincipalName", None, [p.app_id]),
             prop("Included Updated Properties", None,
                  "AccountEnabled, AppPrincipalId, DisplayName, ServicePrincipalName")]
    return record(rng, t, "Add service principal", "ApplicationManagement", "Add", initiated_by,
                  [target(p.id, p.display_name, "ServicePrincipal", props)],
                  [*_ua(initiated_by), ("AppId", p.app_id)])


def consented(rng: Rand, t: int, p: Principal, resource_sp: Principal, scopes: list[str],
              admin: bool, app_only: bool, initiated_by: dict[str, Any]) -> AuditRecord:
    kind = "AllPrincipals" if admin else "Principal"
    grant = (f"[[Id: {rng.token(_ID_CHARS, 43)}, ClientId: {p.id}, PrincipalId: , "
             f"ResourceId: {resource_sp.id}, ConsentType: {kind}, Scope: {' '.join(scopes)}, "
             f"CreatedDateTime: , LastModifiedDateTime ]]")
    props = [prop("ConsentContext.IsAdminConsent", None, str(admin)),
             prop("ConsentContext.IsAppOnly", None, str(app_only)),
             prop("ConsentContext.OnBehalfOfAll", None, str(admin)),
             prop("ConsentContext.Tags", None, "WindowsAzureActiveDirectoryIntegratedApp"),
             prop("ConsentAction.Permissions", None, grant),
             prop("TargetId.ServicePrincipalNames", None, p.app_id)]
    return record(rng, t, "Consent to application", "ApplicationManagement", "Assign",
                  initiated_by, [target(p.id, p.display_name, "ServicePrincipal", props)],
                  _ua(initiated_by))


def delegated_grant(rng: Rand, t: int, client: Principal, resource_sp: Principal,
                    scopes: list[str], initiated_by: dict[str, Any]) -> AuditRecord:
    props = [prop("DelegatedPermissionGrant.Scope", None, " " + " ".join(scopes)),
             prop("DelegatedPermissionGrant.ConsentType", None, "AllPrincipals"),
             prop("ServicePrincipal.ObjectID", None, client.id),
             prop("TargetId.ServicePrincipalNames", None, resource_sp.app_id)]
    return record(rng, t, "Add delegated permission grant", "ApplicationManagement", "Assign",
                  initiated_by, [target(resource_sp.id, resource_sp.display_name,
                                        "ServicePrincipal", props)], _ua(initiated_by))


def application_updated(rng: Rand, t: int, p: Principal, changes: list[tuple[str, Any, Any]],
                        initiated_by: dict[str, Any]) -> AuditRecord:
    """``Update application`` with the given (property, old, new) changes."""
    props = [prop(name, old, new) for name, old, new in changes]
    props.append(prop("Included Updated Properties", None, ", ".join(c[0] for c in changes)))
    return record(rng, t, "Update application", "ApplicationManagement", "Update", initiated_by,
                  [target(p.app_object_id or p.id, p.display_name, "Application", props)],
                  [*_ua(initiated_by), ("AppId", p.app_id)])


def service_principal_updated(rng: Rand, t: int, p: Principal, changes: list[tuple[str, Any, Any]],
                              initiated_by: dict[str, Any]) -> AuditRecord:
    props = [prop(name, old, new) for name, old, new in changes]
    props.append(prop("Included Updated Properties", None, ", ".join(c[0] for c in changes)))
    return record(rng, t, "Update service principal", "ApplicationManagement", "Update",
                  initiated_by, [target(p.id, p.display_name, "ServicePrincipal", props)],
                  [*_ua(initiated_by), ("AppId", p.app_id)])
