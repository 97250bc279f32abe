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
    n = _CAMEL.get if diagnostic else _LA.get
    strings = tuple(g(key) for key, _ in _STRINGS)
    check_strs(tuple(n(key, key) for key, _ in _STRINGS), strings)
    spid, app_id, user_id, agent, api, sign_in, roles, scopes, location, tenant = (
        value or None for value in strings
    )
    if tenant is None and diagnostic:
        tenant = g("tenantid") or None
        if tenant is not None and type(tenant) is not str:
            raise wrong_type("tenantId", "a string", tenant)
    status = opt_int(g("responsestatuscode"), n("responsestatuscode", ""))
    if status is None:
        raise Invalid(n("responsestatuscode", ""), "missing required field")
    spid, app_id, user_id, tenant = guid(spid), guid(app_id), guid(user_id), guid(tenant)
    return GraphActivity(
        id=req_guid(g("requestid"), n("requestid", "")),
        time=parse_time(g("timegenerated") or fallback_time, n("timegenerated", "")),
        request_method=_required(g("requestmethod"), n("requestmethod", "")),
        request_uri=_required(g("requesturi"), n("requesturi", "")),
        response_status_code=status,
        service_principal_id=spid,
        app_id=app_id,
        user_id=user_id,
        tenant_id=tenant,
        ip_address=canonical_ip(g("ipaddress"), n("ipaddress", "")),
        user_agent=agent,
        api_version=api,
        response_size_bytes=opt_int(g("responsesizebytes"), n("responsesizebytes", "")),
        duration_ms=opt_int(g("durationms"), n("durationms", "")),
        sign_in_activity_id=sign_in,
        client_auth_method=opt_int(g("clientauthmethod"), n("clientauthmethod", "")),
        roles=roles,
        scopes=scopes,
        location=location,
    )


def _required(value: object, field: str) -> str:
    if type(value) is str and value:
        return value
    raise wrong_type(field, "a string", value)
