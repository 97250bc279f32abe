"""Reading Microsoft Graph requests (``MicrosoftGraphActivityLogs``) for ``suspiciousAPITraffic``.

:func:`endpoint` turns a request URI into an :class:`Endpoint`: the path template with ids replaced
by ``{id}`` (``/users/{id}/memberOf``), the directory collection it lists if any, and whether it is
sensitive; :func:`pages` tells a next-page request (``$skiptoken`` / ``$skip``). An id is a path
segment that is a GUID or a number, contains one of ``@ , { = :``, has three or more digits, or
looks random (12+ characters, at least four and 20 % capitals); a function segment keeps its name
(``getOffice365ActiveUserDetail()``).

Directory collections (breadth of enumeration): :data:`DIRECTORY`. Sensitive endpoints (first use
counts): :data:`SENSITIVE_PREFIXES` and paths with ``/authentication/``. Privileged listings (who
holds roles, consents and policies; the learning-period enumeration rule needs one):
:data:`PRIVILEGED_PREFIXES`.

Reconnaissance tools (:data:`RECON_TOOLS`, matched case-insensitively in the user agent): AzureHound
and BloodHound (SpecterOps), ROADtools (``roadrecon``, ``roadtx``, ``roadlib``), GraphRunner,
TokenTactics, MicroBurst, PowerZure, Stormspotter, AADInternals, GraphSpy, o365recon,
TeamFiltration, Graphpython, MSGraphRecon / GraphPython-style forks named after them. A tool that
keeps a default library user agent (``python-requests``) is not recognised by this rule; the
enumeration and error-rate rules still see it.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from functools import lru_cache

#: First path segments whose listing is directory enumeration.
DIRECTORY = frozenset({
    "users", "groups", "servicePrincipals", "applications", "directoryRoles", "roleManagement",
    "devices", "domains", "organization", "administrativeUnits", "contacts", "directoryObjects",
    "oauth2PermissionGrants", "policies", "identity", "directory", "directoryRoleTemplates",
    "groupSettings", "subscribedSkus",
})
SENSITIVE_PREFIXES = (
    "/roleManagement", "/directoryRoles", "/identity/conditionalAccess", "/policies", "/auditLogs",
    "/security", "/identityProtection", "/privilegedAccess", "/oauth2PermissionGrants",
    "/applications/{id}/addPassword", "/applications/{id}/addKey",
    "/servicePrincipals/{id}/addPassword", "/servicePrincipals/{id}/addKey",
    "/servicePrincipals/{id}/appRoleAssignedTo", "/servicePrincipals/{id}/appRoleAssignments",
    "/domains/{id}/federationConfiguration",
)
#: Listings of roles, role assignments, consent grants and policies.
PRIVILEGED_PREFIXES = (
    "/directoryRoles", "/roleManagement", "/oauth2PermissionGrants", "/policies",
    "/identity/conditionalAccess", "/servicePrincipals/{id}/appRoleAssignments",
    "/servicePrincipals/{id}/appRoleAssignedTo",
)
RECON_TOOLS: dict[str, str] = {
    "azurehound": "AzureHound",
    "bloodhound": "BloodHound",
    "roadrecon": "ROADtools",
    "roadtools": "ROADtools",
    "roadtx": "ROADtools",
    "roadlib": "ROADtools",
    "graphrunner": "GraphRunner",
    "tokentactics": "TokenTactics",
    "microburst": "MicroBurst",
    "powerzure": "PowerZure",
    "stormspotter": "Stormspotter",
    "aadinternals": "AADInternals",
    "graphspy": "GraphSpy",
    "o365recon": "o365recon",
    "teamfiltration": "TeamFiltration",
    "graphpython": "Graphpython",
}
_HOST = re.compile(r"^[a-z]+://[^/]+", re.IGNORECASE)
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


@dataclass(frozen=True, slots=True)
class Endpoint:
    template: str
    #: The directory collection this request lists (None for item reads and non-directory calls).
    lists: str | None
    sensitive: bool
    #: A listing of roles, role assignments, consent grants or policies (:data:`PRIVILEGED_PREFIXES`).
    privileged: bool
    #: CRC-32 of the template: what a baseline keeps of the endpoints it has seen.
    key: int


def _is_id(seg: str) -> bool:
    if not seg:
        return True
    if seg.isalpha():  # a word, or an id made of letters only
        if len(seg) < 12:
            return False
        caps = sum(1 for c in seg if c.isupper())
        return caps >= 4 and caps * 5 >= len(seg)
    if seg.isdigit() or _GUID.match(seg) or any(c in seg for c in "@,{=:"):
        return True
    return len(seg) >= 8 and sum(1 for c in seg if c.isdigit()) >= 3


@lru_cache(maxsize=16_384)
def _template(path: str, method: str) -> Endpoint:
    segs = [s for s in path.split("/") if s]
    if segs and segs[0] in ("v1.0", "beta"):
        segs = segs[1:]
    out: list[str] = []
    for seg in segs:
        if "(" in seg:
            name = seg.split("(", 1)[0]
            out.append(name + "()" if name else "{id}")
        elif _is_id(seg):
            out.append("{id}")
        else:
            out.append(seg)
    template = "/" + "/".join(out)
    lists = None
    if method == "GET" and out and out[0] in DIRECTORY and out[-1] != "{id}":
        lists = out[0]
    sensitive = template.startswith(SENSITIVE_PREFIXES) or "/authentication/" in template + "/"
    privileged = lists is not None and template.startswith(PRIVILEGED_PREFIXES)
    return Endpoint(template, lists, sensitive, privileged, zlib.crc32(template.encode()))


@lru_cache(maxsize=65_536)
def endpoint(uri: str, method: str = "GET") -> Endpoint:
    """The endpoint a request URI calls (see the module docstring)."""
    path = uri.split("?", 1)[0].split("#", 1)[0]
    if "://" in path:
        path = _HOST.sub("", path)
    return _template(path, method.upper())


def pages(uri: str) -> bool:
    """True when the request asks for a next page (``$skiptoken`` or ``$skip``)."""
    return "$skip" in uri or "%24skip" in uri


@lru_cache(maxsize=4096)
def recon_tool(user_agent: str | None) -> str | None:
    """The reconnaissance tool a user agent names, or None."""
    if not user_agent:
        return None
    folded = user_agent.casefold()
    return next((name for key, name in RECON_TOOLS.items() if key in folded), None)
