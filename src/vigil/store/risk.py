"""Risky service principals, their detections and their append-only history.

``RiskRepository.apply`` is the one way risk changes are written: inside a single transaction that
holds the principal's write lock it loads the state, lets the caller run the pure
``vigil.risk.transition`` and stores the new principal row, the changed detections and exactly one
history item.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, bindparam, func, select, update

from vigil.model import (
    ActivityType,
    InfoEntry,
    Location,
    RiskDetail,
    RiskDetection,
    RiskDetectionTimingType,
    RiskEventType,
    RiskHistoryItem,
    RiskLevel,
    RiskState,
    RiskyServicePrincipal,
    ServicePrincipal,
    TokenIssuerType,
)
from vigil.risk import SpRisk, Transition
from vigil.store.bytewise import bytewise
from vigil.store.codec import from_doc, to_doc
from vigil.store.database import IMMEDIATE, transaction
from vigil.store.inventory import upsert_statement
from vigil.store.tables import risk_detections, risk_history, risky_service_principals

R = risky_service_principals.c
D = risk_detections.c
H = risk_history.c

#: Model field name → column, for filters and orderings over risky service principals.
RISKY_COLUMNS: dict[str, Any] = {
    "id": R.id,
    "app_id": R.app_id,
    "display_name": R.display_name,
    "service_principal_type": R.service_principal_type,
    "is_enabled": R.is_enabled,
    "is_processing": R.is_processing,
    "risk_level": R.risk_level,
    "risk_state": R.risk_state,
    "risk_detail": R.risk_detail,
    "risk_last_updated_date_time": R.risk_last_updated_at,
}

#: Model field name → column, for filters and orderings over detections.
DETECTION_COLUMNS: dict[str, Any] = {
    "id": D.id,
    "service_principal_id": D.service_principal_id,
    "risk_event_type": D.risk_event_type,
    "risk_level": D.risk_level,
    "risk_state": D.risk_state,
    "risk_detail": D.risk_detail,
    "activity": D.activity,
    "activity_date_time": D.activity_at,
    "detected_date_time": D.detected_at,
    "last_updated_date_time": D.last_updated_at,
    "detection_timing_type": D.detection_timing_type,
    "source": D.source,
    "token_issuer_type": D.token_issuer_type,
    "app_id": D.app_id,
    "service_principal_display_name": D.service_principal_display_name,
    "ip_address": D.ip_address,
    "request_id": D.request_id,
    "correlation_id": D.correlation_id,
    "mitre_technique_id": D.mitre_technique_id,
}


def _risky_row(p: RiskyServicePrincipal, sequence: int) -> dict[str, Any]:
    return {
        "id": p.id,
        "app_id": p.app_id,
        "display_name": p.display_name,
        "service_principal_type": p.service_principal_type,
        "is_enabled": p.is_enabled,
        "is_processing": p.is_processing,
        "risk_level": p.risk_level.value,
        "risk_state": p.risk_state.value,
        "risk_detail": p.risk_detail.value,
        "risk_last_updated_at": p.risk_last_updated_date_time,
        "sequence": sequence,
    }


def _risky_from(row: Any) -> RiskyServicePrincipal:
    return RiskyServicePrincipal(
        id=row.id,
        display_name=row.display_name,
        app_id=row.app_id,
        service_principal_type=row.service_principal_type,
        is_enabled=row.is_enabled,
        is_processing=row.is_processing,
        risk_level=RiskLevel(row.risk_level),
        risk_state=RiskState(row.risk_state),
        risk_detail=RiskDetail(row.risk_detail),
        risk_last_updated_date_time=row.risk_last_updated_at,
    )


def _detection_row(d: RiskDetection) -> dict[str, Any]:
    return {
        "id": d.id,
        "service_principal_id": d.service_principal_id,
        "risk_event_type": d.risk_event_type,
        "risk_level": d.risk_level.value,
        "risk_state": d.risk_state.value,
        "risk_detail": d.risk_detail.value,
        "activity": d.activity.value,
        "activity_at": d.activity_date_time,
        "detected_at": d.detected_date_time,
        "last_updated_at": d.last_updated_date_time,
        "detection_timing_type": d.detection_timing_type.value,
        "source": d.source,
        "token_issuer_type": d.token_issuer_type.value,
        "app_id": d.app_id,
        "service_principal_display_name": d.service_principal_display_name,
        "ip_address": d.ip_address,
        "request_id": d.request_id,
        "correlation_id": d.correlation_id,
        "mitre_technique_id": d.mitre_technique_id,
        "location": to_doc(d.location) if d.location else None,
        "key_ids": list(d.key_ids),
        "additional_info": [[e.key, e.value] for e in d.additional_info],
    }


def _detection_from(row: Any) -> RiskDetection:
    return RiskDetection(
        id=row.id,
        service_principal_id=row.service_principal_id,
        risk_event_type=row.risk_event_type,
        risk_level=RiskLevel(row.risk_level),
        risk_state=RiskState(row.risk_state),
        risk_detail=RiskDetail(row.risk_detail),
        activity=ActivityType(row.activity),
        activity_date_time=row.activity_at,
        detected_date_time=row.detected_at,
        last_updated_date_time=row.last_updated_at,
        detection_timing_type=RiskDetectionTimingType(row.detection_timing_type),
        source=row.source,
        token_issuer_type=TokenIssuerType(row.token_issuer_type),
        app_id=row.app_id,
        service_principal_display_name=row.service_principal_display_name,
        ip_address=row.ip_address,
        request_id=row.request_id,
        correlation_id=row.correlation_id,
        mitre_technique_id=row.mitre_technique_id,
        location=from_doc(row.location, Location) if row.location else None,
        key_ids=tuple(row.key_ids),
        additional_info=tuple(InfoEntry(k, v) for k, v in row.additional_info),
    )


def _history_from(row: Any) -> RiskHistoryItem:
    return RiskHistoryItem(
        id=row.id,
        sequence=row.sequence,
        principal=from_doc(row.principal, RiskyServicePrincipal),
        initiated_by=row.initiated_by,
        activity_detail=RiskDetail(row.activity_detail),
        activity_risk_event_types=tuple(row.activity_risk_event_types),
    )


Step = Callable[[SpRisk | None], Transition | None]


class RiskRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._postgres = engine.dialect.name == "postgresql"

    # -- writes ---------------------------------------------------------------------------------

    def apply(self, sp_id: str, step: Step, conn: Connection | None = None) -> Transition | None:
        """Load ``sp_id``'s risk under its write lock, run ``step`` on it and store the result.

        ``step`` receives the current state (None when the principal was never risky) and returns a
        ``Transition`` to store, or None to change nothing. All of it is one transaction: the
        caller's ``conn`` when given (which must already hold the write lock on SQLite), else a
        new one that takes it.
        """
        if conn is not None:
            return self._apply(conn, sp_id, step)
        with self._engine.connect() as own:
            own = own.execution_options(**{IMMEDIATE: True})
            with own.begin():
                return self._apply(own, sp_id, step)

    def _apply(self, conn: Connection, sp_id: str, step: Step) -> Transition | None:
        result = step(self._load(conn, sp_id))
        if result is not None:
            self._store(conn, result)
        return result

    def _load(self, conn: Connection, sp_id: str) -> SpRisk | None:
        query = select(risky_service_principals).where(R.id == sp_id)
        if self._postgres:
            query = query.with_for_update()
        row = conn.execute(query).first()
        if row is None:
            return None
        detections = conn.execute(
            select(risk_detections).where(D.service_principal_id == sp_id).order_by(D.activity_at)
        ).all()
        return SpRisk(
            principal=_risky_from(row),
            detections=tuple(_detection_from(d) for d in detections),
            sequence=row.sequence,
        )

    def _store(self, conn: Connection, t: Transition) -> None:
        row = _risky_row(t.state.principal, t.state.sequence)
        if t.state.sequence == 1:
            conn.execute(risky_service_principals.insert(), [row])
        else:
            conn.execute(update(risky_service_principals).where(R.id == row["id"]).values(row))
        if t.changed_detections:
            stmt = upsert_statement(self._engine, risk_detections)
            rows = [_detection_row(d) for d in t.changed_detections]
            set_ = {k: stmt.excluded[k] for k in rows[0] if k != "id"}  # type: ignore[attr-defined]
            conn.execute(
                stmt.on_conflict_do_update(index_elements=["id"], set_=set_),  # type: ignore[attr-defined]
                rows,
            )
        h = t.history
        conn.execute(
            risk_history.insert(),
            [
                {
                    "id": h.id,
                    "service_principal_id": h.service_principal_id,
                    "sequence": h.sequence,
                    "recorded_at": h.principal.risk_last_updated_date_time,
                    "initiated_by": h.initiated_by,
                    "activity_detail": h.activity_detail.value,
                    "activity_risk_event_types": list(h.activity_risk_event_types),
                    "principal": to_doc(h.principal),
                }
            ],
        )

    def describe(
        self, principals: Sequence[ServicePrincipal], conn: Connection | None = None
    ) -> None:
        """Take the name, appId and type of risky principals from an inventory snapshot.

        A principal that became risky before any snapshot listed it was described by its
        detection (type unknown); these fields are what the inventory says, not risk state, so
        they change in place, with no transition or history. Detections that named no principal
        or appId (Graph activity logs carry no name) take the snapshot's the same way.
        """
        rows = [
            {
                "b_id": sp.id,
                "display_name": sp.display_name,
                "app_id": sp.app_id,
                "service_principal_type": sp.service_principal_type.value,
            }
            for sp in principals
        ]
        if not rows:
            return
        stmt = update(risky_service_principals).where(R.id == bindparam("b_id"))
        fills = [
            update(risk_detections)
            .where(D.service_principal_id == bindparam("b_id"), column.is_(None))
            .values({column.key: bindparam(f"b_{column.key}")})
            for column in (D.service_principal_display_name, D.app_id)
        ]
        named = [
            {"b_id": r["b_id"], "b_service_principal_display_name": r["display_name"],
             "b_app_id": r["app_id"]}
            for r in rows
        ]  # fmt: skip
        with transaction(self._engine, conn) as conn:
            conn.execute(stmt, rows)
            for fill in fills:
                conn.execute(fill, named)

    def update_detection(self, d: RiskDetection, conn: Connection | None = None) -> None:
        """Rewrite a stored detection's evidence; its risk fields must be the stored ones."""
        row = _detection_row(d)
        with transaction(self._engine, conn) as conn:
            conn.execute(update(risk_detections).where(D.id == d.id).values(row))

    # -- reads ----------------------------------------------------------------------------------

    def state(self, sp_id: str) -> SpRisk | None:
        with self._engine.connect() as conn:
            return self._load(conn, sp_id)

    def risky(self, sp_id: str) -> RiskyServicePrincipal | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(risky_service_principals).where(R.id == sp_id)).first()
        return None if row is None else _risky_from(row)

    def existing_ids(self, ids: Sequence[str], conn: Connection | None = None) -> set[str]:
        with transaction(self._engine, conn) as conn:
            return set(conn.execute(select(R.id).where(R.id.in_(list(ids)))).scalars())

    def spelled_otherwise(self, canonical: str, conn: Connection | None = None) -> str | None:
        """The id of a principal stored in another case than ``canonical`` (lower-case; stored
        before GUIDs were lower-cased at ingest), if any. Scans: for ids not found as given."""
        query = select(R.id).where(func.lower(R.id) == canonical).limit(1)
        with transaction(self._engine, conn) as conn:
            return conn.execute(query).scalar()

    def list_risky(
        self,
        where: ColumnElement[bool] | None = None,
        order_by: Sequence[tuple[Any, bool]] = (),
        limit: int | None = None,
        offset: int = 0,
    ) -> list[RiskyServicePrincipal]:
        query = _shape(select(risky_service_principals), where, order_by, R.id)
        with self._engine.connect() as conn:
            rows = conn.execute(query.limit(limit).offset(offset)).all()
        return [_risky_from(r) for r in rows]

    def count_risky(self, where: ColumnElement[bool] | None = None) -> int:
        query = select(func.count()).select_from(risky_service_principals)
        if where is not None:
            query = query.where(where)
        with self._engine.connect() as conn:
            return conn.execute(query).scalar_one()

    def history(self, sp_id: str) -> list[RiskHistoryItem]:
        query = select(risk_history).where(H.service_principal_id == sp_id).order_by(H.sequence)
        with self._engine.connect() as conn:
            return [_history_from(r) for r in conn.execute(query)]

    def detection(self, detection_id: str, conn: Connection | None = None) -> RiskDetection | None:
        with transaction(self._engine, conn) as conn:
            row = conn.execute(select(risk_detections).where(D.id == detection_id)).first()
        return None if row is None else _detection_from(row)

    def detections_by_id(
        self, ids: Sequence[str], conn: Connection | None = None
    ) -> dict[str, RiskDetection]:
        """The stored detections among ``ids``, by id (ids not stored are left out)."""
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return {}
        with transaction(self._engine, conn) as conn:
            rows = conn.execute(select(risk_detections).where(D.id.in_(wanted))).all()
        return {d.id: d for d in map(_detection_from, rows)}

    def confirmations(self, sp_id: str, conn: Connection | None = None) -> list[datetime]:
        """When admins confirmed ``sp_id`` compromised: its admin-confirmed detections' times."""
        kind = RiskEventType.adminConfirmedServicePrincipalCompromised.value
        query = select(D.activity_at).where(
            D.service_principal_id == sp_id, D.risk_event_type == kind)
        with transaction(self._engine, conn) as conn:
            return list(conn.execute(query).scalars())

    def list_detections(
        self,
        where: ColumnElement[bool] | None = None,
        order_by: Sequence[tuple[Any, bool]] = (),
        limit: int | None = None,
        offset: int = 0,
    ) -> list[RiskDetection]:
        query = _shape(select(risk_detections), where, order_by, D.id)
        with self._engine.connect() as conn:
            rows = conn.execute(query.limit(limit).offset(offset)).all()
        return [_detection_from(r) for r in rows]

    def count_detections(self, where: ColumnElement[bool] | None = None) -> int:
        query = select(func.count()).select_from(risk_detections)
        if where is not None:
            query = query.where(where)
        with self._engine.connect() as conn:
            return conn.execute(query).scalar_one()


def _shape(
    query: Any,
    where: ColumnElement[bool] | None,
    order_by: Sequence[tuple[Any, bool]],
    tie_breaker: Any,
) -> Any:
    """Filter, order by ``(column, descending)`` pairs, then by the key so pages are stable."""
    if where is not None:
        query = query.where(where)
    for col, descending in order_by:
        query = query.order_by(order_clause(col, descending))
    return query.order_by(bytewise(tie_breaker))


def order_clause(col: Any, descending: bool) -> Any:
    """``col ASC`` / ``col DESC`` with nulls placed as OData says (URL Conventions §5.1.4).

    Nulls come before every value ascending and after every value descending, on SQLite and
    PostgreSQL alike (left alone, PostgreSQL puts them the other way round). Columns declared NOT
    NULL keep the plain form, which their indexes serve.
    """
    clause = col.desc() if descending else col.asc()
    if not getattr(col, "nullable", True):
        return clause
    return clause.nulls_last() if descending else clause.nulls_first()
