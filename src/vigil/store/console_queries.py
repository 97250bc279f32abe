"""Small read queries of the web console: an investigation's recent activity and the overview counts.

Each is one indexed query bounded by a ``limit`` (or a grouped count), so the console's pages stay
fast with 10^5 principals and 10^8 sign-ins: recent sign-ins and audit events use the
``(service_principal_id, created_at)``, ``(initiator_service_principal_id, activity_at)`` and
``(target_id, activity_at)`` indexes read backwards; the overview groups the risk tables.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import Engine, bindparam, func, select

from vigil.model import AuditEvent, RiskDetection, SignIn
from vigil.store.bytewise import bytewise
from vigil.store.codec import from_doc
from vigil.store.risk import _detection_from
from vigil.store.signin_rows import SIGN_IN_READ, sign_in_from_row
from vigil.store.tables import (
    audit_events,
    audit_targets,
    risk_detections,
    risky_service_principals,
    sign_ins,
)

S = sign_ins.c
A = audit_events.c
T = audit_targets.c
D = risk_detections.c
R = risky_service_principals.c


class ConsoleQueries:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    # -- one principal ----------------------------------------------------------------------------

    def recent_sign_ins(self, sp_id: str, limit: int = 50) -> list[SignIn]:
        """The principal's newest sign-ins, newest first."""
        query = (
            select(*SIGN_IN_READ)
            .where(S.service_principal_id == sp_id)
            .order_by(S.created_at.desc(), S.pk.desc())
            .limit(limit)
        )
        with self._engine.connect() as conn:
            return [sign_in_from_row(r) for r in conn.execute(query)]

    def sign_ins_by_ids(self, sp_id: str, ids: Iterable[str]) -> list[SignIn]:
        """The principal's sign-ins whose id or correlation id is one of ``ids``."""
        wanted = sorted({i for i in ids if i})[:500]
        if not wanted:
            return []
        query = select(*SIGN_IN_READ).where(
            S.service_principal_id == sp_id,
            S.id.in_(wanted) | S.correlation_id.in_(wanted),
        )
        with self._engine.connect() as conn:
            return [sign_in_from_row(r) for r in conn.execute(query)]

    def key_last_used(self, sp_id: str) -> dict[str, datetime]:
        """``credential_key_id`` → time of the principal's newest sign-in with that key."""
        query = (
            select(S.credential_key_id, func.max(S.created_at))
            .where(S.service_principal_id == sp_id, S.credential_key_id.is_not(None))
            .group_by(S.credential_key_id)
        )
        with self._engine.connect() as conn:
            rows = conn.execute(query).all()
        # max() keeps the column's type: the values come back as aware datetimes.
        return {str(k).lower(): t for k, t in rows if k and t is not None}

    def audits_by(self, sp_id: str, limit: int = 25) -> list[AuditEvent]:
        """Audit events the principal initiated, newest first."""
        query = (
            select(A.data)
            .where(A.initiator_service_principal_id == sp_id)
            .order_by(A.activity_at.desc(), A.pk.desc())
            .limit(limit)
        )
        with self._engine.connect() as conn:
            return [from_doc(d, AuditEvent) for d in conn.execute(query).scalars()]

    def audits_on(self, target_ids: Sequence[str], limit: int = 25) -> list[AuditEvent]:
        """Audit events that name one of ``target_ids`` as a target, newest first."""
        pks = (
            select(T.audit_pk)
            .where(T.target_id.in_(list(target_ids)))
            .order_by(T.activity_at.desc())
            .limit(limit)
            .scalar_subquery()
        )
        query = (
            select(A.data)
            .where(A.pk.in_(pks))
            .order_by(A.activity_at.desc(), A.pk.desc())
            .limit(limit)
        )
        with self._engine.connect() as conn:
            return [from_doc(d, AuditEvent) for d in conn.execute(query).scalars()]

    def detections_of(self, sp_id: str, limit: int = 200) -> list[RiskDetection]:
        """The principal's detections, newest activity first."""
        query = (
            select(risk_detections)
            .where(D.service_principal_id == sp_id)
            .order_by(D.activity_at.desc(), bytewise(D.id))
            .limit(limit)
        )
        with self._engine.connect() as conn:
            return [_detection_from(r) for r in conn.execute(query)]

    # -- overview ---------------------------------------------------------------------------------

    def risky_counts(self, column: str) -> dict[str, int]:
        """Risky principals per ``risk_level`` or ``risk_state`` (an index-only scan each)."""
        col = {"risk_level": R.risk_level, "risk_state": R.risk_state}[column]
        query = select(col, func.count()).group_by(col)
        with self._engine.connect() as conn:
            return {str(k): int(n) for k, n in conn.execute(query).all()}

    def detections_by_type(self) -> dict[str, int]:
        """Detections per ``risk_event_type`` (an index-only scan)."""
        query = select(D.risk_event_type, func.count()).group_by(D.risk_event_type)
        with self._engine.connect() as conn:
            return {str(k): int(n) for k, n in conn.execute(query).all()}

    def detections_per_day(
        self, types: Sequence[str], start: datetime, days: int
    ) -> dict[str, list[int]]:
        """Detections of each of ``types`` per UTC day, for ``days`` days from ``start``.

        One range count per (type, day) on the ``(risk_event_type, activity_at)`` index: no row is
        read and nothing is sorted (a ``GROUP BY`` over a computed day sorts every detection).
        """
        bounds = [start + timedelta(days=i) for i in range(days + 1)]
        query = select(func.count()).where(
            D.risk_event_type == bindparam("kind"),
            D.activity_at >= bindparam("lo", type_=D.activity_at.type),
            D.activity_at < bindparam("hi", type_=D.activity_at.type),
        )
        out: dict[str, list[int]] = {}
        with self._engine.connect() as conn:
            for kind in types:
                counts = [
                    int(conn.execute(query, {"kind": kind, "lo": lo, "hi": hi}).scalar_one())
                    for lo, hi in itertools.pairwise(bounds)
                ]
                if any(counts):
                    out[kind] = counts
        return out
