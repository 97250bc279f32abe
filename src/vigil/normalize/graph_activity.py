"""``MicrosoftGraphActivityLogs`` → :class:`GraphActivity` (spec §5.4).

Two spellings of one schema: Log Analytics rows (PascalCase columns: ``RequestId``,
``TimeGenerated``, ``IPAddress``, ``AadTenantId``...) and the ``properties`` of a
diagnostic-settings record (camelCase: ``requestId``, ``timeGenerated``, ``ipAddress``,
``tenantId``...). Keys are matched case-insensitively, so one code path reads both.

Required: ``RequestId``, ``TimeGenerated`` (for diagnostic records the envelope's ``time`` is the
fallback), ``RequestMethod``, ``RequestUri``, ``ResponseStatusCode``. Tenant: ``AadTenantId``;
the camelCase ``tenantId`` only for diagnostic properties (in Log Analytics ``TenantId`` is the
workspace id). Numbers may be JSON numbers or strings (``"clientAuthMethod": "2"``). Ids are kept
verbatim, even when they are not valid GUIDs (the Elastic samples contain such ids), except that a
GUID-valued field holding a GUID (``RequestId``, ``ServicePrincipalId``, ``AppId``, ``UserId``, the
tenant) is lower-cased, as Graph writes it (:func:`vigil.normalize.values.canonical_guid`);
``SignInActivityId`` (base64, joined to ``uniqueTokenIdentifier``) is never changed.
"""

from __future__ import annotations

from typing import Any

from vigil.model import GraphActivity
from vigil.normalize.fastbuild import fast_constructor
from vigil.normalize.rejected import Invalid, Rejected, wrong_type
from vigil.normalize.timestamps import parse_time
from vigil.normalize.values import canonical_ip, check_strs, guid, opt_int, req_guid

KIND = "graphactivity"

#: (lower-case key, Log Analytics column) of the optional string fields, in model order.
_STRINGS = (
    ("serviceprincipalid", "ServicePrincipalId"),
    ("appid", "AppId"),
    ("userid", "UserId"),
    ("useragent", "UserAgent"),
    ("apiversion", "ApiVersion"),
    ("signinactivityid", "SignInActivityId"),
    ("roles", "Roles"),
    ("scopes", "Scopes"),
    ("location", "Location"),
    ("aadtenantid", "AadTenantId"),
)
#: Log Analytics column names by lower-case key (used to name fields in rejections).
_LA = {
    key: name
    for key, name in (
        *_STRINGS,
        ("requestid", "RequestId"),
        ("timegenerated", "TimeGenerated"),
        ("requestmethod", "RequestMethod"),
        ("requesturi", "RequestUri"),
        ("responsestatuscode", "ResponseStatusCode"),
        ("ipaddress", "IPAddress"),
        ("responsesizebytes", "ResponseSizeBytes"),
        ("durationms", "DurationMs"),
        ("clientauthmethod", "ClientAuthMethod"),
    )
}
#: The diagnostic-settings (camelCase) spelling of the same fields.
_CAMEL = {key: name[0].lower() + name[1:] for key, name in _LA.items()} | {
    "ipaddress": "ipAddress",
    "aadtenantid": "tenantId",
}


def normalize_graph_activity(
    data: dict[str, Any], *, diagnostic: bool = False, fallback_time: object = None
) -> GraphActivity | Rejected:
    """Normalize one Graph activity row; never raises.

    ``diagnostic`` is True for diagnostic-settings ``properties`` (camelCase, ``tenantId`` is the
    Entra tenant); ``fallback_time`` is the envelope's ``time`` for those records.
    """
    try:
        row = {k.lower(): v for k, v in data.items()}
        return _activity(row, diagnostic, fallback_time)
    except Invalid as exc:
        return exc.rejected(KIND)
    except Exception as exc:  # the contract is "never raises": report, don't crash
        return Rejected(KIND, f"unexpected {type(exc).__name__}: {exc}", None)


def _activity(row: dict[str, Any], diagnostic: bool, fallback_time: object) -> GraphActivity:
    g = row.get
    return _build(
        diagnostic,
        fallback_time,
        g("tenantid") if diagnostic else None,
        g("requestid"),
        g("timegenerated"),
        g("requestmethod"),
        g("requesturi"),
        g("responsestatuscode"),
        tuple([g(key) for key, _ in _STRINGS]),
        g("ipaddress"),
        g("responsesizebytes"),
        g("durationms"),
        g("clientauthmethod"),
    )


def activity_of(*values: object) -> GraphActivity:
    """The Graph activity of a Log Analytics row given as its columns' values: ``RequestId``,
    ``TimeGenerated``, ``RequestMethod``, ``RequestUri``, ``ResponseStatusCode``, the string
    columns in :data:`_STRINGS`' order, then ``IPAddress``, ``ResponseSizeBytes``,
    ``DurationMs`` and ``ClientAuthMethod`` (None for a missing one, as a row's ``get`` gives).
    What :func:`normalize_graph_activity` makes of such a row, or :class:`Invalid` (the fast path,
    ``vigil.normalize.graph_activity_wire``)."""
    return _positional(False, None, None, values)


def diagnostic_activity_of(fallback_time: object, tenant: object, *values: object) -> GraphActivity:
    """Like :func:`activity_of`, for the camelCase ``properties`` of a diagnostic-settings record
    (``aadTenantId`` among the strings; ``tenant``: its ``tenantId``, or the envelope's if it has
    none, and ``fallback_time`` the envelope's ``time``, as
    ``vigil.normalize.diagnostic.normalize_diagnostic_graph_activity`` gives them)."""
    return _positional(True, fallback_time, tenant, values)


def _positional(
    diagnostic: bool, fallback_time: object, tenant: object, values: tuple[object, ...]
) -> GraphActivity:
    """:func:`_build` of :func:`activity_of`'s values."""
    request_id, time, method, uri, status = values[:5]
    strings, (ip, size, duration, auth) = values[5 : 5 + len(_STRINGS)], values[5 + len(_STRINGS) :]
    return _build(
        diagnostic, fallback_time, tenant, request_id, time, method, uri, status, strings, ip,
        size, duration, auth,
    )  # fmt: skip


#: The names of ``_STRINGS``' fields in rejections: Log Analytics columns, diagnostic properties.
_NAMES = {
    False: tuple(_LA[key] for key, _ in _STRINGS),
    True: tuple(_CAMEL[key] for key, _ in _STRINGS),
}
#: The names of the other fields: (Log Analytics, diagnostic) by lower-case key.
_STATUS, _REQUEST_ID, _TIME, _METHOD, _URI, _IP, _SIZE, _DURATION, _AUTH = (
    (_LA[key], _CAMEL[key])
    for key in (
        "responsestatuscode", "requestid", "timegenerated", "requestmethod", "requesturi",
        "ipaddress", "responsesizebytes", "durationms", "clientauthmethod",
    )
)  # fmt: skip
_make = fast_constructor(GraphActivity)


def _build(
    diagnostic: bool,
    fallback_time: object,
    diagnostic_tenant: object,
    request_id: object,
    time: object,
    method: object,
    uri: object,
    status_value: object,
    strings: tuple[Any, ...],
    ip: object,
    size: object,
    duration: object,
    auth: object,
) -> GraphActivity:
    """``diagnostic``: the names are diagnostic properties', and ``diagnostic_tenant`` is their
    ``tenantId`` (else None)."""
    check_strs(_NAMES[diagnostic], strings)
    spid, app_id, user_id, agent, api, sign_in, roles, scopes, location, tenant = [
        value or None for value in strings
    ]
    if tenant is None and diagnostic_tenant is not None:
        tenant = diagnostic_tenant or None
        if tenant is not None and type(tenant) is not str:
            raise wrong_type("tenantId", "a string", tenant)
    at = 1 if diagnostic else 0
    status = opt_int(status_value, _STATUS[at])
    if status is None:
        raise Invalid(_STATUS[at], "missing required field")
    return _make(
        req_guid(request_id, _REQUEST_ID[at]),
        parse_time(time or fallback_time, _TIME[at]),
        _required(method, _METHOD[at]),
        _required(uri, _URI[at]),
        status,
        guid(spid),
        guid(app_id),
        guid(user_id),
        guid(tenant),
        canonical_ip(ip, _IP[at]),
        agent,
        api,
        opt_int(size, _SIZE[at]),
        opt_int(duration, _DURATION[at]),
        sign_in,
        opt_int(auth, _AUTH[at]),
        roles,
        scopes,
        location,
    )


def _required(value: object, field: str) -> str:
    if type(value) is str and value:
        return value
    raise wrong_type(field, "a string", value)
