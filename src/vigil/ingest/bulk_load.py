"""How an ingest run holds the store: the load lock, the ingest gate and the indexes it defers.

:func:`bulk_load` wraps ``vigil ingest`` of files or standard input: it defers what it may
(``vigil.store.deferred_indexes``, and the unique id indexes of a new store's first load when
it runs alone and unwatched, ``vigil.store.unique_ids``) and builds it all again at its end.
:func:`beside_others` wraps ``--follow``, which never defers. Both build first what a load that
died left missing, unless a live load holds it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from vigil.ingest.summary import IngestSummary
from vigil.store import Store
from vigil.store.deferred_indexes import (
    BULK_TABLES,
    LoadLock,
    dead_load_duplicates,
    defer_indexes,
    missing_indexes,
    repair_indexes,
    restore_indexes,
    tables_empty,
)
from vigil.store.unique_ids import GateTimeout, IngestGate
from vigil.store.write_lock import (
    SLICE_SECONDS,
    WRITE_LOCK_NOTICE,
    WRITE_LOCK_TIMEOUT,
    WaitNotice,
)

#: ``building(records)``: what to tell while building indexes, ``records`` read so far.
Building = Callable[[int], Callable[[str], None]]


def repair(store: Store, building: Building) -> None:
    """Build the indexes a deferred load that died left missing (none while one runs).

    A unique id index it left missing is built by a load that runs before that load stores
    anything; nothing can be inserted without it (ON CONFLICT (id)), so wait for it: as long as
    it takes, or the engine's ``WRITE_LOCK_TIMEOUT`` (``--lock-wait``; then :class:`GateTimeout`),
    telling its ``WRITE_LOCK_NOTICE`` once the wait has lasted its time, as other waits do."""
    engine = store.engine
    options = engine.get_execution_options()
    limit: float | None = options.get(WRITE_LOCK_TIMEOUT)
    notice: WaitNotice | None = options.get(WRITE_LOCK_NOTICE)
    start, told = time.monotonic(), False
    while repair_indexes(engine, building(0)) is None and (
        missing := missing_indexes(engine, unique_only=True)
    ):
        waited = time.monotonic() - start
        names = ("the indexes " if len(missing) > 1 else "the index ") + ", ".join(
            str(ix.name) for ix in missing
        )
        if limit is not None and waited >= limit:
            raise GateTimeout(
                f"gave up after waiting {waited:.1f} s (--lock-wait): another load into "
                f"{engine.url.database} has yet to build {names} that a load which died left "
                "missing; ingest again once it has"
            )
        if notice is not None and not told and waited >= notice.after:
            notice.say(
                f"waiting for another load to build {names} that a load which died left "
                f"missing (waited {waited:.0f} s so far)"
            )
            told = True
        time.sleep(SLICE_SECONDS)
    if told and notice is not None:
        notice.say(f"the unique id indexes are there, after {time.monotonic() - start:.0f} s")


@contextmanager
def beside_others(store: Store, building: Building) -> Iterator[None]:
    """For a run that is no bulk load (``--follow``): hold the ingest gate shared, waiting
    while a bulk load that dropped the unique id indexes runs (``vigil.store.unique_ids``),
    and build what a load that died left missing."""
    gate = IngestGate(store.engine)
    try:
        gate.shared()
        repair(store, building)
        yield
    finally:
        gate.release()


@contextmanager
def bulk_load(
    store: Store,
    *,
    defer: str,
    watched: bool,
    sources: list[str],
    summary: IngestSummary,
    building: Building,
) -> Iterator[None]:
    """Hold the store for one ``vigil ingest`` of ``sources`` (``defer``: ``--defer-indexes``;
    ``watched``: detectors run); ``summary`` gets the duplicates found when the unique id
    indexes are built again."""
    engine = store.engine
    # A load that defers indexes holds the load lock; without it (deferring off, or another
    # load holds it), build what a load that died left missing (not another live load's).
    lock = LoadLock(engine) if defer != "off" else None
    owner = lock is not None and lock.acquire()
    # Alone (no other ingest, no detector), it may drop the unique id indexes of empty
    # tables too; others wait meanwhile (vigil.store.unique_ids). Not for standard input,
    # which may stream for hours (az rest ... | vigil ingest -): others would wait as long.
    gate = IngestGate(engine)
    alone = owner and not watched and "-" not in sources and gate.exclusive()
    try:
        if not alone:
            gate.shared()
        if not owner:
            repair(store, building)
        else:
            # a dead load's unique indexes are built first (its rows then count as stored);
            # its other missing indexes stay deferred: built at the end too
            restore_indexes(
                engine, BULK_TABLES, building(0), dead_load_duplicates, unique_only=True
            )
            # the unique ones only when every bulk table is empty (a new store's first load):
            # a load of sign-ins into a store that never held Graph activity would make every
            # other ingest wait for it for the sake of an index it never uses
            unique = alone and tables_empty(engine)
            defer_indexes(engine, only_if_empty=defer == "auto", unique=unique)
            dropped = [ix.table for ix in missing_indexes(engine, unique_only=True)]
            store.activity.defer_unique(dropped)
            if alone and not dropped:  # others need not wait for this load
                gate.share()
        yield
    finally:
        if owner:
            assert lock is not None
            try:
                store.activity.defer_unique(())
                restore_indexes(
                    engine, BULK_TABLES, building(summary.total.read), summary.count_duplicates
                )
            finally:
                lock.release()
        gate.release()
