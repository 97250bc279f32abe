"""What a directory audit record does, for ``anomalousServicePrincipalActivity``.

:func:`operation` names the operation (the folded activity name). :func:`findings` applies the
rules for dangerous operations and names the objects each one changed:

=======================  ======  ===============================================================
kind                     level   when
=======================  ======  ===============================================================
``credentialAdded``      high    a secret, certificate or federated credential added to *another*
                                 application or service principal (``Update application –
                                 Certificates and secrets management``, ``Add service principal
                                 credentials``, ``Update application`` with a grown
                                 ``KeyCredentials`` / ``PasswordCredentials`` /
                                 ``FederatedIdentityCredentials``)
``ownerAdded``           medium ``Add owner to application`` / ``Add owner to service principal``
``privilegedAppRole``    high    ``Add app role assignment to service principal`` of one of
                                 :data:`PRIVILEGED_APP_ROLES` (by value or published id)
``directoryRoleMember``  high    ``Add member to role`` (also eligible / scoped) of one of
                         medium  :data:`PRIVILEGED_DIRECTORY_ROLES`; medium for other roles
``consent``              medium  ``Consent to application`` / ``Add delegated permission grant``;
                         high    high when the permissions include a privileged one
=======================  ======  ===============================================================

Each finding names its ``target``: what the operation was done *to*, so that a detector can tell
an actor doing it again to the same object from doing it to a new one (:data:`TARGETS` says what
that is per kind). An object is named by appId when the record gives one (an application and its
service principal are one workload), else by object id, else by display name.
"""

from __future__ import annotations

from dataclasses import dataclass

from vigil.detections.audit_fields import (
    added_key_ids,
    app_id_of,
    list_grew,
    prop_text,
)
from vigil.model import AuditEvent, AuditTarget
from vigil.normalize.audit import activity_key

#: Microsoft Graph application permissions that amount to control of the tenant ("tier 0").
PRIVILEGED_APP_ROLES: dict[str, str] = {
    "RoleManagement.ReadWrite.Directory": "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8",
    "AppRoleAssignment.ReadWrite.All": "06b708a9-e830-4db3-a914-8e69da51d44f",
    "Application.ReadWrite.All": "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9",
    "Directory.ReadWrite.All": "19dbc75e-c2e2-444c-a770-ec69d8559fc7",
    "Application.ReadWrite.OwnedBy": "18a4783c-866b-4cc7-a460-3d5e5662c884",
    "Domain.ReadWrite.All": "7e05723c-0bb0-42da-be95-ae9f08a6e53c",
    "Group.ReadWrite.All": "62a82d76-70ea-41e2-9197-370581804d09",
    "GroupMember.ReadWrite.All": "dbaae8cf-10b5-4b86-a4a1-f871c94c6695",
    "User.ReadWrite.All": "741f803b-c850-494e-b5df-cde7c675a1ca",
    "UserAuthenticationMethod.ReadWrite.All": "50483e42-d915-4231-9639-7fdb7fd190e5",
    "Policy.ReadWrite.ConditionalAccess": "01c0a623-fc9b-48e9-b794-0756f8e8f067",
    "Policy.ReadWrite.PermissionGrant": "a402ca1c-2696-4531-972d-6e5ee4aa11ea",
    "RoleAssignmentSchedule.ReadWrite.Directory": "dd199f4a-f148-40a4-a2ec-f0069cc799ec",
    "RoleEligibilitySchedule.ReadWrite.Directory": "fee28b28-e1f3-4841-818e-2704dc62245f",
    "PrivilegedAccess.ReadWrite.AzureADGroup": "2f6817f8-7b12-4f0f-bc18-eeaf60705a9e",
    "Mail.ReadWrite": "e2a3a72e-5f79-4c64-b1b1-878b674786c9",
    "Files.ReadWrite.All": "75359482-378d-4052-8f01-80520e7db3cd",
    "Sites.FullControl.All": "a82116e5-55eb-4c41-a434-62fe8a61c773",
    "full_access_as_app": "dc890d15-9560-4a4c-9b7f-a736ec74ec40",
}
_PRIVILEGED_ROLE_IDS = {v: k for k, v in PRIVILEGED_APP_ROLES.items()}

#: Directory roles whose holders can take over the tenant or its applications (template ids).
PRIVILEGED_DIRECTORY_ROLES: dict[str, str] = {
    "Global Administrator": "62e90394-69f5-4237-9190-012177145e10",
    "Privileged Role Administrator": "e8611ab8-c189-46e8-94e1-60213ab1f814",
    "Privileged Authentication Administrator": "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",
    "Application Administrator": "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
    "Cloud Application Administrator": "158c047a-c907-4556-b7ef-446551a6b5f7",
    "Security Administrator": "194ae4cb-b126-40b2-bd5b-6091b380977d",
    "User Administrator": "fe930be7-5e62-47db-91af-98c3a49a38b1",
    "Hybrid Identity Administrator": "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2",
    "Authentication Administrator": "c4e39bd9-1100-46d3-8c65-fb160da0071f",
    "Conditional Access Administrator": "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9",
}
_PRIVILEGED_TEMPLATES = {v: k for k, v in PRIVILEGED_DIRECTORY_ROLES.items()}

_CREDENTIALS = {activity_key(a) for a in (
    "Update application - Certificates and secrets management",
    "Add service principal credentials")}
_UPDATES = {activity_key(a) for a in ("Update application", "Update service principal")}
_OWNERS = {activity_key(a) for a in ("Add owner to application", "Add owner to service principal")}
_APP_ROLE = activity_key("Add app role assignment to service principal")
_ROLE_MEMBER = {activity_key(a) for a in (
    "Add member to role", "Add eligible member to role", "Add scoped member to role")}
_CONSENT = {activity_key(a) for a in ("Consent to application", "Add delegated permission grant")}
_CREDENTIAL_PROPS = ("KeyCredentials", "PasswordCredentials", "FederatedIdentityCredentials")


#: Per kind: what a finding's ``target`` is (for explanations), and the noun for one, several.
TARGETS: dict[str, tuple[str, str, str]] = {
    "credentialAdded": ("this object", "object", "objects"),
    "ownerAdded": ("this object", "object", "objects"),
    "privilegedAppRole": ("this role and principal", "role grant", "role grants"),
    "directoryRoleMember": ("this role and member", "role assignment", "role assignments"),
    "consent": ("this application and these permissions", "consent", "consents"),
}


@dataclass(frozen=True, slots=True)
class Changed:
    """An object an operation changed: a service principal (``sp_id``) or an application."""

    sp_id: str | None
    app_id: str | None
    name: str | None
    #: The object id of a target that is not a service principal (an application, say).
    object_id: str | None = None

    @property
    def ident(self) -> str:
        """``app:<appId>``, else ``sp:<object id>``, else ``obj:<object id>``, else
        ``name:<display name>`` (names are not unique: two apps may share one)."""
        if self.app_id:
            return f"app:{self.app_id}"
        if self.sp_id:
            return f"sp:{self.sp_id}"
        return f"obj:{self.object_id}" if self.object_id else f"name:{self.name or '?'}"


@dataclass(frozen=True, slots=True)
class Finding:
    """A dangerous operation: its ``kind`` (see the module table), ``level``, explanation, the
    objects it changed, the credentials it added and its ``target`` (see :data:`TARGETS`)."""

    kind: str
    level: str
    text: str
    changed: tuple[Changed, ...] = ()
    key_ids: tuple[str, ...] = ()
    target: str = ""


def operation(event: AuditEvent) -> str:
    return activity_key(event.activity_display_name)


def _changed(event: AuditEvent, t: AuditTarget) -> Changed:
    is_sp = (t.type or "").casefold() == "serviceprincipal"
    sp = t.id.lower() if t.id and is_sp else None
    other = t.id.lower() if t.id and not is_sp else None
    return Changed(sp, app_id_of(event, t), t.display_name, other)


def _is_actor(c: Changed, actor_sp: str, actor_app: str | None) -> bool:
    return c.sp_id == actor_sp or (c.app_id is not None and c.app_id == actor_app)


def _credentials(event: AuditEvent, op: str, actor_sp: str, actor_app: str | None) -> list[Finding]:
    out = []
    for t in event.targets:
        added = sorted(added_key_ids(t))
        grew = op in _UPDATES and any(list_grew(t, p) for p in _CREDENTIAL_PROPS)
        if not (added or grew or (op in _CREDENTIALS and "add" in op)):
            continue
        c = _changed(event, t)
        if _is_actor(c, actor_sp, actor_app):
            continue
        what = ", ".join(added) if added else "a credential"
        out.append(Finding("credentialAdded", "high",
                           f"added credential {what} to {c.name or c.sp_id or c.app_id}",
                           (c,), tuple(added), c.ident))
    return out


def _owned(event: AuditEvent, op: str) -> tuple[str | None, Changed | None]:
    new_owner = event.targets[0].display_name or event.targets[0].id if event.targets else None
    for t in event.targets:
        sp = prop_text(t, "ServicePrincipal.ObjectID")
        app = prop_text(t, "Application.AppId") or prop_text(t, "ServicePrincipal.AppId")
        name = prop_text(t, "ServicePrincipal.DisplayName") or prop_text(t, "Application.DisplayName")
        if sp or app:
            return new_owner, Changed(sp.lower() if sp else None, app.lower() if app else None, name)
    if len(event.targets) > 1:
        return new_owner, _changed(event, event.targets[1])
    return new_owner, None


def findings(event: AuditEvent, actor_sp: str, actor_app: str | None) -> list[Finding]:
    """The dangerous operations ``event`` (done by ``actor_sp``) performs; see the module table."""
    if (event.result or "success").casefold() != "success":
        return []
    op = operation(event)
    if op in _CREDENTIALS or op in _UPDATES:
        return _credentials(event, op, actor_sp, actor_app)
    if op in _OWNERS:
        owner, owned = _owned(event, op)
        if owned is None:
            return []
        # per (object, new owner): an actor that once added owner A to X is not thereby allowed
        # to add B
        first = event.targets[0]
        new_owner = first.id.lower() if first.id else owner
        return [Finding("ownerAdded", "medium",
                        f"added owner {owner} to {owned.name or owned.sp_id or owned.app_id}",
                        (owned,), target=f"{owned.ident}>{new_owner}")]
    if op == _APP_ROLE:
        for t in event.targets:
            value = prop_text(t, "AppRole.Value")
            role_id = (prop_text(t, "AppRole.Id") or "").lower()
            role = value if value in PRIVILEGED_APP_ROLES else _PRIVILEGED_ROLE_IDS.get(role_id)
            if role is None:
                continue
            client = prop_text(t, "ServicePrincipal.ObjectID")
            client_app = prop_text(t, "ServicePrincipal.AppId")
            name = prop_text(t, "ServicePrincipal.DisplayName")
            c = Changed(client.lower() if client else None,
                        client_app.lower() if client_app else None, name)
            return [Finding("privilegedAppRole", "high",
                            f"granted {role} on {t.display_name or 'a resource'} to "
                            f"{name or client or client_app}", (c,), target=f"{role}>{c.ident}")]
        return []
    if op in _ROLE_MEMBER:
        for t in event.targets:
            role = prop_text(t, "Role.DisplayName")
            template = (prop_text(t, "Role.TemplateId") or "").lower()
            if role is None and not template:
                continue
            privileged = role in PRIVILEGED_DIRECTORY_ROLES or template in _PRIVILEGED_TEMPLATES
            role = role or _PRIVILEGED_TEMPLATES.get(template, template)
            member = _changed(event, t)
            who = (t.id or "").lower() or f"name:{t.display_name or '?'}"
            return [Finding("directoryRoleMember", "high" if privileged else "medium",
                            f"added {t.display_name or t.id} to directory role {role}",
                            (member,) if member.sp_id else (), target=f"{role}>{who}")]
        return []
    if op in _CONSENT:
        perms = " ".join(filter(None, (
            prop_text(t, p) for t in event.targets
            for p in ("ConsentAction.Permissions", "DelegatedPermissionGrant.Scope"))))
        privileged = sorted(r for r in PRIVILEGED_APP_ROLES if r in perms)
        out = []
        for t in event.targets[:1]:
            client = prop_text(t, "ServicePrincipal.ObjectID") or (
                t.id if (t.type or "").casefold() == "serviceprincipal" else None)
            c = Changed(client.lower() if client else None, None, t.display_name)
            extra = f" including {', '.join(privileged)}" if privileged else ""
            out.append(Finding("consent", "high" if privileged else "medium",
                               f"consented permissions{extra} for {t.display_name or client}",
                               (c,), target=f"{c.ident}>{','.join(privileged)}"))
        return out
    return []
