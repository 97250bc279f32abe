"""Entra directory roles, what each may do in Vigil, and how roles are read from token claims.

Roles carry Entra's names (``shared/spec/cli.md``). Entra's built-in role *template ids* are the
same in every tenant and are what an access token's ``wids`` claim lists; the ids below are those
of the Microsoft Entra built-in roles reference (``permissions-reference.md``).

Grants (issue 7): Security Reader and Global Reader read; Security Operator also confirms
compromised and dismisses; Security Administrator does everything, including disabling a service
principal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    security_reader = "Security Reader"
    global_reader = "Global Reader"
    security_operator = "Security Operator"
    security_administrator = "Security Administrator"


class Permission(StrEnum):
    read = "read"
    #: confirmCompromised and dismiss.
    act = "act"
    #: PATCH servicePrincipals (accountEnabled).
    disable = "disable"


GRANTS: Mapping[Role, frozenset[Permission]] = {
    Role.security_reader: frozenset({Permission.read}),
    Role.global_reader: frozenset({Permission.read}),
    Role.security_operator: frozenset({Permission.read, Permission.act}),
    Role.security_administrator: frozenset(Permission),
}

#: Entra built-in role template id (as in the ``wids`` claim) → role.
ROLE_TEMPLATE_IDS: Mapping[str, Role] = {
    "5d6b6bb7-de71-4623-b4af-96380a352509": Role.security_reader,
    "f2ef992c-3afb-46b9-b7cf-a126ee74c451": Role.global_reader,
    "5f2222b1-57c3-48ba-8ad5-d4759f1fde6f": Role.security_operator,
    "194ae4cb-b126-40b2-bd5b-6091b380977d": Role.security_administrator,
}

_NOT_ALNUM = re.compile(r"[^0-9a-z]")
_BY_KEY: Mapping[str, Role] = {_NOT_ALNUM.sub("", r.value.lower()): r for r in Role}


def role_from_name(text: str) -> Role | None:
    """The role an app-role name or value denotes, or None.

    Entra app roles have a display name ("Security Reader") and a value without spaces
    ("SecurityReader"); both are accepted, as are ``security-reader`` / ``Security.Reader`` forms:
    case, spaces and punctuation are ignored.
    """
    return _BY_KEY.get(_NOT_ALNUM.sub("", text.lower()))


def allows(roles: Iterable[Role], permission: Permission) -> bool:
    return any(permission in GRANTS[r] for r in roles)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def roles_from_claims(claims: Mapping[str, Any], roles_claim: str = "roles") -> frozenset[Role]:
    """Roles granted by a verified token's claims.

    ``roles_claim`` (default ``roles``: app roles assigned to the caller) holds names or values as
    accepted by :func:`role_from_name`; ``wids`` holds Entra role template ids. Unknown entries are
    ignored; a malformed claim grants nothing.
    """
    found = {role_from_name(v) for v in _strings(claims.get(roles_claim))}
    found |= {ROLE_TEMPLATE_IDS.get(v.lower()) for v in _strings(claims.get("wids"))}
    return frozenset(r for r in found if r is not None)
