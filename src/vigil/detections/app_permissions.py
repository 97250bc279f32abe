"""Permission grants in directory audit events, and which permissions are high-risk.

Where Entra logs a grant (``reference-audit-activities.md``, category ApplicationManagement; the
shapes of the public samples):

* ``Consent to application`` - target: the client service principal; ``ConsentAction.Permissions``
  holds ``... Scope: Mail.Read Files.ReadWrite.All, ...``;
* ``Add delegated permission grant`` - target: the *resource* service principal; the client is
  ``ServicePrincipal.ObjectID``, the scopes ``DelegatedPermissionGrant.Scope``;
* ``Add app role assignment to service principal`` - target: the resource; the client is
  ``ServicePrincipal.ObjectID``, the permission ``AppRole.Value`` (or ``AppRole.Id``).

High-risk: reading or sending mail, reading or writing files and sites, and writing the directory
(users, groups, applications, role assignments) - what consent-phishing apps ask for.
"""

from __future__ import annotations

import json
import re

from vigil.model import AuditEvent, AuditTarget

CONSENT = "Consent to application"
DELEGATED_GRANT = "Add delegated permission grant"
APP_ROLE_GRANT = "Add app role assignment to service principal"

#: Microsoft Graph application-permission ids of the high-risk roles (for grants logged by id).
GRAPH_ROLE_IDS = {
    "810c84a8-4a9e-49e6-bf7d-12d183f40d01": "Mail.Read",
    "e2a3a72e-5f79-4c64-b1b1-878b674786c9": "Mail.ReadWrite",
    "b633e1c5-b582-4048-a93e-9f11b44c7e96": "Mail.Send",
    "01d4889c-1287-42c6-ac1f-5d1e02578ef6": "Files.Read.All",
    "75359482-378d-4052-8f01-80520e7db3cd": "Files.ReadWrite.All",
    "332a536c-c7ef-4017-ab91-336970924f0d": "Sites.Read.All",
    "9492366f-7969-46a4-8d15-ed1a20078fff": "Sites.ReadWrite.All",
    "a82116e5-55eb-4c41-a434-62fe8a61c773": "Sites.FullControl.All",
    "19dbc75e-c2e2-444c-a770-ec69d8559fc7": "Directory.ReadWrite.All",
    "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8": "RoleManagement.ReadWrite.Directory",
    "06b708a9-e830-4db3-a914-8e69da51d44f": "AppRoleAssignment.ReadWrite.All",
    "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9": "Application.ReadWrite.All",
    "741f803b-c850-494e-b5df-cde7c675a1ca": "User.ReadWrite.All",
    "62a82d76-70ea-41e2-9197-370581804d09": "Group.ReadWrite.All",
}
_DATA_PREFIXES = ("mail.", "files.", "sites.", "notes.readwrite", "mailboxsettings.readwrite",
                  "full_access_as_app", "ews.accessasuser", "imap.accessasuser",
                  "pop.accessasuser", "smtp.send")
_DIRECTORY_WRITE = frozenset(v.lower() for v in (
    "Directory.ReadWrite.All", "RoleManagement.ReadWrite.Directory",
    "AppRoleAssignment.ReadWrite.All", "Application.ReadWrite.All", "User.ReadWrite.All",
    "Group.ReadWrite.All", "GroupMember.ReadWrite.All", "Domain.ReadWrite.All",
    "Directory.AccessAsUser.All",
))
_SCOPE = re.compile(r"Scope:\s*([^,\]]*)")


def risk_of(permission: str) -> str | None:
    """``directoryWrite``, ``data`` (mail / files) or None."""
    p = permission.strip().lower()
    if p in _DIRECTORY_WRITE:
        return "directoryWrite"
    if p.startswith(_DATA_PREFIXES):
        return "data"
    return None


def _text(value: str | None) -> str:
    if value is None:
        return ""
    try:
        decoded = json.loads(value)
    except ValueError:
        return value
    if isinstance(decoded, list):
        return " ".join(str(x) for x in decoded)
    return str(decoded)


def _prop(target: AuditTarget, name: str) -> str:
    for p in target.modified_properties:
        if p.display_name == name:
            return _text(p.new_value).strip()
    return ""


def grants(event: AuditEvent) -> list[tuple[str, str]]:
    """``(client service principal id, permission)`` pairs the event granted (successful only)."""
    if event.result not in (None, "success") or not event.targets:
        return []
    name = event.activity_display_name.strip()
    target = event.targets[0]
    if name == CONSENT and target.id:
        raw = _prop(target, "ConsentAction.Permissions")
        scopes = [s for m in _SCOPE.finditer(raw) for s in m.group(1).split()]
        return [(target.id.lower(), s) for s in scopes]
    if name == DELEGATED_GRANT:
        client = _prop(target, "ServicePrincipal.ObjectID")
        scopes = _prop(target, "DelegatedPermissionGrant.Scope").split()
        return [(client.lower(), s) for s in scopes] if client else []
    if name == APP_ROLE_GRANT:
        client = _prop(target, "ServicePrincipal.ObjectID")
        role = _prop(target, "AppRole.Value")
        role = role or GRAPH_ROLE_IDS.get(_prop(target, "AppRole.Id").lower(), "")
        return [(client.lower(), role)] if client and role else []
    return []
