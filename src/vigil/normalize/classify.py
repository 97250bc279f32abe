"""Recognise a raw record's kind and shape, so that files mixing shapes and kinds just work.

``classify(data, shape_hint) -> (kind, shape)``, ``(None, None)`` when unrecognised. Kinds:
``signins``, ``audit``, ``graphactivity``, ``directory``. Shapes (see :data:`SHAPE_KINDS`) name
the wire format: ``graph.*`` (Graph JSON), ``la.<Table>`` (Log Analytics rows, PascalCase),
``diagnostic.<Category>`` (diagnostic-settings envelopes), ``properties.MicrosoftGraphActivityLogs``
(camelCase Graph activity without its envelope), ``powershell.*`` (Graph objects saved by the
Microsoft Graph PowerShell SDK with ``ConvertTo-Json``: PascalCase, :mod:`vigil.normalize.powershell`).

Evidence, strongest first:

1. ``shape_hint`` from the reader: ``graph:<entity set>`` (a Graph page's ``@odata.context``,
   e.g. ``graph:auditLogs/signIns``) fixes the Graph shape; so does a single object's own
   ``@odata.context`` (``...#servicePrincipals(id,appId)/$entity``, as a ``$select`` query or a
   ``GET`` of one entity returns it).
2. A diagnostic envelope: ``properties`` object + known ``category``.
3. A Log Analytics ``Type`` column naming a known table (hunting exports sometimes overwrite
   ``Type`` with something else; that is then ignored).
4. A PowerShell SDK object (``Id``, and :func:`vigil.normalize.powershell.is_powershell`: its
   ``AdditionalProperties``, else nested PascalCase objects and no Log Analytics-only column);
   which resource it is comes from its keys read under Graph's names, as for Graph JSON.
5. ``@odata.type`` (``#microsoft.graph.signIn``...).
6. Characteristic keys (camelCase for Graph, PascalCase for Log Analytics).
"""

from __future__ import annotations

import functools
from typing import Any

from vigil.normalize.powershell import is_powershell, top_level_view

SIGNINS, AUDIT, GRAPHACTIVITY, DIRECTORY = "signins", "audit", "graphactivity", "directory"
KINDS = (SIGNINS, AUDIT, GRAPHACTIVITY, DIRECTORY)

GRAPH_SIGNIN = "graph.signIn"
GRAPH_AUDIT = "graph.directoryAudit"
GRAPH_SERVICE_PRINCIPAL = "graph.servicePrincipal"
GRAPH_APPLICATION = "graph.application"
LA_SP_SIGNIN = "la.AADServicePrincipalSignInLogs"
LA_MI_SIGNIN = "la.AADManagedIdentitySignInLogs"
LA_AUDIT = "la.AuditLogs"
LA_GRAPH_ACTIVITY = "la.MicrosoftGraphActivityLogs"
DIAG_SP_SIGNIN = "diagnostic.ServicePrincipalSignInLogs"
DIAG_MI_SIGNIN = "diagnostic.ManagedIdentitySignInLogs"
DIAG_AUDIT = "diagnostic.AuditLogs"
DIAG_GRAPH_ACTIVITY = "diagnostic.MicrosoftGraphActivityLogs"
PROPS_GRAPH_ACTIVITY = "properties.MicrosoftGraphActivityLogs"
PS_SIGNIN = "powershell.signIn"
PS_AUDIT = "powershell.directoryAudit"
PS_SERVICE_PRINCIPAL = "powershell.servicePrincipal"
PS_APPLICATION = "powershell.application"

#: Every shape and its kind.
SHAPE_KINDS: dict[str, str] = {
    GRAPH_SIGNIN: SIGNINS,
    GRAPH_AUDIT: AUDIT,
    GRAPH_SERVICE_PRINCIPAL: DIRECTORY,
    GRAPH_APPLICATION: DIRECTORY,
    LA_SP_SIGNIN: SIGNINS,
    LA_MI_SIGNIN: SIGNINS,
    LA_AUDIT: AUDIT,
    LA_GRAPH_ACTIVITY: GRAPHACTIVITY,
    DIAG_SP_SIGNIN: SIGNINS,
    DIAG_MI_SIGNIN: SIGNINS,
    DIAG_AUDIT: AUDIT,
    DIAG_GRAPH_ACTIVITY: GRAPHACTIVITY,
    PROPS_GRAPH_ACTIVITY: GRAPHACTIVITY,
    PS_SIGNIN: SIGNINS,
    PS_AUDIT: AUDIT,
    PS_SERVICE_PRINCIPAL: DIRECTORY,
    PS_APPLICATION: DIRECTORY,
}

#: The Graph shape of a resource → the shape of the same resource saved by PowerShell.
POWERSHELL_SHAPES: dict[str, str] = {
    GRAPH_SIGNIN: PS_SIGNIN,
    GRAPH_AUDIT: PS_AUDIT,
    GRAPH_SERVICE_PRINCIPAL: PS_SERVICE_PRINCIPAL,
    GRAPH_APPLICATION: PS_APPLICATION,
}

_GRAPH_ENTITY_SETS = {
    "auditlogs/signins": GRAPH_SIGNIN,
    "auditlogs/directoryaudits": GRAPH_AUDIT,
    "serviceprincipals": GRAPH_SERVICE_PRINCIPAL,
    "applications": GRAPH_APPLICATION,
}
_ODATA_TYPES = {
    "#microsoft.graph.signIn": GRAPH_SIGNIN,
    "#microsoft.graph.directoryAudit": GRAPH_AUDIT,
    "#microsoft.graph.servicePrincipal": GRAPH_SERVICE_PRINCIPAL,
    "#microsoft.graph.application": GRAPH_APPLICATION,
}
_DIAG_CATEGORIES = {
    "ServicePrincipalSignInLogs": DIAG_SP_SIGNIN,
    "ManagedIdentitySignInLogs": DIAG_MI_SIGNIN,
    "AuditLogs": DIAG_AUDIT,
    "MicrosoftGraphActivityLogs": DIAG_GRAPH_ACTIVITY,
}
_LA_TABLES = {
    "AADServicePrincipalSignInLogs": LA_SP_SIGNIN,
    "AADManagedIdentitySignInLogs": LA_MI_SIGNIN,
    "AuditLogs": LA_AUDIT,
    "MicrosoftGraphActivityLogs": LA_GRAPH_ACTIVITY,
}
_SP_KEYS = ("servicePrincipalType", "appOwnerOrganizationId", "servicePrincipalNames")
_APP_KEYS = ("requiredResourceAccess", "publisherDomain", "identifierUris")
_UNKNOWN: tuple[None, None] = (None, None)


def classify(data: Any, shape_hint: str | None = None) -> tuple[str | None, str | None]:
    """``(kind, shape)`` of one raw record, ``(None, None)`` when it is not one Vigil reads."""
    if type(data) is not dict:
        return _UNKNOWN
    shape = _classify(data, shape_hint)
    return (SHAPE_KINDS[shape], shape) if shape is not None else _UNKNOWN


@functools.lru_cache(maxsize=1024)  # asked for each item of a page, with the page's hint
def hinted_shape(hint: str | None) -> str | None:
    """The shape a reader's ``shape_hint`` fixes (a Graph page of a known entity set), else None:
    the record's own evidence decides."""
    if hint is not None and hint.startswith("graph:"):
        return _GRAPH_ENTITY_SETS.get(_entity_set(hint[6:]))
    return None


def _classify(d: dict[str, Any], hint: str | None) -> str | None:
    shape = hinted_shape(hint)
    if shape is not None:
        return shape
    context = d.get("@odata.context")
    if type(context) is str and "#" in context:
        shape = _GRAPH_ENTITY_SETS.get(_entity_set(context.split("#", 1)[1]))
        if shape is not None:
            return shape
    if "createdDateTime" in d and "servicePrincipalId" in d:
        return GRAPH_SIGNIN
    category = d.get("category")
    if type(category) is str and category in _DIAG_CATEGORIES and type(d.get("properties")) is dict:
        return _DIAG_CATEGORIES[category]
    table = d.get("Type")
    if type(table) is str and table in _LA_TABLES:
        return _LA_TABLES[table]
    if "Id" in d and is_powershell(d):  # every SDK object has Id; Graph's has id
        graph_shape = _classify(top_level_view(d), None)
        return POWERSHELL_SHAPES.get(graph_shape) if graph_shape is not None else None
    odata = d.get("@odata.type")
    if type(odata) is str and odata in _ODATA_TYPES:
        return _ODATA_TYPES[odata]
    return _by_keys(d)


def _by_keys(d: dict[str, Any]) -> str | None:
    if "signInEventTypes" in d:
        return GRAPH_SIGNIN
    if "activityDisplayName" in d or "activityDateTime" in d:
        return GRAPH_AUDIT
    if "requestUri" in d and "requestMethod" in d:
        return PROPS_GRAPH_ACTIVITY
    if "RequestUri" in d and "RequestMethod" in d:
        return LA_GRAPH_ACTIVITY
    if "ServicePrincipalId" in d and ("ResultType" in d or "ServicePrincipalName" in d):
        if "ManagedServiceIdentity" in d or "SourceAppClientId" in d:
            return LA_MI_SIGNIN
        return LA_SP_SIGNIN
    if "ActivityDisplayName" in d or ("InitiatedBy" in d and "TargetResources" in d):
        return LA_AUDIT
    if any(key in d for key in _SP_KEYS):
        return GRAPH_SERVICE_PRINCIPAL
    if any(key in d for key in _APP_KEYS):
        return GRAPH_APPLICATION
    if "appId" in d and ("web" in d or "api" in d):
        return GRAPH_APPLICATION
    return None


def _entity_set(context_tail: str) -> str:
    """``servicePrincipals(id,appId)/$entity`` → ``serviceprincipals``."""
    name = context_tail.split("(", 1)[0].split("/$", 1)[0]
    return name.strip("/").lower()
