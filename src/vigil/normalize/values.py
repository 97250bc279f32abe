"""Scalar field coercion shared by the normalizers: strings, integers, IPs, GUIDs, enums, JSON text.

Conventions (every normalizer follows them):

* An empty string means "absent" and becomes None (CSV cells and Graph both use ``""``).
* A value of the wrong JSON type (a list where a string belongs, ...) raises :class:`Invalid`
  naming the field; the normalizer turns that into ``Rejected``.
* A string that is well-typed but not a valid IP address becomes None (not a rejection).
* Enum strings map to the model's enums; unknown strings map to None.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any

import orjson

from vigil.model import ClientCredentialType, MsiType
from vigil.normalize.rejected import Invalid, quote, wrong_type

NoneType = type(None)
#: Types allowed where an optional string belongs.
STR_OR_NONE = frozenset({str, NoneType})

#: Memo of :func:`canonical_ip` (raw text → canonical text or None). Bounded; only
#: ``canonical_ip`` writes it (the sign-in hot path reads it inline).
IP_CACHE: dict[str, str | None] = {}
IP_CACHE_MAX = 65_536
#: Sentinel for "not in a cache".
MISS = object()


def req_str(value: object, field: str) -> str:
    """A non-empty string or :class:`Invalid`."""
    if type(value) is str and value:
        return value
    raise wrong_type(field, "a string", value)


def opt_str(value: object, field: str) -> str | None:
    """A string (``""`` → None), None, or :class:`Invalid` for any other type."""
    if type(value) is str:
        return value or None
    if value is None:
        return None
    raise wrong_type(field, "a string", value)


def check_strs(fields: tuple[str, ...], values: tuple[object, ...]) -> None:
    """Raise :class:`Invalid` for the first of ``values`` that is neither str nor None."""
    if STR_OR_NONE.issuperset(map(type, values)):
        return
    for field, value in zip(fields, values, strict=True):
        if value is not None and type(value) is not str:
            raise wrong_type(field, "a string", value)


#: Floats beyond this magnitude are not exact integers: a JSON reader gives one for an integer
#: literal it cannot hold (orjson past 64 bits), and converting it would store a wrong number.
_EXACT_FLOAT_INT = 2**53


def opt_int(value: object, field: str) -> int | None:
    """An integer from an int, an integral float or a decimal string; ``""``/None → None.

    A float (or float text) beyond ±2**53 is refused: it no longer says which integer was meant.
    """
    if type(value) is int:
        return value
    if value is None:
        return None
    if type(value) is str:
        text = value.strip()
        if not text:
            return None
        try:
            return int(text)
        except ValueError:
            pass
        try:
            number = float(text)
        except ValueError:
            number = 0.5
        if number.is_integer() and abs(number) <= _EXACT_FLOAT_INT:
            return int(number)
        raise Invalid(field, f"expected an integer, got {quote(value)}")
    if type(value) is float and value.is_integer():
        if abs(value) > _EXACT_FLOAT_INT:
            raise Invalid(field, f"an integer too large to read exactly (read as {value!r})")
        return int(value)
    raise wrong_type(field, "an integer", value)


def opt_float(value: object, field: str) -> float | None:
    """A float from an int, a float or a numeric string; ``""``/None → None."""
    if type(value) is float or type(value) is int:
        return float(value)
    if value is None or value == "":
        return None
    if type(value) is str:
        try:
            return float(value)
        except ValueError:
            raise Invalid(field, f"expected a number, got {quote(value)}") from None
    raise wrong_type(field, "a number", value)


def opt_bool(value: object, field: str, default: bool) -> bool:
    if value is None or value == "":
        return default
    if type(value) is bool:
        return value
    if type(value) is str and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise wrong_type(field, "a boolean", value)


def canonical_ip(value: object, field: str) -> str | None:
    """The ``ipaddress`` canonical text (IPv6 compressed, lower case), or None if not an IP.

    One address, one text: an IPv4-mapped IPv6 address (``::ffff:40.74.9.229``, RFC 4291
    §2.5.5.2, as dual-stack sockets report IPv4 clients) is stored as its IPv4 address
    (``40.74.9.229``), and an IPv6 zone id (``fe80::1%eth0``, RFC 4007 §11) is dropped: a zone
    names an interface of the host that logged the address, means nothing elsewhere, and Entra
    never logs one. The result is at most 39 characters.

    Results are memoised (most tenants see few distinct addresses); the cache is bounded.
    """
    if type(value) is str:
        hit = IP_CACHE.get(value, MISS)
        if hit is not MISS:
            return hit  # type: ignore[return-value]
        try:
            address = ipaddress.ip_address(value.strip())
        except ValueError:
            canonical: str | None = None
        else:
            if type(address) is ipaddress.IPv6Address:
                # the mapped IPv4 address, else the address rebuilt without its zone id
                address = address.ipv4_mapped or ipaddress.IPv6Address(address.packed)
            canonical = str(address)
        if len(IP_CACHE) >= IP_CACHE_MAX:
            IP_CACHE.clear()
        IP_CACHE[value] = canonical
        return canonical
    if value is None:
        return None
    raise wrong_type(field, "an IP address string", value)


#: The characters of a lower-case GUID's text.
_GUID_CHARS = frozenset("0123456789abcdef-")


def canonical_guid(text: str) -> str:
    """A GUID in Graph's spelling (lower case); any other text unchanged.

    Graph writes GUIDs in lower case, but exports do not always: Log Analytics rows through KQL's
    ``toupper()``, PowerShell and .NET objects, spreadsheets re-saved by hand. A GUID is
    case-insensitive (Graph itself matches GUID keys so), so one id has one text everywhere:
    ``66EA54EB-...`` is stored as ``66ea54eb-...``. Only text of the form 8-4-4-4-12 hex digits
    is changed, and only its case: an id that is not a GUID (a fixture's ``sp-1``, an audit id
    such as ``Directory_...``, a base64 ``uniqueTokenIdentifier``) is kept as it is. (Credential
    keyIds go further, see :func:`canonical_key_id`.)

    Hot-path callers skip the call when ``text.lower() == text`` (nothing to change): an ASCII
    ``lower()`` of 36 characters costs about 40 ns, where ``str.islower()`` costs several times
    that (it reads the Unicode database for each character).
    """
    low = text.lower()
    return low if _is_guid(low) else text


def is_guid(text: str) -> bool:
    """Whether ``text`` has a GUID's form, 8-4-4-4-12 hex digits, in any case."""
    return _is_guid(text.lower())


def _is_guid(low: str) -> bool:
    return (
        len(low) == 36
        and low[8] == low[13] == low[18] == low[23] == "-"
        and _GUID_CHARS.issuperset(low)
    )


def guid(value: str | None) -> str | None:
    """``value`` with a GUID in canonical form (:func:`canonical_guid`); ``""`` → None."""
    if not value:
        return None
    return value if value.lower() == value else canonical_guid(value)


def sign_in_guids(
    sid: str,
    spid: str,
    app: str | None,
    res: str | None,
    res_sp: str | None,
    fic: str | None,
    corr: str | None,
    tenant: str | None,
) -> tuple[str, str, str | None, str | None, str | None, str | None, str | None, str | None]:
    """A sign-in's GUID-valued fields (id, service principal, app, resource, resource service
    principal, federated credential, correlation, tenant; None when absent) in canonical form
    (:func:`canonical_guid`): the fast path of every sign-in normalizer. One ``lower()`` of them
    all joined decides, since Graph's are lower-case already (fixed arguments: a generator here
    cost 0.6 µs a record)."""
    ids = f"{sid}{spid}{app or ''}{res or ''}{res_sp or ''}{fic or ''}{corr or ''}{tenant or ''}"
    if ids.lower() == ids:
        return sid, spid, app, res, res_sp, fic, corr, tenant
    return (
        canonical_guid(sid), canonical_guid(spid), guid(app), guid(res), guid(res_sp),
        guid(fic), guid(corr), guid(tenant),
    )  # fmt: skip


def opt_guid(value: object, field: str) -> str | None:
    """An optional GUID-valued string field (:func:`opt_str`, then :func:`guid`)."""
    return guid(opt_str(value, field))


def req_guid(value: object, field: str) -> str:
    """A required GUID-valued string field (:func:`req_str`, then :func:`canonical_guid`)."""
    text = req_str(value, field)
    return text if text.lower() == text else canonical_guid(text)


def canonical_key_id(text: str) -> str | None:
    """A credential ``keyId`` as Graph writes it (a GUID: lower case, no braces); blank → None.

    Some exports write GUIDs in the registry form ``{bf46b7a1-...}``; without the braces the same
    credential has one id everywhere (and fits the store's 36-character GUID column).
    """
    text = text.strip().lower()
    if text[:1] == "{" and text[-1:] == "}":
        text = text[1:-1].strip()
    return text or None


def lower_id(value: object, field: str) -> str | None:
    """An optional credential keyId (see :func:`canonical_key_id`)."""
    text = opt_str(value, field)
    return canonical_key_id(text) if text is not None else None


def upper_hex(value: object, field: str) -> str | None:
    """An optional hex digest (certificate thumbprint), upper-cased."""
    text = opt_str(value, field)
    return (text.strip().upper() or None) if text is not None else None


def _fold(text: str) -> str:
    return "".join(text.split()).replace("_", "").replace("-", "").lower()


#: Exact and folded spellings of ``clientCredentialType`` → enum (see :func:`credential_type`).
CREDENTIAL_TYPES: dict[str, ClientCredentialType] = {}
for _member in ClientCredentialType:
    CREDENTIAL_TYPES[_member.value] = _member
    CREDENTIAL_TYPES[_fold(_member.value)] = _member
CREDENTIAL_TYPES["federatedcredential"] = ClientCredentialType.federatedIdentityCredential
CREDENTIAL_TYPES["clientcertificate"] = ClientCredentialType.certificate

_MSI_TYPES: dict[str, MsiType] = {}
for _msi in MsiType:
    _MSI_TYPES[_msi.value] = _msi
    _MSI_TYPES[_fold(_msi.value)] = _msi


def credential_type(value: object, field: str) -> ClientCredentialType | None:
    """Map ``clientSecret`` / ``Client secret`` / ``ClientSecret`` to the enum; unknown → None."""
    if type(value) is str:
        found = CREDENTIAL_TYPES.get(value)
        return found if found is not None else CREDENTIAL_TYPES.get(_fold(value))
    if value is None:
        return None
    raise wrong_type(field, "a string", value)


def msi_type(value: object, field: str) -> MsiType | None:
    if type(value) is str:
        found = _MSI_TYPES.get(value)
        return found if found is not None else _MSI_TYPES.get(_fold(value))
    if value is None:
        return None
    raise wrong_type(field, "a string", value)


def json_value(value: object, field: str) -> Any:
    """A dynamic Log Analytics column: JSON text is decoded, other values pass, ``""`` → None."""
    if type(value) is str:
        text: str = value
        if not text.strip():
            return None
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise Invalid(field, f"invalid JSON text: {exc}") from None
    return value


def opt_dict(value: object, field: str) -> dict[str, Any] | None:
    if value is None or type(value) is dict:
        return value
    raise wrong_type(field, "an object", value)


def opt_list(value: object, field: str) -> list[Any]:
    """A JSON array (None → empty list)."""
    if type(value) is list:
        return value
    if value is None:
        return []
    raise wrong_type(field, "an array", value)


def objects(value: object, field: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(field[i], item)`` for each item of a JSON array of objects (None → nothing).

    A non-array, or an item that is not an object, is an error naming its field.
    """
    for i, item in enumerate(opt_list(value, field)):
        f = f"{field}[{i}]"
        if type(item) is not dict:
            raise wrong_type(f, "an object", item)
        yield f, item


def str_tuple(value: object, field: str) -> tuple[str, ...]:
    """A JSON array of strings as a tuple (None → ``()``)."""
    items = opt_list(value, field)
    for i, item in enumerate(items):
        if type(item) is not str:
            raise wrong_type(f"{field}[{i}]", "a string", item)
    return tuple(items)


def tenant_from_resource_id(value: object) -> str | None:
    """The tenant id in an ARM id such as ``/tenants/<id>/providers/Microsoft.aadiam``."""
    if type(value) is not str:
        return None
    parts = value.split("/")
    if len(parts) > 2 and parts[1].lower() == "tenants" and parts[2]:
        return parts[2].lower()
    return None
