"""What a detector is: the contract every module in ``vigil.detections`` implements.

A detector turns newly stored records into ``RiskDetection`` values. It runs inline during
``vigil ingest`` (inside each batch's transaction) and in ``vigil detect --rebuild`` (a replay of
the store in time order); both must give the same detections, so a detector:

* derives detection ids from its evidence with ``vigil.model.detection_id`` (same evidence, same
  id; an episode that grows keeps the id of its first record);
* takes times from the records, never from a wall clock (``detected_date_time`` is set by the
  caller's clock, and kept from the first time a detection id was seen);
* keeps whatever it learns in ``DetectionContext.state`` (JSON, versioned; never pickle), which is
  persisted in the same transaction as the batch, so a crash loses nothing that was committed;
* does not depend on how records are cut into batches.

What a detector learns from the order records *arrived* in, not from the records, cannot be
replayed (maliciousApplication dates a snapshot by the newest record ingested before it, and the
replay gives the inventory first). Such a detector implements :class:`CarriesOver`: the rebuild
hands it each of its states before forgetting them and keeps what it returns.

``detect`` must not raise on odd but valid records; a detector that needs data it lacks (e.g.
inventory) simply reports nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar, Protocol, runtime_checkable

from vigil.model import (
    Application,
    AuditEvent,
    GraphActivity,
    RiskDetection,
    ServicePrincipal,
    SignIn,
)


class Records(Protocol):
    """Records new in the store, in input order (``vigil.ingest.pipeline.NewRecords``)."""

    sign_ins: list[SignIn]
    audit_events: list[AuditEvent]
    graph_activities: list[GraphActivity]
    service_principals: list[ServicePrincipal]
    applications: list[Application]


class DetectionContext(Protocol):
    """Read access to the world and a place to keep state; implemented over the store."""

    def now(self) -> datetime:
        """The caller's clock (for ``detected_date_time`` and ``last_updated_date_time``)."""
        ...

    def service_principal(self, sp_id: str) -> ServicePrincipal | None: ...

    def service_principal_by_app_id(self, app_id: str) -> ServicePrincipal | None: ...

    def application_by_app_id(self, app_id: str) -> Application | None: ...

    def detections(self, ids: Sequence[str]) -> dict[str, RiskDetection]:
        """The stored detections among ``ids`` (with their risk state as admins left it), by id;
        ids not stored yet are left out. Detectors ask it to learn from dismissals."""
        ...

    def confirmations(self, sp_id: str) -> list[datetime]:
        """When admins confirmed ``sp_id`` compromised (the ``activityDateTime`` of its
        ``adminConfirmedServicePrincipalCompromised`` detections)."""
        ...

    def load_state(self, detector: str, key: str) -> Mapping[str, Any] | None:
        """The JSON state a detector saved under ``key`` (e.g. a principal's id), or None."""
        ...

    def save_state(self, detector: str, key: str, state: Mapping[str, Any]) -> None:
        """Keep ``state`` (JSON-compatible, with a ``version``); written with the batch."""
        ...


class Detector(Protocol):
    #: Graph's ``riskEventType`` id this detector reports; also its registry key.
    risk_event_type: ClassVar[str]

    def detect(self, records: Records, ctx: DetectionContext) -> list[RiskDetection]: ...


@runtime_checkable
class CarriesOver(Protocol):
    """A detector with state that ``vigil detect --rebuild`` must keep (see the module doc)."""

    def carry_over(self, key: str, state: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """What of ``state`` (saved under ``key``) the replay cannot re-derive, or None."""
        ...
