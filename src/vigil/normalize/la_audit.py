"""Log Analytics ``AuditLogs`` rows → :class:`AuditEvent` (spec §5.5).

JSON rows or CSV exports; the dynamic columns ``InitiatedBy``, ``TargetResources`` and
``AdditionalDetails`` arrive as JSON text (CSV, hunting exports) or already decoded (API JSON).
Columns used: ``Id`` (required), ``ActivityDateTime`` else ``TimeGenerated`` (required),
``ActivityDisplayName`` else ``OperationName`` (required, verbatim), ``Category``,
``AADOperationType`` (else ``OperationType``), ``Result``, ``ResultReason``, ``LoggedByService``,
``CorrelationId``. Extra columns added by hunting queries (``target``, ``keyEvents``,
``InitiatingUserOrApp``...) are ignored: the dynamic columns are the source of truth. GUID-valued
fields are lower-cased when they are GUIDs, as in :mod:`vigil.normalize.audit`.
"""

from __future__ import annotations

from typing import Any

from vigil.model import AuditEvent
from vigil.normalize.audit import KIND, details_from, initiator_from, targets_from
from vigil.normalize.rejected import Invalid, Rejected
from vigil.normalize.timestamps import parse_time
from vigil.normalize.values import json_value, opt_guid, opt_str, req_guid, req_str


def normalize_la_audit(data: dict[str, Any]) -> AuditEvent | Rejected:
    """Normalize one Log Analytics ``AuditLogs`` row; never raises."""
    try:
        g = data.get
        time_field = "ActivityDateTime" if g("ActivityDateTime") else "TimeGenerated"
        if not g(time_field):
            raise Invalid(
                "ActivityDateTime", "missing required field (no ActivityDateTime/TimeGenerated)"
            )
        name_field = "ActivityDisplayName" if g("ActivityDisplayName") else "OperationName"
        return AuditEvent(
            id=req_guid(g("Id"), "Id"),
            activity_date_time=parse_time(g(time_field), time_field),
            activity_display_name=req_str(g(name_field), "ActivityDisplayName"),
            category=opt_str(g("Category"), "Category"),
            operation_type=opt_str(g("AADOperationType") or g("OperationType"), "AADOperationType"),
            result=opt_str(g("Result"), "Result"),
            result_reason=opt_str(g("ResultReason"), "ResultReason"),
            logged_by_service=opt_str(g("LoggedByService"), "LoggedByService"),
            correlation_id=opt_guid(g("CorrelationId"), "CorrelationId"),
            initiated_by=initiator_from(json_value(g("InitiatedBy"), "InitiatedBy"), "InitiatedBy"),
            targets=targets_from(
                json_value(g("TargetResources"), "TargetResources"), "TargetResources"
            ),
            additional_details=details_from(
                json_value(g("AdditionalDetails"), "AdditionalDetails"), "AdditionalDetails"
            ),
        )
    except Invalid as exc:
        return exc.rejected(KIND)
    except Exception as exc:  # the contract is "never raises": report, don't crash
        return Rejected(KIND, f"unexpected {type(exc).__name__}: {exc}", None)
