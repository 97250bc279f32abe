"""Reading the parts of a ``directoryAudit`` the behavioural detectors need.

``modifiedProperties`` values are JSON text in Entra's logs (``"\\"a70a...\\""``, ``"[\\"...\\"]"``);
:func:`prop_text` decodes them. Activity names are compared through
``vigil.normalize.audit.activity_key`` (en dash and trailing space folded).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import orjson

from vigil.model import AuditEvent, AuditTarget

_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_KEY_ID = re.compile(r"KeyIdentifier=([0-9a-fA-F-]{36})")


def _decode(text: str | None) -> object:
    if text is None:
        return None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return text


def prop_raw(target: AuditTarget, name: str, new: bool = True) -> str | None:
    """The raw (JSON text) new or old value of the modified property ``name`` of ``target``."""
    for p in target.modified_properties:
        if p.display_name == name:
            return p.new_value if new else p.old_value
    return None


def prop_text(target: AuditTarget, name: str, new: bool = True) -> str | None:
    """A modified property's value as plain text (first item of a list; None when absent)."""
    value = _decode(prop_raw(target, name, new))
    if isinstance(value, list):
        value = next((v for v in value if v not in (None, "")), None)
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)


def prop_names(target: AuditTarget) -> set[str]:
    return {p.display_name for p in target.modified_properties}


def detail(event: AuditEvent, key: str) -> str | None:
    """An ``additionalDetails`` value (keys compared case-insensitively)."""
    folded = key.casefold()
    return next((v for k, v in event.additional_details if k.casefold() == folded and v), None)


def first_guid(text: str | None) -> str | None:
    """The first GUID in ``text`` (lowercase), e.g. the app id in ``"<appId>;https://..."``."""
    if not text:
        return None
    m = _GUID.search(text)
    return m.group(0).lower() if m else None


def key_ids(raw: str | None) -> set[str]:
    """The ``KeyIdentifier=`` values in a ``KeyDescription`` property value."""
    return {k.lower() for k in _KEY_ID.findall(raw or "")}


def added_key_ids(target: AuditTarget) -> set[str]:
    """KeyIds present in the new ``KeyDescription`` and not in the old one."""
    return key_ids(prop_raw(target, "KeyDescription")) - key_ids(
        prop_raw(target, "KeyDescription", new=False)
    )


def list_grew(target: AuditTarget, name: str) -> bool:
    """True when the JSON list in property ``name`` has more items after than before."""
    new, old = _decode(prop_raw(target, name)), _decode(prop_raw(target, name, new=False))
    n_new = len(new) if isinstance(new, list) else 0
    n_old = len(old) if isinstance(old, list) else 0
    return n_new > n_old


def app_id_of(event: AuditEvent, target: AuditTarget) -> str | None:
    """The appId an audit record names for ``target`` (details, then SPN properties)."""
    for found in (
        detail(event, "AppId"),
        first_guid(prop_text(target, "TargetId.ServicePrincipalNames")),
        first_guid(prop_text(target, "AppId")),
    ):
        if found:
            return found.lower()
    return None


def targets_of_type(event: AuditEvent, kind: str) -> Iterator[AuditTarget]:
    folded = kind.casefold()
    return (t for t in event.targets if (t.type or "").casefold() == folded)
