"""Ingest: read → normalize → enrich → store, in atomic batches, with inline observers.

Contract
--------
* Every record is read, normalized and either stored or rejected; a bad record never stops the
  rest. Rejects carry source, line and reason, go to the store (deduplicated) and, when asked, to a
  JSON Lines rejects file.
* Records are written a batch (``batch_size`` records) at a time: its new activity records,
  inventory changes, rejects and whatever the observers (inline detectors) write go into the same
  transaction. A transaction holds whole batches and commits once it has ``commit_records``
  records or has been open ``commit_seconds``, and always before a call returns (``ingest`` at
  the end of all its sources, ``ingest_items`` / ``ingest_parsed`` at the end of their input, as
  for each chunk ``--follow`` reads), so a caller that returns has committed all it was given.
  Waiting for standard input, a due transaction commits too (``vigil.ingest.idle_input``).
  Ids are the source records' own, so re-running an ingest, or running it again after a crash,
  adds nothing twice and ends with the database one clean run gives.
* Why several batches per transaction: a commit writes every page the transaction changed, and
  bulk inserts change index pages all over four B-trees, so a few large commits write far fewer
  pages than many small ones. At full speed the time bound ends a transaction after some 25,000
  records; with 16 KiB pages (``vigil.store.database``) that took 10^6 Graph sign-ins from
  ~20,000 to ~50,000 records/s (bench/ingest.py, 2 cores). The time bound keeps a detection no
  more than ``commit_seconds`` from being visible.
* Observers see only records that were new in this store, in input order.
* ``ingest`` into empty sign-in / Graph-activity tables drops their secondary indexes first and
  builds them once the load is over, in a ``finally`` (``defer_indexes``;
  ``vigil.store.deferred_indexes``); indexes a load that died left missing are built by the next
  ``ingest`` (at its end, if it defers) or ``--follow`` (at its start). On SQLite, run alone and
  without observers, it drops their unique id indexes too, removes the rows of an id given twice
  at its end and counts them as duplicates (``vigil.store.unique_ids``); other runs wait for it.
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Protocol, TypeVar

import orjson
from sqlalchemy import Connection

from vigil.enrich import Enricher
from vigil.ingest.bulk_load import beside_others, bulk_load, repair
from vigil.ingest.group_commit import GroupCommit
from vigil.ingest.idle_input import idle_reader
from vigil.ingest.parallel import ParallelParser, parse_in_process, splittable
from vigil.ingest.parse import Parsed, chunks, parse_items
from vigil.ingest.prefetch import parse_files
from vigil.ingest.readers import ReadError, SpanItem, expand, iter_records
from vigil.ingest.summary import IngestSummary
from vigil.model import Application, AuditEvent, GraphActivity, ServicePrincipal, SignIn
from vigil.store import Reject, Store
from vigil.store.activity import graph_activity_from_row
from vigil.store.signin_rows import sign_in_from_row

T = TypeVar("T")

#: ``Ingestor(defer_indexes=...)`` and ``vigil ingest --defer-indexes``.
DEFER_CHOICES = ("auto", "on", "off")


@dataclass
class NewRecords:
    """What one committed batch added to the store (duplicates left out), in input order."""

    sign_ins: list[SignIn] = field(default_factory=list)
    audit_events: list[AuditEvent] = field(default_factory=list)
    graph_activities: list[GraphActivity] = field(default_factory=list)
    service_principals: list[ServicePrincipal] = field(default_factory=list)
    applications: list[Application] = field(default_factory=list)


class Observer(Protocol):
    """Inline detection: ``observe`` runs on each batch inside the transaction and returns how
    many detections it made; ``commit`` runs just before that transaction commits (write what
    ``observe`` held in memory), ``rollback`` after it was rolled back (forget it)."""

    def observe(self, conn: Connection, records: NewRecords) -> int: ...

    def commit(self, conn: Connection) -> None: ...

    def rollback(self) -> None: ...


class Progress(Protocol):
    def update(self, source: str, records: int) -> None: ...
    def close(self) -> None: ...


class Ingestor:
    def __init__(
        self,
        store: Store,
        enricher: Enricher,
        clock: Callable[[], datetime],
        *,
        observers: Iterable[Observer] = (),
        batch_size: int = 5000,
        commit_records: int = 100_000,
        commit_seconds: float = 0.5,
        rejects_file: IO[bytes] | None = None,
        progress: Progress | None = None,
        parser: ParallelParser | None = None,
        defer_indexes: str = "auto",
    ) -> None:
        """``parser``: worker processes for JSON Lines files (None parses in this process).

        ``defer_indexes``: drop the secondary indexes of the sign-in and Graph-activity tables
        during :meth:`ingest` and build them after it (``vigil.store.deferred_indexes``):
        ``auto`` for the tables that are empty when it starts, ``on`` always, ``off`` never.
        """
        if defer_indexes not in DEFER_CHOICES:
            raise ValueError(f"defer_indexes must be one of {DEFER_CHOICES}, not {defer_indexes!r}")
        self._store = store
        self._enricher = enricher
        self._clock = clock
        self._observers = list(observers)
        self._batch_size = batch_size
        self._commit_records = commit_records
        self._commit_seconds = commit_seconds
        self._rejects_file = rejects_file
        self._progress = progress
        self._parser = parser
        self._defer = defer_indexes
        #: Log Analytics' TimeGenerated for rows that carry no time (see ``normalize``).
        self._received_at = clock().isoformat()
        self._group: GroupCommit | None = None

    @property
    def store(self) -> Store:
        return self._store

    @property
    def clock(self) -> Callable[[], datetime]:
        return self._clock

    def ingest(self, sources: Iterable[str], kind: str | None = None) -> IngestSummary:
        """Ingest every record of ``sources`` (paths, folders, globs, ``-``)."""
        with gc_paused():
            return self._ingest(sources, kind)

    def _ingest(self, sources: Iterable[str], kind: str | None) -> IngestSummary:
        sources = list(sources)
        summary = IngestSummary()
        started = time.perf_counter()
        with (
            bulk_load(
                self._store,
                defer=self._defer,
                watched=bool(self._observers),
                sources=sources,
                summary=summary,
                building=self._building,
            ),
            self._transaction() as self._group,
        ):  # one group commit across all sources
            self._ingest_sources(sources, kind, summary)
        summary.seconds = time.perf_counter() - started
        if self._progress is not None:
            self._progress.close()
        return summary

    def repair_indexes(self) -> None:
        """Build the indexes a deferred load that died left missing (``bulk_load.repair``)."""
        repair(self._store, self._building)

    def beside_others(self) -> AbstractContextManager[None]:
        """For ``--follow``: ``vigil.ingest.bulk_load.beside_others``."""
        return beside_others(self._store, self._building)

    def _building(self, records: int) -> Callable[[str], None]:
        def show(name: str) -> None:
            if self._progress is not None:
                self._progress.update(f"(building index {name})", records)

        return show

    @contextmanager
    def _transaction(self) -> Iterator[GroupCommit]:
        """The group commit in progress, or a new one that commits when the block ends."""
        if self._group is not None:
            yield self._group
            return
        try:
            with GroupCommit(
                self._store,
                self._commit_records,
                self._commit_seconds,
                self._observers,
                self._write_rejects,
            ) as group:
                yield group
        finally:
            self._group = None

    def _ingest_sources(
        self, sources: Iterable[str], kind: str | None, summary: IngestSummary
    ) -> None:
        for source in sources:
            summary.sources += 1
            if source == "-":
                assert self._group is not None
                self._group.commit_if_due()
                # Waiting for input, commit when due: the write lock is not held meanwhile.
                wait = max(self._commit_seconds / 2, 0.05)
                stdin = idle_reader(sys.stdin.buffer, self._group.commit_if_due, wait)
                items = iter_records(source, stdin=stdin, spans=True)
                self.ingest_items(items, summary, kind, source)
                continue
            found = expand(source)
            split = [isinstance(p, Path) and splittable(p) for p in found]
            # a folder's files: workers parse the next ones while this one is stored, JSON
            # Lines by blocks, other files by their items (vigil.ingest.prefetch)
            prefetched = None
            if self._parser is not None:
                files = [p for p in found if isinstance(p, Path)]
                jsonl = [s for p, s in zip(found, split, strict=True) if isinstance(p, Path)]
                prefetched = parse_files(self._parser, files, kind, self._received_at, jsonl)
            for path, is_split in zip(found, split, strict=True):
                assert self._group is not None
                self._group.commit_if_due()
                if isinstance(path, Path) and (is_split or prefetched is not None):
                    if prefetched is not None:
                        got, parts = next(prefetched)
                        assert got is path
                    else:
                        parts = parse_in_process(path, kind, self._received_at, self._enricher)
                    self.ingest_parsed(
                        (p if isinstance(p, Parsed) else _error_part(p, kind) for p in parts),
                        summary,
                        str(path),
                    )
                else:
                    items: Iterator[SpanItem] = (
                        iter([path])
                        if isinstance(path, ReadError)
                        else iter_records(str(path), spans=True)
                    )
                    self.ingest_items(items, summary, kind, str(path))

    def ingest_items(
        self,
        items: Iterator[SpanItem],
        summary: IngestSummary,
        kind: str | None,
        label: str,
    ) -> None:
        """Parse ``items`` in this process and store them, a batch at a time."""
        self.ingest_parsed(
            (
                parse_items(
                    chunk,
                    kind=kind,
                    received_at=self._received_at,
                    enricher=self._enricher,
                    keep_models=bool(self._observers),
                )
                for chunk in chunks(items, self._batch_size)
            ),
            summary,
            label,
        )

    def ingest_parsed(self, parts: Iterable[Parsed], summary: IngestSummary, label: str) -> None:
        """Store already parsed parts (in order) a batch at a time (committed: module doc)."""
        with self._transaction() as group:
            batch = Parsed()
            for part in parts:
                batch.extend(part)
                if batch.size >= self._batch_size:
                    self._flush(batch, summary, group)
                    batch = Parsed()
                    if self._progress is not None:
                        self._progress.update(label, summary.total.read)
            self._flush(batch, summary, group)
        if self._progress is not None:
            self._progress.update(label, summary.total.read)

    def _flush(self, batch: Parsed, summary: IngestSummary, group: GroupCommit) -> None:
        if batch.size == 0:
            return
        store, now = self._store, self._clock()
        new = NewRecords()
        with group.batch(batch.size, batch.rejects) as conn:
            want_ids = bool(self._observers)
            signin_ids = store.activity.add_sign_in_rows(
                batch.sign_in_rows, conn, batch.sign_in_blocks, want_ids=want_ids
            )
            graph_ids = store.activity.add_graph_activity_rows(
                batch.graph_rows, conn, batch.graph_blocks, want_ids=want_ids
            )
            audit_ids = store.activity.add_audit_events(batch.audit_events, conn)
            sp_ids = store.inventory.upsert_service_principals(batch.service_principals, now, conn)
            store.risk.describe([sp for sp, _ in batch.service_principals], conn)
            app_ids = store.inventory.upsert_applications(batch.applications, now, conn)
            store.rejects.add(batch.rejects, now, conn)
            if self._observers:
                assert isinstance(signin_ids, list) and isinstance(graph_ids, list)
                new.sign_ins = _models(
                    batch.sign_in_rows, batch.sign_ins, signin_ids, sign_in_from_row
                )
                new.graph_activities = _models(
                    batch.graph_rows, batch.graph_activities, graph_ids, graph_activity_from_row
                )
                new.audit_events = _fresh(batch.audit_events, audit_ids)
                new.service_principals = _fresh(batch.service_principals, sp_ids, last=True)
                new.applications = _fresh(batch.applications, app_ids, last=True)
                summary.detections += sum(o.observe(conn, new) for o in self._observers)
        for name, given, added in (
            ("signins", len(batch.sign_in_rows), _count(signin_ids)),
            ("graphactivity", len(batch.graph_rows), _count(graph_ids)),
            ("audit", len(batch.audit_events), len(audit_ids)),
            (
                "directory",
                len(batch.service_principals) + len(batch.applications),
                len(set(sp_ids)) + len(set(app_ids)),
            ),
        ):
            if given:
                counts = summary.of(name)
                counts.stored += added
                counts.duplicate += given - added
        for name, (read, rejected) in batch.counts.items():
            counts = summary.of(name)
            counts.read += read
            counts.rejected += rejected
        summary.note_rejects(batch.rejects)

    def _write_rejects(self, rejects: list[Reject]) -> None:
        if self._rejects_file is None:
            return
        for r in rejects:
            self._rejects_file.write(orjson.dumps(r.to_line()) + b"\n")
        self._rejects_file.flush()


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for a bulk load.

    A batch keeps thousands of freshly decoded records alive, and every collection pass walks all
    of them again: with the collector on, reading a JSON Lines file costs about four times the
    decoding itself. Records hold no reference cycles, so reference counting frees them anyway; the
    collector runs once at the end.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
        gc.collect()


def _count(added: list[str] | int) -> int:
    return added if isinstance(added, int) else len(added)


def _error_part(error: ReadError, kind: str | None) -> Parsed:
    which = kind or "unknown"  # as the counts say, and as a reject of an unknown shape says
    part = Parsed(size=1, counts={which: [1, 1]})
    part.rejects.append(Reject(error.source, error.line, error.reason, which, error.text))
    return part


def _models(
    rows: list[tuple[Any, ...]],
    kept: list[T],
    new_ids: list[str],
    from_row: Callable[[tuple[Any, ...]], T],
) -> list[T]:
    """The models of the rows that were stored: the kept ones, or rebuilt from the rows."""
    if not new_ids:
        return []
    first = {}
    for n, row in enumerate(rows):
        first.setdefault(row[0], n)
    picks = [first[i] for i in new_ids]
    if kept:
        return [kept[n] for n in picks]
    return [from_row(rows[n]) for n in picks]


def _fresh(items: list[tuple[T, bytes]], new_ids: list[str], *, last: bool = False) -> list[T]:
    """The records whose ids were stored, in input order (the first, or ``last``, of an id)."""
    wanted = set(new_ids)
    picked: dict[str, T] = {}
    for record, _raw in items:
        rid = record.id  # type: ignore[attr-defined]
        if rid in wanted and (last or rid not in picked):
            picked[rid] = record
    return list(picked.values())
