"""Fast path for Graph ``signIn`` JSON lines: typed decode straight to :class:`SignIn`.

A Graph sign-in is about 2 KB of JSON of which Vigil keeps a tenth. Decoding it into a dict and
then normalizing (:func:`vigil.normalize.graph_signin.normalize_graph_signin`) costs most of the
ingest budget, so the bulk path decodes each line into :class:`_Wire`, a msgspec struct that
holds only the fields the normalizer reads, with the types the normalizer accepts: msgspec skips
the rest of the object without building it.

Contract of :func:`signin_from_line`: it returns exactly what the generic path
(``orjson.loads`` → :func:`vigil.normalize.normalize` with no kind) returns for the same line,
or None when it cannot be sure: a line that does not decode into the struct (not a Graph
sign-in, a wrong type anywhere, bad JSON), an interactive-user sign-in, an invalid value. The
caller then runs the generic path, which gives the rejection its usual reason (a value longer
than its store column included: :mod:`vigil.normalize.widths`). So the fast path never rejects
and never accepts anything the generic path would not; the tests compare both on every sign-in
shape Vigil has fixtures for, with corrupted fields.

One deliberate exception: msgspec checks the JSON syntax of the fields it skips but not the size
of their numbers, so a number beyond a double's range (``1e400``) in a field Vigil does not read
leaves the line acceptable here, where orjson (the generic reader) refuses the whole line. Such a
number is valid JSON (RFC 8259 leaves the range to implementations) and the sign-in is stored.
Invalid UTF-8 anywhere in the line always sends it to the generic path.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import msgspec

from vigil.model import Location, SignIn, SignInKind
from vigil.normalize.fastbuild import fast_constructor
from vigil.normalize.graph_signin import location_from, signin_kind
from vigil.normalize.timestamps import parse_time
from vigil.normalize.values import (
    CREDENTIAL_TYPES,
    IP_CACHE,
    MISS,
    canonical_ip,
    canonical_key_id,
    msi_type,
    sign_in_guids,
)
from vigil.normalize.widths import COUNTRY, GUID, ID, IP, NUL_ESCAPE, sign_in_too_long

_SP = SignInKind.servicePrincipal
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_fromisoformat = datetime.fromisoformat
_make_signin = fast_constructor(SignIn)

Str = str | None


class _Geo(msgspec.Struct):
    latitude: float | None = None
    longitude: float | None = None
    altitude: float | None = None


class _Location(msgspec.Struct):
    city: Str = None
    state: Str = None
    countryOrRegion: Str = None
    geoCoordinates: _Geo | None = None


class _Status(msgspec.Struct):
    errorCode: int | None = None
    failureReason: Str = None


class _Msi(msgspec.Struct):
    msiType: Str = None


class _Wire(msgspec.Struct):
    """The fields of a Graph ``signIn`` that the normalizer reads (Graph's camelCase names)."""

    id: str
    createdDateTime: str
    servicePrincipalId: str
    signInEventTypes: list[str]
    appId: Str = None
    servicePrincipalName: Str = None
    resourceId: Str = None
    resourceDisplayName: Str = None
    resourceServicePrincipalId: Str = None
    federatedCredentialId: Str = None
    userAgent: Str = None
    correlationId: Str = None
    uniqueTokenIdentifier: Str = None
    tenantId: Str = None
    resourceTenantId: Str = None
    servicePrincipalCredentialKeyId: Str = None
    servicePrincipalCredentialThumbprint: Str = None
    managedServiceIdentity: _Msi | None = None
    clientCredentialType: Str = None
    status: _Status | None = None
    autonomousSystemNumber: int | None = None
    ipAddress: Str = None
    location: _Location | None = None


#: ``(ip, logged asn, location) -> (asn, asn_org, is_hosting, location)``, as
#: :meth:`vigil.enrich.Enricher.ip_facts`.
IpFacts = Callable[[str, "int | None", "Location | None"], tuple[Any, Any, Any, Any]]

_decode = msgspec.json.Decoder(_Wire).decode
_LOCATIONS: dict[tuple[object, ...], Location | None] = {}
_LOCATIONS_MAX = 65_536


def fast_readable(line: bytes) -> bool:
    """True when ``line`` is valid UTF-8 (msgspec does not check the fields it skips) and holds
    no NUL character (``\\u0000``: the generic path rejects a record keeping one, see
    :func:`vigil.normalize.widths.holds_nul`)."""
    if b"\\" in line and NUL_ESCAPE in line:  # a byte search first: the escape is slow to find
        return False
    return valid_utf8(line)


def valid_utf8(data: bytes) -> bool:
    """Whether ``data`` is valid UTF-8 (a line, or a whole piece of a file at once)."""
    if data.isascii():
        return True
    try:
        data.decode()
    except UnicodeDecodeError:
        return False
    return True


def signin_from_line(line: bytes) -> SignIn | None:
    """The sign-in of one JSON line, or None to say "use the generic path" (module docstring)."""
    if not fast_readable(line):
        return None
    try:
        values = _values(_decode(line))
    except Exception:  # not the shape, or an invalid value: the generic path names it
        return None
    if values is None:
        return None
    signin = _make_signin(*values)
    return None if sign_in_too_long(signin) is not None else signin


def enriched_values_from_line(
    line: bytes | memoryview, ip_facts: IpFacts, *, checked: bool = False
) -> list[Any] | None:
    """Like :func:`signin_from_line` followed by ``Enricher.enrich``, as the sign-in's field
    values in :class:`SignIn`'s order (``vigil.store.signin_rows.values_row`` makes its row).

    ``checked``: the caller found ``line`` valid UTF-8 without a NUL escape (a whole piece of a
    file at once, cheaper than each line); otherwise ``line`` must be bytes.
    """
    if not checked and not fast_readable(line):  # type: ignore[arg-type]
        return None
    try:
        values = _values(_decode(line))
    except Exception:
        return None
    if values is None:
        return None
    ip = values[_AT_IP]
    if ip is not None:
        values[_AT_ASN], values[_AT_ASN_ORG], values[_AT_HOSTING], values[_AT_LOC] = ip_facts(
            ip, values[_AT_ASN], values[_AT_LOC]
        )
    return values if _fits(values) else None  # the generic path rejects it


#: Positions in SignIn's field order (``_values``' list) of what enrichment and ``_fits`` touch.
_FIELD = {f.name: i for i, f in enumerate(dataclasses.fields(SignIn))}
_AT_ID, _AT_SP, _AT_APP, _AT_IP, _AT_LOC = (
    _FIELD[n] for n in ("id", "service_principal_id", "app_id", "ip_address", "location")
)
_AT_ASN, _AT_ASN_ORG, _AT_HOSTING = _FIELD["asn"], _FIELD["asn_org"], _FIELD["is_hosting"]
_AT_RES, _AT_KEY, _AT_CORR = (
    _FIELD[n] for n in ("resource_id", "credential_key_id", "correlation_id")
)


def _fits(v: list[Any]) -> bool:
    """:func:`vigil.normalize.widths.sign_in_too_long` is None, for ``_values``' list (each
    width in ``WIDTHS[SignIn]``, and the country's; the tests try each too long)."""
    loc = v[_AT_LOC]
    return (
        len(v[_AT_ID]) <= ID
        and len(v[_AT_SP]) <= ID
        and len(v[_AT_KEY] or "") <= GUID
        and len(v[_AT_IP] or "") <= IP
        and len(v[_AT_APP] or "") <= ID
        and len(v[_AT_RES] or "") <= ID
        and len(v[_AT_CORR] or "") <= ID
        and (loc is None or len(loc.country_or_region or "") <= COUNTRY)
    )


def _values(w: _Wire) -> list[Any] | None:
    """SignIn's field values in its order (a list, so enrichment can fill ``asn``...)."""
    sid, spid = w.id, w.servicePrincipalId
    if not sid or not spid:
        return None
    try:
        created = _fromisoformat(w.createdDateTime)
        if created.tzinfo is not UTC:
            raise ValueError
    except ValueError:
        created = parse_time(w.createdDateTime, "createdDateTime")
    key_id = w.servicePrincipalCredentialKeyId
    key_id = canonical_key_id(key_id) if key_id else None
    thumbprint = w.servicePrincipalCredentialThumbprint
    thumbprint = (thumbprint.strip().upper() or None) if thumbprint else None
    msi = w.managedServiceIdentity
    msi_kind = None if msi is None else msi_type(msi.msiType, "managedServiceIdentity.msiType")
    cct = w.clientCredentialType
    if cct is not None:
        cct = CREDENTIAL_TYPES.get(cct)
        if cct is None:
            return None
    types = w.signInEventTypes
    if types and "managedIdentity" not in types:
        if "servicePrincipal" not in types:
            return None  # an interactive sign-in: the generic path rejects it
        kind = _SP
    else:
        kind = signin_kind(types, msi_kind, cct)
    status = w.status
    if status is None:
        error_code, failure = 0, None
    else:
        error_code, failure = status.errorCode or 0, status.failureReason
    asn = w.autonomousSystemNumber
    if not _INT64_MIN <= error_code <= _INT64_MAX or (
        asn is not None and not _INT64_MIN <= asn <= _INT64_MAX
    ):
        return None  # msgspec reads integers of any size; the generic path rejects them
    ip = w.ipAddress
    if ip is not None:
        found = IP_CACHE.get(ip, MISS)
        ip = found if found is not MISS else canonical_ip(ip, "ipAddress")
    # GUID-valued fields, as the generic path: a GUID lower-cased, anything else as it is
    sid, spid, app, res, res_sp, fic, corr, tenant = sign_in_guids(
        sid, spid, w.appId or None, w.resourceId or None, w.resourceServicePrincipalId or None,
        w.federatedCredentialId or None, w.correlationId or None,
        w.tenantId or w.resourceTenantId or None,
    )
    return [
        sid,
        created,
        kind,
        spid,
        app,
        w.servicePrincipalName or None,
        tenant,
        ip,
        _location(w.location),
        asn or None,
        None,
        None,
        res,
        w.resourceDisplayName or None,
        res_sp,
        cct,
        key_id,
        thumbprint,
        fic,
        msi_kind,
        error_code,
        (failure or None) if error_code else None,  # as the generic path
        w.userAgent or None,
        corr,
        w.uniqueTokenIdentifier or None,
    ]


def _location(loc: _Location | None) -> Location | None:
    if loc is None:
        return None
    geo = loc.geoCoordinates
    if geo is None:
        key: tuple[object, ...] = (loc.city, loc.state, loc.countryOrRegion)
    else:
        key = (loc.city, loc.state, loc.countryOrRegion, geo.latitude, geo.longitude, geo.altitude)
    found = _LOCATIONS.get(key, False)
    if found is not False:
        return found
    value = msgspec.to_builtins(loc)  # the generic normalizer builds it, with its checks
    location = location_from(value, "location")
    if len(_LOCATIONS) >= _LOCATIONS_MAX:
        _LOCATIONS.clear()
    _LOCATIONS[key] = location
    return location
