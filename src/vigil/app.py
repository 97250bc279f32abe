"""Composition root: settings → store → services. The only place that wires Vigil together."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.engine import make_url

from vigil.services.risk import RiskService
from vigil.settings import Settings
from vigil.store import Store
from vigil.store.schema import current_revision, head_revision, upgrade


def utc_now() -> datetime:
    return datetime.now(UTC)


class SchemaOutOfDate(RuntimeError):
    pass


@dataclass(frozen=True)
class App:
    settings: Settings
    store: Store
    clock: Callable[[], datetime]
    risk: RiskService

    def close(self) -> None:
        self.store.close()


def ensure_schema(store: Store, url: str) -> None:
    """A new embedded SQLite database is created on first use; anything else must be migrated.

    Raises ``SchemaOutOfDate`` with the command to run when the schema is behind the code.
    """
    current, head = current_revision(store.engine), head_revision(store.engine)
    if current == head:
        return
    if current is None and make_url(url).get_backend_name() == "sqlite":
        upgrade(store.engine)
        return
    raise SchemaOutOfDate(
        f"the database schema is at revision {current or 'none'}, the code needs {head}; "
        "run `vigil migrate`"
    )


def build(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utc_now,
    check_schema: bool = True,
) -> App:
    store = Store.open(settings.database_url)
    if check_schema:
        ensure_schema(store, settings.database_url)
    return App(settings=settings, store=store, clock=clock, risk=RiskService(store, clock))
