"""Storage: SQLAlchemy tables, Alembic migrations, repositories that return model objects."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from vigil.store.activity import ActivityRepository
from vigil.store.database import connect
from vigil.store.detector_state import DetectorStateRepository
from vigil.store.inventory import InventoryRepository
from vigil.store.rejects import Reject, RejectRepository
from vigil.store.risk import RiskRepository
from vigil.store.schema import upgrade
from vigil.store.tokens import TokenRepository


@dataclass(frozen=True)
class Store:
    """The repositories over one database."""

    engine: Engine
    inventory: InventoryRepository
    activity: ActivityRepository
    risk: RiskRepository
    rejects: RejectRepository
    tokens: TokenRepository
    detector_state: DetectorStateRepository

    @classmethod
    def open(cls, url: str, *, migrate: bool = False) -> Store:
        engine = connect(url)
        if migrate:
            upgrade(engine)
        return cls(
            engine=engine,
            inventory=InventoryRepository(engine),
            activity=ActivityRepository(engine),
            risk=RiskRepository(engine),
            rejects=RejectRepository(engine),
            tokens=TokenRepository(engine),
            detector_state=DetectorStateRepository(engine),
        )

    def close(self) -> None:
        self.engine.dispose()


__all__ = ["Reject", "Store", "connect", "upgrade"]
