"""The normalizer registry and the :func:`normalize` dispatcher.

``NORMALIZERS`` maps every shape of :data:`vigil.normalize.classify.SHAPE_KINDS` to its
normalizer (a test keeps the two complete). ``normalize`` classifies a record, honours a forced
kind (the CLI's ``--kind``), and returns a model object or :class:`Rejected`; it never raises.
A record with an integer beyond 64 bits, a value longer than its store column or a string holding
a NUL character (:mod:`vigil.normalize.widths`) is rejected here, naming the field, for every
shape and database.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vigil.model import Application, AuditEvent, GraphActivity, ServicePrincipal, SignIn
from vigil.normalize.audit import normalize_directory_audit
from vigil.normalize.classify import (
    AUDIT,
    DIAG_AUDIT,
    DIAG_GRAPH_ACTIVITY,
    DIAG_MI_SIGNIN,
    DIAG_SP_SIGNIN,
    DIRECTORY,
    GRAPH_APPLICATION,
    GRAPH_AUDIT,
    GRAPH_SERVICE_PRINCIPAL,
    GRAPH_SIGNIN,
    KINDS,
    LA_AUDIT,
    LA_GRAPH_ACTIVITY,
    LA_MI_SIGNIN,
    LA_SP_SIGNIN,
    PROPS_GRAPH_ACTIVITY,
    PS_APPLICATION,
    PS_AUDIT,
    PS_SERVICE_PRINCIPAL,
    PS_SIGNIN,
    SIGNINS,
    classify,
)
from vigil.normalize.diagnostic import (
    normalize_diagnostic_audit,
    normalize_diagnostic_graph_activity,
    normalize_diagnostic_signin,
)
from vigil.normalize.directory import normalize_application, normalize_service_principal
from vigil.normalize.graph_activity import normalize_graph_activity
from vigil.normalize.graph_signin import normalize_graph_signin
from vigil.normalize.la_audit import normalize_la_audit
from vigil.normalize.la_signin import normalize_la_signin
from vigil.normalize.powershell import graph_json, powershell_rejected
from vigil.normalize.rejected import Invalid, Rejected
from vigil.normalize.timestamps import DAY_FIRST, HINT_DAY_FIRST
from vigil.normalize.widths import holds_nul, too_long

Normalized = SignIn | AuditEvent | GraphActivity | ServicePrincipal | Application
Normalizer = Callable[[dict[str, Any]], Normalized | Rejected]


def _camel_graph_activity(data: dict[str, Any]) -> GraphActivity | Rejected:
    return normalize_graph_activity(data, diagnostic=True)


def _from_powershell(kind: str, graph: Normalizer) -> Normalizer:
    """The normalizer of a PowerShell SDK object: its Graph JSON through ``graph``, a rejection
    naming the field as the object spells it (:mod:`vigil.normalize.powershell`)."""

    def normalize_powershell(data: dict[str, Any]) -> Normalized | Rejected:
        try:
            result = graph(graph_json(data))
        except Invalid as exc:
            return exc.rejected(kind)
        except RecursionError:  # hundreds of levels deep (or, from Python, a cycle)
            return Rejected(kind, "objects nested too deeply to read")
        return powershell_rejected(data, result) if type(result) is Rejected else result

    return normalize_powershell


#: Shape → normalizer. Explicit, complete (see tests), no import-time registration.
NORMALIZERS: dict[str, Normalizer] = {
    GRAPH_SIGNIN: normalize_graph_signin,
    GRAPH_AUDIT: normalize_directory_audit,
    GRAPH_SERVICE_PRINCIPAL: normalize_service_principal,
    GRAPH_APPLICATION: normalize_application,
    LA_SP_SIGNIN: normalize_la_signin,
    LA_MI_SIGNIN: normalize_la_signin,
    LA_AUDIT: normalize_la_audit,
    LA_GRAPH_ACTIVITY: normalize_graph_activity,
    DIAG_SP_SIGNIN: normalize_diagnostic_signin,
    DIAG_MI_SIGNIN: normalize_diagnostic_signin,
    DIAG_AUDIT: normalize_diagnostic_audit,
    DIAG_GRAPH_ACTIVITY: normalize_diagnostic_graph_activity,
    PROPS_GRAPH_ACTIVITY: _camel_graph_activity,
    PS_SIGNIN: _from_powershell(SIGNINS, normalize_graph_signin),
    PS_AUDIT: _from_powershell(AUDIT, normalize_directory_audit),
    PS_SERVICE_PRINCIPAL: _from_powershell(DIRECTORY, normalize_service_principal),
    PS_APPLICATION: _from_powershell(DIRECTORY, normalize_application),
}


#: Integer fields the store keeps in 64-bit columns, with the name a rejection gives them.
_INT_FIELDS: dict[type, tuple[tuple[str, str], ...]] = {
    SignIn: (("error_code", "status.errorCode"), ("asn", "autonomousSystemNumber")),
    GraphActivity: (
        ("response_status_code", "responseStatusCode"),
        ("response_size_bytes", "responseSizeBytes"),
        ("duration_ms", "durationMs"),
        ("client_auth_method", "clientAuthMethod"),
    ),
}
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1

#: Log Analytics shapes: a row without any time column gets ``TimeGenerated`` = received time.
LA_SHAPES = frozenset({LA_SP_SIGNIN, LA_MI_SIGNIN, LA_AUDIT, LA_GRAPH_ACTIVITY})
_LA_TIME_COLUMNS = ("TimeGenerated", "ActivityDateTime", "CreatedDateTime")


def normalize(
    data: Any,
    *,
    kind: str | None = None,
    shape_hint: str | None = None,
    received_at: str | None = None,
) -> Normalized | Rejected:
    """Normalize one raw record of any supported shape; never raises.

    ``kind`` (``signins``, ``audit``, ``graphactivity`` or ``directory``) forces the kind: a
    record of another kind is rejected with a reason saying so. ``shape_hint`` is the reader's
    hint (see :func:`vigil.normalize.classify.classify`).

    ``received_at`` (ISO 8601) follows Log Analytics' own rule that ``TimeGenerated`` is the time
    a record was received when the record does not carry one: a Log Analytics row with no time
    column at all (some hunting-query CSV exports drop them) takes it. Other shapes must carry
    their time.
    """
    if shape_hint == HINT_DAY_FIRST:  # a CSV file whose dates are day first (csv_reader)
        token = DAY_FIRST.set(True)
        try:
            return normalize(data, kind=kind, received_at=received_at)
        finally:
            DAY_FIRST.reset(token)
    if kind is not None and kind not in KINDS:
        return Rejected(None, f"unknown kind {kind!r} (expected one of {', '.join(KINDS)})")
    if type(data) is not dict:
        return Rejected(kind, f"expected a JSON object, got {type(data).__name__}")
    detected: str | None = None
    try:
        detected, shape = classify(data, shape_hint)
        if shape is None:
            return Rejected(kind, "unrecognised record shape")
        if kind is not None and detected != kind:
            return Rejected(
                detected,
                f"{'an' if detected[:1] in 'aeiou' else 'a'} {detected} record where only"
                f" {kind} records were asked for",
            )
        if (
            received_at is not None
            and shape in LA_SHAPES
            and not any(data.get(c) for c in _LA_TIME_COLUMNS)
        ):
            data = {**data, "TimeGenerated": received_at}
        result = NORMALIZERS[shape](data)
        fields = _INT_FIELDS.get(type(result))
        if fields is not None:
            for name, label in fields:
                value = getattr(result, name)
                if value is not None and not _INT64_MIN <= value <= _INT64_MAX:
                    return Rejected(detected, "out of the 64-bit integer range", label)
        overlong = too_long(result)
        if overlong is not None:
            label, width = overlong
            return Rejected(detected, f"longer than {width} characters", label)
        nul = holds_nul(result)
        if nul is not None:
            return Rejected(detected, "holds a NUL character, which the store cannot keep", nul)
        return result
    except Exception as exc:  # the contract is "never raises": report, don't crash
        return Rejected(detected, f"unexpected {type(exc).__name__}: {exc}")
