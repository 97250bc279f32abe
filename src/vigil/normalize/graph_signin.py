"""Graph ``signIn`` (beta) → :class:`SignIn`, for service-principal and managed-identity sign-ins.

Input: one item of ``GET /beta/auditLogs/signIns`` (spec §5.1), or the ``properties`` of a
diagnostic-settings record of category ``ServicePrincipalSignInLogs`` /
``ManagedIdentitySignInLogs`` (the same camelCase shape, without ``signInEventTypes``).

Kind: ``signInEventTypes`` containing ``managedIdentity`` → managed identity, containing
``servicePrincipal`` → service principal, anything else (``interactiveUser``...) → rejected.
Without ``signInEventTypes``: ``managedServiceIdentity.msiType`` user/system assigned or
``clientCredentialType == managedIdentity`` → managed identity, else service principal. A caller
that knows the kind (the diagnostic category) passes it.

Required: ``id``, ``createdDateTime``, ``servicePrincipalId``. Missing ``status`` means error code
0. Tenant: ``tenantId``, else the caller's ``tenant_id``, else ``resourceTenantId``. GUID-valued
fields (``id``, ``servicePrincipalId``, ``appId``, ``resourceId``, ``resourceServicePrincipalId``,
``federatedCredentialId``, ``correlationId``, the tenant) are lower-cased when they are GUIDs
(:func:`vigil.normalize.values.canonical_guid`); ``uniqueTokenIdentifier`` (base64) never is.

Hot path (≥100k records/s end to end): no regexes, one ``fromisoformat``, memoised IP and
location objects, a bulk type check of the plain string fields, and the fast model constructor.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from vigil.model import Location, SignIn, SignInKind
from vigil.normalize.fastbuild import fast_constructor
from vigil.normalize.rejected import Invalid, Rejected, quote, wrong_type
from vigil.normalize.timestamps import parse_time
from vigil.normalize.values import (
    CREDENTIAL_TYPES,
    IP_CACHE,
    MISS,
    canonical_ip,
    canonical_key_id,
    check_strs,
    credential_type,
    msi_type,
    opt_float,
    opt_int,
    opt_str,
    sign_in_guids,
)

KIND = "signins"
_SP = SignInKind.servicePrincipal
_MI = SignInKind.managedIdentity
_ASSIGNED = frozenset({"userAssigned", "systemAssigned"})

_fromisoformat = datetime.fromisoformat
_make_signin = fast_constructor(SignIn)
_make_location = fast_constructor(Location)
_LOCATIONS: dict[tuple[object, ...], Location | None] = {}
_LOCATIONS_MAX = 65_536

_PLAIN = (
    "appId",
    "servicePrincipalName",
    "resourceId",
    "resourceDisplayName",
    "resourceServicePrincipalId",
    "federatedCredentialId",
    "userAgent",
    "correlationId",
    "uniqueTokenIdentifier",
    "tenantId",
    "resourceTenantId",
    "servicePrincipalCredentialKeyId",
    "servicePrincipalCredentialThumbprint",
)


def normalize_graph_signin(
    data: dict[str, Any], *, kind: SignInKind | None = None, tenant_id: str | None = None
) -> SignIn | Rejected:
    """Normalize one Graph-shaped sign-in; never raises.

    ``kind`` forces the workload kind; ``tenant_id`` is used when the record carries none.
    """
    try:
        g = data.get
        sid = g("id")
        if type(sid) is not str or not sid:
            raise wrong_type("id", "a string", sid)
        spid = g("servicePrincipalId")
        if type(spid) is not str or not spid:
            raise wrong_type("servicePrincipalId", "a string", spid)
        created = g("createdDateTime")
        try:
            created = _fromisoformat(created)
            if created.tzinfo is not UTC:
                raise ValueError  # naive or offset: let parse_time convert it
        except (TypeError, ValueError):
            created = parse_time(g("createdDateTime"), "createdDateTime")
        plain = (
            g("appId"),
            g("servicePrincipalName"),
            g("resourceId"),
            g("resourceDisplayName"),
            g("resourceServicePrincipalId"),
            g("federatedCredentialId"),
            g("userAgent"),
            g("correlationId"),
            g("uniqueTokenIdentifier"),
            g("tenantId"),
            g("resourceTenantId"),
            g("servicePrincipalCredentialKeyId"),
            g("servicePrincipalCredentialThumbprint"),
        )
        for value in plain:
            if value is not None and value.__class__ is not str:
                check_strs(_PLAIN, plain)  # raises, naming the field
        key_id = plain[11]
        key_id = canonical_key_id(key_id) if key_id else None
        tenant = plain[9] or tenant_id or plain[10] or None
        sid, spid, app, res, res_sp, fic, corr, tenant = sign_in_guids(
            sid, spid, plain[0] or None, plain[2] or None, plain[4] or None, plain[5] or None,
            plain[7] or None, tenant,
        )
        thumbprint = plain[12]
        thumbprint = (thumbprint.strip().upper() or None) if thumbprint else None
        msi = g("managedServiceIdentity")
        if msi is None:
            msi_kind = None
        elif type(msi) is dict:
            msi_kind = msi_type(msi.get("msiType"), "managedServiceIdentity.msiType")
        else:
            raise wrong_type("managedServiceIdentity", "an object", msi)
        cct = g("clientCredentialType")
        if cct is not None:
            cct = CREDENTIAL_TYPES.get(cct) if type(cct) is str else None
            if cct is None:
                cct = credential_type(g("clientCredentialType"), "clientCredentialType")
        if kind is None:
            types = g("signInEventTypes")
            if type(types) is list and types and "managedIdentity" not in types:
                if "servicePrincipal" not in types:
                    raise Invalid("signInEventTypes", f"not a workload sign-in: {quote(types)}")
                kind = _SP
            else:
                kind = signin_kind(types, msi_kind, cct)
        status = g("status")
        if type(status) is dict:
            error_code = status.get("errorCode")
            if type(error_code) is not int:
                error_code = opt_int(error_code, "status.errorCode") or 0
            failure = status.get("failureReason")
            if failure is not None and type(failure) is not str:
                raise wrong_type("status.failureReason", "a string", failure)
        elif status is None:
            error_code, failure = 0, None
        else:
            raise wrong_type("status", "an object", status)
        asn = g("autonomousSystemNumber")
        if asn is not None and type(asn) is not int:
            asn = opt_int(asn, "autonomousSystemNumber")
        ip = g("ipAddress")
        ip = IP_CACHE.get(ip, MISS) if type(ip) is str else MISS
        return _make_signin(
            sid,
            created,
            kind,
            spid,
            app,
            plain[1] or None,
            tenant,
            ip if ip is not MISS else canonical_ip(g("ipAddress"), "ipAddress"),
            location_from(g("location"), "location"),
            asn or None,
            None,
            None,
            res,
            plain[3] or None,
            res_sp,
            cct,
            key_id,
            thumbprint,
            fic,
            msi_kind,
            error_code,
            (failure or None) if error_code else None,  # Graph says "Other." on success
            plain[6] or None,
            corr,
            plain[8] or None,
        )
    except Invalid as exc:
        return exc.rejected(KIND)
    except Exception as exc:  # the contract is "never raises": report, don't crash
        return Rejected(KIND, f"unexpected {type(exc).__name__}: {exc}", None)


def signin_kind(
    event_types: object,
    msi_kind: object = None,
    cct: object = None,
    field: str = "signInEventTypes",
) -> SignInKind:
    """The workload kind from ``signInEventTypes``, else from the managed-identity evidence."""
    if event_types:
        if type(event_types) is not list:
            raise wrong_type(field, "an array", event_types)
        if "managedIdentity" in event_types:
            return _MI
        if "servicePrincipal" in event_types:
            return _SP
        raise Invalid(field, f"not a workload sign-in: {quote(event_types)}")
    if msi_kind in _ASSIGNED or cct == "managedIdentity":
        return _MI
    return _SP


def location_from(value: object, field: str) -> Location | None:
    """Graph ``signInLocation`` (``geoCoordinates`` flattened) → Location; all-empty → None.

    Location objects are memoised by their raw values (a tenant sees few places).
    """
    if type(value) is not dict:
        if value is None:
            return None
        raise wrong_type(field, "an object", value)
    g = value.get
    geo = g("geoCoordinates")
    if type(geo) is dict:
        gg = geo.get
        raw = (
            g("city"),
            g("state"),
            g("countryOrRegion"),
            gg("latitude"),
            gg("longitude"),
            gg("altitude"),
        )
    else:
        raw = (g("city"), g("state"), g("countryOrRegion"), geo)
    try:
        found = _LOCATIONS.get(raw, False)
    except TypeError:  # an unhashable (ill-typed) value: the slow path names it
        found = False
    if found is not False:
        return found
    location = _build_location(value, field)
    if len(_LOCATIONS) >= _LOCATIONS_MAX:
        _LOCATIONS.clear()
    _LOCATIONS[raw] = location
    return location


def _build_location(value: dict[str, Any], field: str) -> Location | None:
    g = value.get
    geo = g("geoCoordinates")
    if geo is None:
        lat = lon = alt = None
    elif type(geo) is dict:
        lat = opt_float(geo.get("latitude"), field + ".geoCoordinates.latitude")
        lon = opt_float(geo.get("longitude"), field + ".geoCoordinates.longitude")
        alt = opt_float(geo.get("altitude"), field + ".geoCoordinates.altitude")
    else:
        raise wrong_type(field + ".geoCoordinates", "an object", geo)
    parts = (
        opt_str(g("city"), field + ".city"),
        opt_str(g("state"), field + ".state"),
        opt_str(g("countryOrRegion"), field + ".countryOrRegion"),
        lat,
        lon,
        alt,
    )
    return None if parts == (None,) * 6 else _make_location(*parts)
