"""Composition root: settings → store → services. The only place that wires Vigil together."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import IO, Any

from sqlalchemy.engine import make_url

from vigil.enrich import Enricher
from vigil.ingest.parallel import EnrichConfig, ParallelParser
from vigil.ingest.pipeline import Ingestor
from vigil.services.detection import DetectionService
from vigil.services.risk import RiskService
from vigil.settings import Settings
from vigil.store import Store
from vigil.store.detector_sources import bind_detector_sources
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

    @cached_property
    def detection(self) -> DetectionService:
        from vigil.detections.registry import create_all  # every detector: only when detecting

        detectors = bind_detector_sources(create_all(self.settings.detectors), self.store.engine)
        return DetectionService(self.store, self.risk, detectors, self.clock)

    @cached_property
    def enrich_config(self) -> EnrichConfig:
        e = self.settings.enrich
        return EnrichConfig(
            country_mmdb=str(e.country_mmdb) if e.country_mmdb else None,
            asn_mmdb=str(e.asn_mmdb) if e.asn_mmdb else None,
            extra_asns=tuple(e.extra_hosting_asns),
            extra_cidrs=tuple(e.extra_hosting_cidrs),
        )

    @cached_property
    def enricher(self) -> Enricher:
        return self.enrich_config.build()

    def parallel_parser(self, workers: int) -> ParallelParser:
        """Worker processes for parsing large JSON Lines inputs (close it when done)."""
        return ParallelParser(workers, self.enrich_config)

    def ingestor(
        self,
        *,
        rejects_file: IO[bytes] | None = None,
        progress: Any = None,
        batch_size: int = 5000,
        commit_records: int = 100_000,
        commit_seconds: float = 0.5,
        detect: bool = True,
        parser: ParallelParser | None = None,
        defer_indexes: str = "auto",
    ) -> Ingestor:
        """An ingest pipeline over this store; with ``detect`` the detectors run inline."""
        return Ingestor(
            self.store,
            self.enricher,
            self.clock,
            observers=[self.detection] if detect else [],
            batch_size=batch_size,
            commit_records=commit_records,
            commit_seconds=commit_seconds,
            rejects_file=rejects_file,
            progress=progress,
            parser=parser,
            defer_indexes=defer_indexes,
        )

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
