"""Fast path for ``MicrosoftGraphActivityLogs`` rows and records as JSON (Log Analytics exports,
the diagnostic-settings archive).

Graph activity is the busiest log a tenant writes: every Graph call of every app. The generic
path decodes each row whole (about 30 columns), lower-cases its keys, classifies it and then
normalizes it (:func:`vigil.normalize.graph_activity.normalize_graph_activity`). Here msgspec
decodes a line into :class:`_Row`, which names every column of the table's schema (spec §5.4)
and builds only the ones the normalizer reads; the others are checked as JSON and skipped. A
diagnostic-settings record (the storage archive's ``PT1H.json`` lines, Event Hubs) is decoded
the same way into :class:`_Record`: Azure Monitor's envelope around the same columns, camelCase,
which the envelope's ``time`` and ``tenantId`` fill in as the generic path's
(``vigil.normalize.diagnostic``).

Contract of :func:`activity_from_line`: it returns exactly what the generic path (``orjson.loads``
→ :func:`vigil.normalize.normalize` with no kind, or kind ``graphactivity``) returns for the same
line, or None when it cannot be sure. It is sure only of a row that:

* is valid UTF-8 (msgspec does not check the columns it skips) and holds no ``\u0000`` escape:
  JSON can write a NUL, which the store cannot keep, only so;
* has ``"Type": "MicrosoftGraphActivityLogs"``, or is a record of that ``category`` (either
  fixes the shape for the generic path), and no column or envelope member outside the schema:
  both structs forbid unknown fields, so any other spelling of a column (``requestId`` in a
  row, which the generic path reads case-insensitively), an ``@odata.context`` or a record's
  extra member goes the generic way;
* gives each column a JSON type the generic path reads the same (a wrong type fails the decode);
* has a ``TimeGenerated`` (else the generic path dates a row by the received time; a record
  takes its envelope's ``time``);
* is normalized without a rejection, and fits the store (64-bit integers, column widths).

Otherwise the generic path runs and gives the rejection its usual reason. The tests compare both
on every Graph activity fixture and on each field corrupted.

The same deliberate exception as :mod:`vigil.normalize.graph_signin_wire`: msgspec checks the
JSON syntax of the columns it skips but not the size of their numbers, so a number beyond a
double's range (``1e400``) or an integer beyond 64 bits in a column Vigil does not read leaves the
row acceptable here, where orjson refuses the whole line.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from vigil.model import GraphActivity
from vigil.normalize.graph_activity import activity_of, diagnostic_activity_of
from vigil.normalize.graph_signin_wire import fast_readable
from vigil.normalize.widths import too_long

LA_TYPE = "MicrosoftGraphActivityLogs"
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_Skip = msgspec.Raw
#: The types of the members read: what the generic path may accept, nothing orjson refuses (an
#: integer beyond 64 bits or a double, which msgspec would give as an int: ``Any`` took it, and
#: the line orjson refuses was stored), so any other value fails the decode: the generic path's.
Str = str | None
Num = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)] | float | str | None
_NULL = msgspec.Raw(b"null")  # any JSON value, null too


class _Row(msgspec.Struct, forbid_unknown_fields=True):
    """Every column of ``MicrosoftGraphActivityLogs`` (spec §5.4), by its Log Analytics name.

    The columns the normalizer reads are typed :data:`Str` or :data:`Num` (it checks them
    itself, as on the generic path); the others are ``Raw``: checked as JSON, never built.
    """

    Type: str
    RequestId: Str = None
    TimeGenerated: Str = None
    RequestMethod: Str = None
    RequestUri: Str = None
    ResponseStatusCode: Num = None
    ServicePrincipalId: Str = None
    AppId: Str = None
    UserId: Str = None
    UserAgent: Str = None
    ApiVersion: Str = None
    SignInActivityId: Str = None
    Roles: Str = None
    Scopes: Str = None
    Location: Str = None
    AadTenantId: Str = None
    IPAddress: Str = None
    ResponseSizeBytes: Num = None
    DurationMs: Num = None
    ClientAuthMethod: Num = None
    TenantId: _Skip = _NULL
    SourceSystem: _Skip = _NULL
    OperationId: _Skip = _NULL
    ClientRequestId: _Skip = _NULL
    IdentityProvider: _Skip = _NULL
    TokenIssuedAt: _Skip = _NULL
    Wids: _Skip = _NULL
    ATContent: _Skip = _NULL
    ATContentH: _Skip = _NULL
    ATContentP: _Skip = _NULL
    DeviceId: _Skip = _NULL
    SessionId: _Skip = _NULL
    UniqueTokenId: _Skip = _NULL
    _BilledSize: _Skip = _NULL
    _IsBillable: _Skip = _NULL
    _ResourceId: _Skip = _NULL
    TableName: _Skip = _NULL  # each row of `az monitor log-analytics query -o json`


class _Properties(msgspec.Struct, forbid_unknown_fields=True):
    """The ``properties`` of a diagnostic-settings record: the same columns, camelCase (as the
    storage archive and Event Hubs write them; ``tenantId`` is the Entra tenant)."""

    requestId: Str = None
    timeGenerated: Str = None
    requestMethod: Str = None
    requestUri: Str = None
    responseStatusCode: Num = None
    servicePrincipalId: Str = None
    appId: Str = None
    userId: Str = None
    userAgent: Str = None
    apiVersion: Str = None
    signInActivityId: Str = None
    roles: Str = None
    scopes: Str = None
    location: Str = None
    aadTenantId: Str = None
    ipAddress: Str = None
    responseSizeBytes: Num = None
    durationMs: Num = None
    clientAuthMethod: Num = None
    tenantId: Str = None
    operationId: _Skip = _NULL
    clientRequestId: _Skip = _NULL
    identityProvider: _Skip = _NULL
    tokenIssuedAt: _Skip = _NULL
    wids: _Skip = _NULL
    atContent: _Skip = _NULL
    atContentH: _Skip = _NULL
    atContentP: _Skip = _NULL
    deviceId: _Skip = _NULL
    sessionId: _Skip = _NULL
    uniqueTokenId: _Skip = _NULL


class _Record(msgspec.Struct, forbid_unknown_fields=True):
    """A diagnostic-settings record (Azure Monitor's common schema) around ``properties``."""

    category: str
    properties: _Properties
    time: Str = None
    tenantId: Str = None
    resourceId: _Skip = _NULL
    operationName: _Skip = _NULL
    operationVersion: _Skip = _NULL
    resultType: _Skip = _NULL
    resultSignature: _Skip = _NULL
    resultDescription: _Skip = _NULL
    durationMs: _Skip = _NULL
    callerIpAddress: _Skip = _NULL
    correlationId: _Skip = _NULL
    identity: _Skip = _NULL
    Level: _Skip = _NULL
    level: _Skip = _NULL
    location: _Skip = _NULL


_decode = msgspec.json.Decoder(_Row).decode
_decode_record = msgspec.json.Decoder(_Record).decode


def activity_from_line(line: bytes | memoryview, *, checked: bool = False) -> GraphActivity | None:
    """The Graph activity of one JSON line, or None for "use the generic path" (module doc).

    ``checked``: the caller found ``line`` valid UTF-8 without a NUL escape (a whole piece of a
    file at once, as for the sign-in fast path); otherwise ``line`` must be bytes.
    """
    if not checked and not fast_readable(line):  # type: ignore[arg-type]
        return None
    try:
        activity = _row_activity(line)
    except msgspec.DecodeError:  # not a Log Analytics row: a diagnostic-settings record?
        try:
            activity = _record_activity(line)
        except Exception:  # as below
            return None
    except Exception:  # an invalid value, or one nested too deep (RecursionError): the generic
        return None  # path names it
    if activity is None:
        return None
    for value in (
        activity.response_status_code,
        activity.response_size_bytes,
        activity.duration_ms,
        activity.client_auth_method,
    ):
        if value is not None and not _INT64_MIN <= value <= _INT64_MAX:
            return None
    # no NUL to look for (``widths.holds_nul``): the line holds no escape of one
    return activity if too_long(activity) is None else None


def _row_activity(line: bytes | memoryview) -> GraphActivity | None:
    r = _decode(line)
    if r.Type != LA_TYPE or not r.TimeGenerated:
        return None
    return activity_of(
        r.RequestId, r.TimeGenerated, r.RequestMethod, r.RequestUri, r.ResponseStatusCode,
        r.ServicePrincipalId, r.AppId, r.UserId, r.UserAgent, r.ApiVersion, r.SignInActivityId,
        r.Roles, r.Scopes, r.Location, r.AadTenantId, r.IPAddress, r.ResponseSizeBytes,
        r.DurationMs, r.ClientAuthMethod,
    )  # fmt: skip


def _record_activity(line: bytes | memoryview) -> GraphActivity | None:
    """As ``vigil.normalize.diagnostic.normalize_diagnostic_graph_activity`` reads a record."""
    r = _decode_record(line)
    if r.category != LA_TYPE:
        return None
    p = r.properties
    tenant = p.tenantId
    if not tenant and r.tenantId:
        tenant = r.tenantId
    return diagnostic_activity_of(
        r.time, tenant, p.requestId, p.timeGenerated, p.requestMethod, p.requestUri,
        p.responseStatusCode, p.servicePrincipalId, p.appId, p.userId, p.userAgent, p.apiVersion,
        p.signInActivityId, p.roles, p.scopes, p.location, p.aadTenantId, p.ipAddress,
        p.responseSizeBytes, p.durationMs, p.clientAuthMethod,
    )  # fmt: skip
