"""Graph ``directoryAudit`` → :class:`AuditEvent`, plus the parts shared with Log Analytics rows.

Input: one item of ``GET /auditLogs/directoryAudits`` (spec §5.5) or the ``properties`` of a
diagnostic-settings ``AuditLogs`` record (same camelCase shape). Required: ``id``,
``activityDateTime``, ``activityDisplayName``. The activity name is kept verbatim (Entra writes
``Update application – Certificates and secrets management `` with an EN DASH and a trailing
space); match names with :func:`activity_key`.

``initiatedBy``: a non-empty ``user`` gives ``Initiator(kind="user")``, else a non-empty ``app``
gives ``Initiator(kind="app", id=servicePrincipalId)``. ``modifiedProperties`` old/new values and
``additionalDetails`` values are JSON text in Graph; a value that an exporter already decoded is
re-encoded as compact JSON text rather than rejected.

GUID-valued fields are lower-cased when they are GUIDs (:func:`vigil.normalize.values.
canonical_guid`): ``id``, ``correlationId``, the initiator's ``id`` / ``appId`` /
``servicePrincipalId`` and each target's ``id``, so an actor or a target joins the sign-ins and
the inventory of the same principal whatever case its export used. Names, values of modified
properties and additional details are kept verbatim.
"""

from __future__ import annotations

from typing import Any

import orjson

from vigil.model import AuditEvent, AuditTarget, Initiator, ModifiedProperty
from vigil.normalize.rejected import Invalid, Rejected, wrong_type
from vigil.normalize.timestamps import parse_time
from vigil.normalize.values import (
    canonical_ip,
    objects,
    opt_dict,
    opt_guid,
    opt_str,
    req_guid,
    req_str,
)

KIND = "audit"

_DASHES = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63"})


def activity_key(name: str) -> str:
    """Fold an activity name for matching: any dash → ``-``, whitespace collapsed, case folded.

    ``activity_key("Update application – Certificates and secrets management ")`` ==
    ``activity_key("Update application - Certificates and secrets management")``.
    """
    return " ".join(name.translate(_DASHES).split()).casefold()


def normalize_directory_audit(data: dict[str, Any]) -> AuditEvent | Rejected:
    """Normalize one Graph-shaped audit record; never raises."""
    try:
        g = data.get
        return AuditEvent(
            id=req_guid(g("id"), "id"),
            activity_date_time=parse_time(g("activityDateTime"), "activityDateTime"),
            activity_display_name=req_str(g("activityDisplayName"), "activityDisplayName"),
            category=opt_str(g("category"), "category"),
            operation_type=opt_str(g("operationType"), "operationType"),
            result=opt_str(g("result"), "result"),
            result_reason=opt_str(g("resultReason"), "resultReason"),
            logged_by_service=opt_str(g("loggedByService"), "loggedByService"),
            correlation_id=opt_guid(g("correlationId"), "correlationId"),
            initiated_by=initiator_from(g("initiatedBy"), "initiatedBy"),
            targets=targets_from(g("targetResources"), "targetResources"),
            additional_details=details_from(g("additionalDetails"), "additionalDetails"),
        )
    except Invalid as exc:
        return exc.rejected(KIND)
    except Exception as exc:  # the contract is "never raises": report, don't crash
        return Rejected(KIND, f"unexpected {type(exc).__name__}: {exc}", None)


def initiator_from(value: object, field: str) -> Initiator | None:
    """Graph ``auditActivityInitiator`` → Initiator (user preferred over app), or None."""
    obj = opt_dict(value, field)
    if not obj:
        return None
    user = opt_dict(obj.get("user"), field + ".user")
    if user and any(user.get(k) for k in ("id", "userPrincipalName", "displayName")):
        f = field + ".user."
        return Initiator(
            kind="user",
            id=opt_guid(user.get("id"), f + "id"),
            display_name=opt_str(user.get("displayName"), f + "displayName"),
            user_principal_name=opt_str(user.get("userPrincipalName"), f + "userPrincipalName"),
            ip_address=canonical_ip(user.get("ipAddress"), f + "ipAddress"),
        )
    app = opt_dict(obj.get("app"), field + ".app")
    if app and any(app.get(k) for k in ("servicePrincipalId", "appId", "displayName")):
        f = field + ".app."
        spid = opt_guid(app.get("servicePrincipalId"), f + "servicePrincipalId")
        display = opt_str(app.get("displayName"), f + "displayName")
        return Initiator(
            kind="app",
            id=spid,
            display_name=display
            or opt_str(app.get("servicePrincipalName"), f + "servicePrincipalName"),
            app_id=opt_guid(app.get("appId"), f + "appId"),
            service_principal_id=spid,
            ip_address=canonical_ip(app.get("ipAddress"), f + "ipAddress"),
        )
    return None


def targets_from(value: object, field: str) -> tuple[AuditTarget, ...]:
    """Graph ``targetResource[]`` → AuditTargets with their modified properties."""
    targets = []
    for f, item in objects(value, field):
        g = item.get
        props = []
        for pf, prop in objects(g("modifiedProperties"), f + ".modifiedProperties"):
            props.append(
                ModifiedProperty(
                    display_name=opt_str(prop.get("displayName"), pf + ".displayName") or "",
                    old_value=_json_text(prop.get("oldValue")),
                    new_value=_json_text(prop.get("newValue")),
                )
            )
        targets.append(
            AuditTarget(
                id=opt_guid(g("id"), f + ".id"),
                type=opt_str(g("type"), f + ".type"),
                display_name=opt_str(g("displayName"), f + ".displayName"),
                user_principal_name=opt_str(g("userPrincipalName"), f + ".userPrincipalName"),
                modified_properties=tuple(props),
            )
        )
    return tuple(targets)


def details_from(value: object, field: str) -> tuple[tuple[str, str | None], ...]:
    """Graph ``keyValue[]`` → ``((key, value), ...)``; entries without a key are an error."""
    details = []
    for f, item in objects(value, field):
        key = item.get("key")
        if type(key) is not str:
            raise wrong_type(f + ".key", "a string", key)
        details.append((key, _json_text(item.get("value"))))
    return tuple(details)


def _json_text(value: object) -> str | None:
    if value is None or type(value) is str:
        return value
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        raise Invalid(None, f"value not representable as JSON: {type(value).__name__}") from None
