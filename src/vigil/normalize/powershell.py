"""Graph objects as the Microsoft Graph PowerShell SDK saves them (``ConvertTo-Json``) → Graph JSON.

``Get-MgBetaAuditLogSignIn -All | ConvertTo-Json -Depth 10`` (likewise ``Get-MgAuditLogSignIn``,
``Get-Mg[Beta]AuditLogDirectoryAudit``, ``Get-Mg[Beta]ServicePrincipal``,
``Get-Mg[Beta]Application``) does not write Graph's JSON but the SDK's model objects:

* property names in PascalCase (``Id``, ``CreatedDateTime``, ``Status.ErrorCode``,
  ``PasswordCredentials[0].KeyId``); an acronym keeps its capitals (``IPAddress``);
* every model property, ``null`` when the response lacked it;
* ``AdditionalProperties``: what the model has no property for, under Graph's own names
  (``@odata.context``, ``@odata.type``, a property newer than the SDK);
* dates as ISO 8601 (PowerShell 7, UTC with 7 fraction digits) or ``"\\/Date(1715678467123)\\/"``
  (Windows PowerShell 5.1: milliseconds since 1970 UTC, so the time keeps only milliseconds);
* Graph ``Binary`` values (``customKeyIdentifier``, ``key``) as byte arrays: arrays of numbers.

:func:`graph_json` turns such an object back into Graph's JSON: the first letters of every key
lower-cased (the whole leading acronym: ``IPAddress`` → ``ipAddress``), each level's
``AdditionalProperties`` merged in (a model property that is set wins), ``/Date(ms)/`` as ISO 8601
UTC, byte arrays as base64; then the Graph normalizer runs, so the stored record is the one the
Graph JSON of the same object gives. :func:`powershell_rejected` names a bad field in the
record's own spelling (``Status.ErrorCode``, ``AdditionalProperties.servicePrincipalCredentialKeyId``).

:func:`is_powershell` recognises the shape; Log Analytics rows, also PascalCase, differ:

* ``AdditionalProperties`` is the SDK's; no Log Analytics table has such a column.
* Without it (a ``Select-Object`` dropped it): a row with a Log Analytics-only column
  (``TimeGenerated``, ``Type``, ``ResultType``, ``OperationName``, ``LocationDetails``...) is not
  one; otherwise a nested PascalCase object is the SDK's: ``Status`` with ``ErrorCode``, ``Location``
  with ``City``/``CountryOrRegion``... (a Log Analytics ``Location`` is a region string),
  ``InitiatedBy`` with ``App``/``User`` (Log Analytics keeps Graph's ``app``/``user`` inside), or
  credential arrays, which no Log Analytics table has.

Depth: ConvertTo-Json writes what lies deeper than ``-Depth`` (2 unless given) as text: the
model's ``ToString()``, which is its JSON, or a type name for a dictionary. Where Vigil expects an
object or an array such text is rejected, naming the field and ``-Depth``; a nested
``AdditionalProperties`` cut that way is ignored (it holds nothing Vigil reads).

Verified (in the sources): enum-typed properties are strings in the SDK's models (its reference
lists ``[RiskLevel <String>]``, ``[RiskState <String>]``); model ``DateTime`` values are parsed with
``DateTimeStyles.AdjustToUniversal``, so UTC; PowerShell 7's ConvertTo-Json hands ``DateTime``
to Newtonsoft.Json unchanged (ISO 8601), writes a ``byte[]`` as an array of numbers, an enum as its
number unless ``-EnumsAsStrings``, and a model deeper than ``-Depth`` as ``ToString()``.
Assumed, not run here: Windows PowerShell 5.1 writes the same objects with the
``/Date(ms)/`` form and byte arrays as numbers. An enum written as a number would be rejected
("expected a string"), never guessed.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

from vigil.normalize.rejected import Invalid, Rejected, quote

ADDITIONAL = "AdditionalProperties"

#: Columns only Log Analytics rows have (the SDK's models have none of them).
_LA_ONLY = (
    "TimeGenerated",
    "Type",
    "ResultType",
    "ResultSignature",
    "OperationName",
    "LocationDetails",
    "SourceSystem",
    "AADOperationType",
    "AADTenantId",
)
_LOCATION_KEYS = ("City", "CountryOrRegion", "State", "GeoCoordinates")
_CREDENTIALS = ("PasswordCredentials", "KeyCredentials", "FederatedIdentityCredentials")
#: Graph ``Binary`` properties Vigil reads; the SDK holds them as ``byte[]``.
_BINARY = frozenset({"customKeyIdentifier", "key"})
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DEPTH_HINT = (
    "; ConvertTo-Json wrote it as text because it lay deeper than -Depth: export again with"
    " ConvertTo-Json -Depth 10"
)
_ENUM_HINT = "; ConvertTo-Json writes an enum as its number unless given -EnumsAsStrings"


def is_powershell(d: dict[str, Any]) -> bool:
    """True when ``d`` is a Graph object saved by the PowerShell SDK (module docstring)."""
    if ADDITIONAL in d:  # an ill-typed one too: the conversion rejects it, naming it
        return True
    for column in _LA_ONLY:
        if column in d:
            return False
    status = d.get("Status")
    if type(status) is dict and "ErrorCode" in status:
        return True
    location = d.get("Location")
    if type(location) is dict and any(k in location for k in _LOCATION_KEYS):
        return True
    initiator = d.get("InitiatedBy")
    if type(initiator) is dict and ("App" in initiator or "User" in initiator):
        return True
    return any(type(d.get(k)) is list for k in _CREDENTIALS)


def camel(key: str) -> str:
    """Graph's name of an SDK property: ``AppId`` → ``appId``, ``IPAddress`` → ``ipAddress``,
    ``Id`` → ``id``; a key that does not start with a capital is kept."""
    if not key or not ("A" <= key[0] <= "Z"):
        return key
    end = 1
    while end < len(key) and "A" <= key[end] <= "Z":
        end += 1
    if 1 < end < len(key) and key[end].islower():
        end -= 1  # IPAddress: the A starts the next word
    return key[:end].lower() + key[end:]


def top_level_view(d: dict[str, Any]) -> dict[str, Any]:
    """The record's top-level keys under Graph's names, with ``AdditionalProperties`` merged:
    enough to tell which Graph resource it is (values are not converted)."""
    view = {camel(k): v for k, v in d.items() if k != ADDITIONAL}
    extra = d.get(ADDITIONAL)
    if type(extra) is dict:
        for key, value in extra.items():
            if view.get(key) is None:
                view[key] = value
    return view


def graph_json(d: dict[str, Any]) -> dict[str, Any]:
    """The Graph JSON of one SDK object; raises :class:`Invalid` naming the field (its own
    spelling) for a ``/Date(...)/`` that is not a time or an ``AdditionalProperties`` that is not
    an object."""
    return _object(d, "")


def _object(d: dict[str, Any], path: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    extra = None
    for key, value in d.items():
        if key == ADDITIONAL:
            extra = value
            continue
        name = camel(key)
        field = f"{path}.{key}" if path else key
        if name in _BINARY and type(value) is list:
            value = _binary(value)
        out[name] = _value(value, field)
    if type(extra) is dict:
        for key, value in extra.items():
            if out.get(key) is None:  # the model's property wins when it is set
                out[key] = _raw_value(value, f"{path}.{ADDITIONAL}.{key}" if path else key)
    elif extra is not None and not (type(extra) is str and path):
        raise Invalid(f"{path}.{ADDITIONAL}" if path else ADDITIONAL, _not_object(extra))
    return out


def _value(value: Any, field: str) -> Any:
    kind = type(value)
    if kind is dict:
        return _object(value, field)
    if kind is list:
        return [_value(item, f"{field}[{i}]") for i, item in enumerate(value)]
    if kind is str and value.startswith("/Date("):
        return _date(value, field)
    return value


def _raw_value(value: Any, field: str) -> Any:
    """A value of ``AdditionalProperties``: Graph's own JSON, keys kept as they are."""
    kind = type(value)
    if kind is dict:
        return {k: _raw_value(v, f"{field}.{k}") for k, v in value.items()}
    if kind is list:
        return [_raw_value(item, f"{field}[{i}]") for i, item in enumerate(value)]
    if kind is str and value.startswith("/Date("):
        return _date(value, field)
    return value


def _date(text: str, field: str) -> str:
    """``/Date(1715678467123)/`` (optionally ``+0200``: the ms are UTC either way) → ISO 8601."""
    inner = text[6:-2] if text.endswith(")/") else ""
    for sign in "+-":
        cut = inner.find(sign, 1)
        if cut != -1:
            inner = inner[:cut]
    digits = inner[1:] if inner.startswith("-") else inner
    if not (digits.isascii() and digits.isdigit()):
        raise Invalid(field, f"invalid timestamp {quote(text)}")
    try:
        return (_EPOCH + timedelta(milliseconds=int(inner))).isoformat()
    except OverflowError:
        raise Invalid(field, f"timestamp out of range {quote(text)}") from None


def _binary(items: list[Any]) -> Any:
    """A ``byte[]`` written as numbers → base64, as Graph writes ``Binary``; else unchanged."""
    if all(type(b) is int and 0 <= b <= 255 for b in items):
        return base64.b64encode(bytes(items)).decode()
    return items


def _not_object(value: object) -> str:
    return f"expected an object, got {type(value).__name__} {quote(value)}"


def powershell_rejected(d: dict[str, Any], rejected: Rejected) -> Rejected:
    """``rejected`` (from a Graph normalizer) naming its field as the record spells it, with a
    hint when ConvertTo-Json's ``-Depth`` or enum numbers explain it."""
    if rejected.field is None:
        return rejected
    field, value = source_field(d, rejected.field)
    reason = rejected.reason
    if type(value) is str and reason.startswith(("expected an object", "expected an array")):
        reason += _DEPTH_HINT
    elif type(value) is int and reason.startswith("expected a string"):
        reason += _ENUM_HINT
    return Rejected(rejected.kind, reason, field)


def source_field(d: dict[str, Any], field: str) -> tuple[str, Any]:
    """``(spelling in d, value)`` of a Graph field path (``targetResources[0].id``), e.g.
    ``TargetResources[0].Id``; parts not found are kept as given (value None)."""
    node: Any = d
    out = ""
    for part in _parts(field):
        if type(part) is int:
            out += f"[{part}]"
            node = node[part] if type(node) is list and part < len(node) else None
            continue
        name, node = _member(node, part)
        out += f".{name}" if out else name
    return out, node


def _member(node: Any, name: str) -> tuple[str, Any]:
    """The key of ``node`` that became Graph's ``name``: a set model property, else an
    ``AdditionalProperties`` entry (merged in when the property was null), else a null one."""
    if type(node) is not dict:
        return name, None
    unset = None
    for key, value in node.items():
        if key != ADDITIONAL and camel(key) == name:
            if value is not None:
                return key, value
            unset = key
    extra = node.get(ADDITIONAL)
    if type(extra) is dict and name in extra:
        return f"{ADDITIONAL}.{name}", extra[name]
    return (unset or name), None


def _parts(field: str) -> list[str | int]:
    parts: list[str | int] = []
    for piece in field.split("."):
        name, _, rest = piece.partition("[")
        if name:
            parts.append(name)
        while rest:
            index, _, rest = rest.partition("]")
            parts.append(int(index) if index.isdigit() else index)
            rest = rest.removeprefix("[")
    return parts
