"""Risk actions: record detections, confirm compromised, dismiss, remediate, enable/disable, age out.

Every change goes through ``RiskRepository.apply`` + the pure ``vigil.risk.transition``. Bulk actions
check every id first: when any is unknown nothing changes and ``UnknownServicePrincipals`` names
them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Connection

from vigil.model import RiskDetection
from vigil.normalize.values import canonical_guid, is_guid
from vigil.risk import (
    Action,
    AgeOut,
    ConfirmCompromised,
    DetectionAdded,
    Dismiss,
    Remediate,
    RiskSubject,
    SetEnabled,
    SpRisk,
    Transition,
    already_done,
    initial_state,
    needs_age_out,
    transition,
)
from vigil.store import Store
from vigil.store.database import IMMEDIATE

Clock = Callable[[], datetime]


class UnknownServicePrincipals(LookupError):
    def __init__(self, ids: Sequence[str]) -> None:
        super().__init__(f"unknown service principal id(s): {', '.join(ids)}")
        self.ids = tuple(ids)


@dataclass(frozen=True)
class RiskService:
    store: Store
    clock: Clock

    def subject(
        self,
        sp_id: str,
        detection: RiskDetection | None = None,
        conn: Connection | None = None,
    ) -> RiskSubject | None:
        """What is known of the principal: the inventory first, else what a detection says."""
        sp = self.store.inventory.service_principal(sp_id, conn)
        if sp is not None:
            return RiskSubject(
                id=sp.id,
                display_name=sp.display_name,
                app_id=sp.app_id,
                service_principal_type=sp.service_principal_type.value,
                is_enabled=sp.account_enabled,
            )
        if detection is not None:
            return RiskSubject(
                id=sp_id,
                display_name=detection.service_principal_display_name,
                app_id=detection.app_id,
                service_principal_type=None,
            )
        return None

    def _apply(
        self,
        sp_id: str,
        action: Action,
        subject: RiskSubject | None,
        conn: Connection | None = None,
        force: bool = False,
    ) -> Transition | None:
        """Apply ``action`` to ``sp_id``'s risk state; an admin action already done is skipped
        (``already_done``) unless ``force`` (it changes something outside the risk record)."""
        now = self.clock()

        def step(state: SpRisk | None) -> Transition | None:
            if state is None:
                if subject is None:
                    raise UnknownServicePrincipals([sp_id])
                state = initial_state(subject, now)
            if isinstance(action, AgeOut) and not needs_age_out(state, now):
                return None
            if not force and already_done(state, action):
                return None
            return transition(state, action, now)

        return self.store.risk.apply(sp_id, step, conn)

    def record_detection(
        self, detection: RiskDetection, conn: Connection | None = None
    ) -> Transition | None:
        """Record a detector's finding; returns the transition, or None when nothing changed.

        A detection id seen before keeps its first ``detected_date_time`` and its risk state (a
        dismissed detection stays dismissed). If its evidence grew, an open detection is replaced
        through a transition (its level may rise) and a closed one is rewritten in place. A
        detection that names no principal or appId (Graph activity logs carry no name) takes the
        inventory's, as stored ones do when a snapshot arrives (``RiskRepository.describe``).
        """
        old = self.store.risk.detection(detection.id, conn)
        if detection.service_principal_display_name is None or detection.app_id is None:
            detection = self._named(detection, old, conn)
        if old is not None:
            merged = replace(
                detection,
                detected_date_time=old.detected_date_time,
                last_updated_date_time=old.last_updated_date_time,
                risk_state=old.risk_state,
                risk_detail=old.risk_detail,
            )
            if merged == old:
                return None  # the same evidence again (re-ingest, rebuild)
            detection = replace(merged, last_updated_date_time=self.clock())
            if not old.is_open:
                self.store.risk.update_detection(detection, conn)
                return None
        sp_id = detection.service_principal_id
        known = self.store.risk.existing_ids([sp_id], conn)
        subject = None if known else self.subject(sp_id, detection, conn)
        return self._apply(sp_id, DetectionAdded(detection), subject, conn)

    def _named(
        self, detection: RiskDetection, old: RiskDetection | None, conn: Connection | None
    ) -> RiskDetection:
        """``detection`` with the name and appId it lacks: as recorded before (a principal
        renamed since is no new evidence), else the inventory's."""
        name = old.service_principal_display_name if old is not None else None
        app = old.app_id if old is not None else None
        if name is None or app is None:
            sp = self.store.inventory.service_principal(detection.service_principal_id, conn)
            if sp is not None:
                name, app = name or sp.display_name, app or sp.app_id
        return replace(
            detection,
            service_principal_display_name=detection.service_principal_display_name or name,
            app_id=detection.app_id or app,
        )

    def stored_id(self, sp_id: str, conn: Connection | None = None) -> str:
        """The spelling the store knows ``sp_id`` by. GUIDs are stored lower-case and match
        whatever their case, as Graph's do; a principal stored before GUIDs were lower-cased at
        ingest keeps its spelling and is found by it or by any other (an unknown GUID: the
        lower-case one). A risk record comes first: where its risk state lives, even when a
        later snapshot added the principal to the inventory lower-case."""
        canonical = canonical_guid(sp_id)
        if not is_guid(canonical):
            return sp_id
        # the spelling given and KQL's toupper() first: indexed look-ups; then a scan
        spellings = list(dict.fromkeys((canonical, sp_id, canonical.upper())))
        risk, inventory = self.store.risk, self.store.inventory
        found = risk.existing_ids(spellings, conn)
        for spelled in spellings:
            if spelled in found:
                return spelled
        known = inventory.service_principals(spellings, conn)
        for spelled in spellings:
            if spelled in known:
                return spelled
        return (
            risk.spelled_otherwise(canonical, conn)
            or inventory.spelled_otherwise(canonical, conn)
            or canonical
        )

    def _bulk(
        self,
        ids: Sequence[str],
        make: Callable[[], Action],
        also: Callable[[str, Connection], object] | None = None,
        changes: Callable[[str, Connection], bool] | None = None,
    ) -> list[Transition]:
        """Apply an admin action to every id (in any case, :meth:`stored_id`) in one
        transaction: all of them or, on an unknown id or any failure, none. ``also`` runs for
        each id in that transaction; where ``changes`` says it will change something, the
        action is recorded even if the risk record says it is already done."""
        with self.store.engine.connect() as conn:
            conn = conn.execution_options(**{IMMEDIATE: True})
            with conn.begin():
                ids = list(dict.fromkeys(self.stored_id(i, conn) for i in ids))
                known = self.store.risk.existing_ids(ids, conn)
                subjects = {i: self.subject(i, None, conn) for i in ids if i not in known}
                missing = [i for i, s in subjects.items() if s is None]
                if missing:
                    raise UnknownServicePrincipals(missing)
                forced = {i for i in ids if changes is not None and changes(i, conn)}
                done = [self._apply(i, make(), subjects.get(i), conn, i in forced) for i in ids]
                for i in ids if also is not None else ():
                    also(i, conn)
        return [t for t in done if t is not None]

    def confirm_compromised(self, ids: Sequence[str], actor: str) -> list[Transition]:
        return self._bulk(ids, lambda: ConfirmCompromised(actor))

    def dismiss(self, ids: Sequence[str], actor: str) -> list[Transition]:
        return self._bulk(ids, lambda: Dismiss(actor))

    def remediate(self, ids: Sequence[str], actor: str) -> list[Transition]:
        return self._bulk(ids, lambda: Remediate(actor))

    def set_enabled(self, ids: Sequence[str], enabled: bool, actor: str) -> list[Transition]:
        """Record an enable or disable in the risk history and, for an inventoried principal,
        set its ``accountEnabled``: both in one transaction."""
        inventory = self.store.inventory

        def changes(sp_id: str, conn: Connection) -> bool:
            # the risk record's flag is set when it is made; a later snapshot may say otherwise
            sp = inventory.service_principal(sp_id, conn)
            return sp is not None and sp.account_enabled != enabled

        return self._bulk(
            ids,
            lambda: SetEnabled(actor, enabled),
            lambda i, conn: inventory.set_account_enabled(i, enabled, conn),
            changes,
        )

    def age_out(self, ids: Sequence[str]) -> list[Transition]:
        done = [self._apply(i, AgeOut(), None) for i in ids]
        return [t for t in done if t is not None]
