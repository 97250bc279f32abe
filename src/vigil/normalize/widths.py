"""The widths of the store's fixed-width columns, checked where records are normalized.

A value longer than its ``varchar(n)`` column is an error on PostgreSQL (it would abort the whole
transaction, and so the run) while SQLite stores it, so the limit is checked here, the same for
every database: :func:`too_long` names the first value of a normalized record that would not fit,
and :func:`vigil.normalize.normalize` rejects that record ("``servicePrincipalCredentialKeyId``:
longer than 36 characters"); the others are stored. The widths mirror
``vigil.store.tables`` (a test keeps them equal); enum-valued columns are left out, their values
are the model's. Labels are Graph's field names, as in the int-range check beside it.

A NUL character (U+0000) is the same kind of value: PostgreSQL's text columns refuse it (the whole
transaction aborts, every time the input is read again) while SQLite stores it, so
:func:`holds_nul` names the first string of a normalized record that holds one and the record is
rejected ("``user_agent``: holds a NUL character"), on every database.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from typing import Any

import msgspec

from vigil.model import Application, AuditEvent, GraphActivity, ServicePrincipal, SignIn

#: ``vigil.store.tables.ID`` and ``GUID``; an IP address column's width.
ID, GUID, IP = 64, 36, 45

#: Model type → ``(attribute, width, label)`` for its top-level values stored in fixed-width
#: columns (nested ones are checked in :func:`too_long`).
WIDTHS: dict[type, tuple[tuple[str, int, str], ...]] = {
    SignIn: (
        ("id", ID, "id"),
        ("service_principal_id", ID, "servicePrincipalId"),
        ("app_id", ID, "appId"),
        ("ip_address", IP, "ipAddress"),
        ("resource_id", ID, "resourceId"),
        ("credential_key_id", GUID, "servicePrincipalCredentialKeyId"),
        ("correlation_id", ID, "correlationId"),
    ),
    GraphActivity: (
        ("id", ID, "requestId"),
        ("service_principal_id", ID, "servicePrincipalId"),
        ("request_method", 16, "requestMethod"),
        ("ip_address", IP, "ipAddress"),
    ),
    AuditEvent: (
        ("id", ID, "id"),
        ("category", 64, "category"),
        ("result", 32, "result"),
        ("correlation_id", ID, "correlationId"),
    ),
    ServicePrincipal: (
        ("id", ID, "id"),
        ("app_id", ID, "appId"),
        ("app_owner_organization_id", GUID, "appOwnerOrganizationId"),
        ("disabled_by_microsoft_status", 128, "disabledByMicrosoftStatus"),
    ),
    Application: (
        ("id", ID, "id"),
        ("app_id", ID, "appId"),
        ("disabled_by_microsoft_status", 128, "disabledByMicrosoftStatus"),
    ),
}
#: ``sign_ins.country`` (from ``location.countryOrRegion``).
COUNTRY = 8
#: ``audit_events.initiator_*_id``, ``audit_targets.target_id`` and ``target_type``.
AUDIT_ID, AUDIT_TARGET_TYPE = ID, 64


def too_long(record: Any) -> tuple[str, int] | None:
    """``(label, width)`` of the first value of a model object longer than its column, else
    None."""
    kind = type(record)
    if kind is SignIn:
        return sign_in_too_long(record)
    spec = WIDTHS.get(kind)
    if spec is None:
        return None
    found = _first_too_long(record, spec)
    if found is None and kind is AuditEvent:
        return _audit_too_long(record)
    return found


def sign_in_too_long(signin: Any) -> tuple[str, int] | None:
    """:func:`too_long` for a :class:`SignIn`: one expression for the common case that all fit
    (the bulk path's list of values has its own, ``vigil.normalize.graph_signin_wire._fits``)."""
    s = signin
    loc = s.location
    if (
        len(s.id) <= ID
        and len(s.service_principal_id) <= ID
        and len(s.credential_key_id or "") <= GUID
        and len(s.ip_address or "") <= IP
        and len(s.app_id or "") <= ID
        and len(s.resource_id or "") <= ID
        and len(s.correlation_id or "") <= ID
        and (loc is None or len(loc.country_or_region or "") <= COUNTRY)
    ):
        return None
    found = _first_too_long(signin, _SIGN_IN)
    if found is None and signin.location is not None:
        country = signin.location.country_or_region
        if country is not None and len(country) > COUNTRY:
            return "location.countryOrRegion", COUNTRY
    return found


_SIGN_IN = WIDTHS[SignIn]


def _first_too_long(record: Any, spec: tuple[tuple[str, int, str], ...]) -> tuple[str, int] | None:
    for name, width, label in spec:
        value = getattr(record, name)
        if value is not None and len(value) > width:
            return label, width
    return None


def _audit_too_long(event: AuditEvent) -> tuple[str, int] | None:
    ini = event.initiated_by
    if ini is not None:
        if ini.kind == "user" and ini.id is not None and len(ini.id) > AUDIT_ID:
            return "initiatedBy.user.id", AUDIT_ID
        sp = event.actor_service_principal_id
        if sp is not None and len(sp) > AUDIT_ID:
            return "initiatedBy.app.servicePrincipalId", AUDIT_ID
    for i, target in enumerate(event.targets):
        if target.id is not None and len(target.id) > AUDIT_ID:
            return f"targetResources[{i}].id", AUDIT_ID
        if target.type is not None and len(target.type) > AUDIT_TARGET_TYPE:
            return f"targetResources[{i}].type", AUDIT_TARGET_TYPE
    return None


#: How JSON writes a NUL character (it has no other spelling: raw control characters are invalid).
NUL_ESCAPE = b"\\u0000"
_encode = msgspec.json.Encoder().encode


def holds_nul(record: Any) -> str | None:
    """The attribute path (``user_agent``, ``targets[0].display_name``) of the first string of a
    normalized record that holds a NUL character, else None (see the module docstring)."""
    encoded = _encode(record)
    # the common case: one encode and a byte search (memchr; the escape's own search is slower)
    if b"\\" not in encoded or NUL_ESCAPE not in encoded:
        return None
    return _nul_path(record, "")


def _nul_path(value: Any, path: str) -> str | None:
    if isinstance(value, str):
        return (path or "value") if "\x00" in value else None
    if is_dataclass(value) and not isinstance(value, type):
        for f in fields(value):
            found = _nul_path(getattr(value, f.name), f"{path}.{f.name}" if path else f.name)
            if found is not None:
                return found
    elif isinstance(value, dict):
        for k, v in value.items():
            found = _nul_path(k, path) or _nul_path(v, f"{path}.{k}" if path else str(k))
            if found is not None:
                return found
    elif isinstance(value, (list, tuple, set, frozenset)):
        for i, v in enumerate(value):
            found = _nul_path(v, f"{path}[{i}]")
            if found is not None:
                return found
    return None
