"""Secondary indexes of the bulk activity tables, dropped for a load and built again after it.

Inserting a sign-in updates ``ix_sign_ins_sp_time``, ``ix_sign_ins_time`` and ``ix_sign_ins_ip``
at places spread all over them; building an index once over the loaded table is a sort instead.
Into an empty database, a 10^6 sign-in load then went 1.4x as fast, index builds included
(``bench/ingest.py``, SQLite), and the saving grows with the size of the load, since scattered
inserts slow down as an index outgrows the cache and a sort does not.

The unique ``id`` indexes that make re-ingest add nothing are deferred only by a SQLite load into
empty tables (all of them) that nothing else writes to and no detector watches (``unique=True``;
see ``vigil.store.unique_ids``): it is built at the end, and if the build finds an id stored twice,
the rows after the first of each id are removed and it is built again. Nothing that runs during an
ingest reads these tables through the deferred indexes; the API and console still answer meanwhile,
with slower sign-in and Graph-activity queries (and, during such a load, a record that the input
holds twice may show twice). Each build holds the write lock (SQLite) or blocks writes to its table
(PostgreSQL) while it runs.

A load that defers holds a :class:`LoadLock` (a ``flock`` on a file beside the SQLite database, a
session advisory lock on PostgreSQL), which the operating system or the server releases however
the process ends. Missing indexes while nobody holds it were left by a load that died: the next
``vigil ingest`` (which builds them at its end, deferring them meanwhile if it may), ``--follow``
or ``vigil migrate`` builds them. While a load holds it, others leave its indexes alone.

A future migration that changes one of these indexes must not assume it exists (``if_exists``).
"""

from __future__ import annotations

import fcntl
import logging
import os
import zlib
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, Index, Table, exists, inspect, select
from sqlalchemy.exc import DBAPIError, IntegrityError

from vigil.store.database import IMMEDIATE, WriteLockTimeout
from vigil.store.tables import graph_activities, sign_ins
from vigil.store.unique_ids import lock_file, remove_duplicates, unique_id_index

log = logging.getLogger(__name__)

#: Tables a bulk load writes most of; their non-unique indexes may be deferred.
BULK_TABLES: tuple[Table, ...] = (sign_ins, graph_activities)

#: SQLite settings of the connection that builds an index (see :func:`restore_indexes`): sorted
#: runs of at most 4 MiB in a temporary file (temp_store 1 = FILE), sorted and merged by up to four
#: helper threads. The index builds end a bulk load and run alone, with the parser workers done:
#: with helper threads the four sign-in indexes of 10^6 rows took 1.6 s instead of 2.5 s with none
#: and 16 MiB runs (this machine, 2 cores).
BUILD_PRAGMAS = {"temp_store": 1, "cache_size": -4096, "threads": 4}

#: PostgreSQL: how long deferring waits for a table lock before it loads with the indexes kept.
LOCK_TIMEOUT = "5s"


def deferrable(table: Table) -> list[Index]:
    """The non-unique indexes of ``table``, by name."""
    return sorted((ix for ix in table.indexes if not ix.unique), key=lambda ix: str(ix.name))


def missing_indexes(
    engine: Engine, tables: Sequence[Table] = BULK_TABLES, *, unique_only: bool = False
) -> list[Index]:
    """Deferrable indexes of ``tables`` that the database lacks, each table's unique id index
    first (``unique_only``: only those)."""
    found = inspect(engine)
    missing = []
    for table in tables:
        present = {ix["name"] for ix in found.get_indexes(table.name)}
        unique = unique_id_index(table)
        candidates = [] if unique is None else [unique]
        if not unique_only:
            candidates += deferrable(table)
        missing += [ix for ix in candidates if ix.name not in present]
    return missing


def _writing(conn: Connection) -> Connection:
    """SQLite: take the write lock at BEGIN, so a read-then-write waits for other writers (busy
    timeout) instead of failing when one commits in between."""
    return conn.execution_options(**{IMMEDIATE: True})


def restore_indexes(
    engine: Engine,
    tables: Sequence[Table] = BULK_TABLES,
    progress: Callable[[str], None] | None = None,
    duplicates: Callable[[Table, int], None] | None = None,
    *,
    unique_only: bool = False,
) -> list[str]:
    """Build the deferrable indexes the database lacks, each in its own transaction; their names.

    If a unique id index cannot be built because an id is stored twice, the rows whose id an
    earlier row holds are removed and it is built again, in the same transaction; ``duplicates``
    is told how many of a table's were.
    """
    built = []
    for index in missing_indexes(engine, tables, unique_only=unique_only):
        if progress is not None:
            progress(str(index.name))
        with engine.connect() as conn:
            # SQLite sorts for CREATE INDEX in memory up to the cache size; Vigil's connections
            # keep what overflows in memory too (temp_store=MEMORY), so a build's memory would
            # grow with the table. Here sorted runs are at most 4 MiB and go to a temporary
            # file (SQLITE_TMPDIR, else /var/tmp or /tmp; up to the index's size), and a build
            # needs no more memory than the ingest did. Pragmas are set outside a transaction.
            driver: Any = conn.connection.driver_connection
            saved: dict[str, int] = {}
            try:
                if conn.dialect.name == "sqlite":
                    for pragma, value in BUILD_PRAGMAS.items():
                        saved[pragma] = int(driver.execute(f"PRAGMA {pragma}").fetchone()[0])
                        driver.execute(f"PRAGMA {pragma}={value}")
                writer = _writing(conn)
                with writer.begin():
                    table = index.table
                    assert isinstance(table, Table)
                    if index is unique_id_index(table):
                        _create_unique(writer, table, index, duplicates)
                    else:
                        index.create(writer, checkfirst=True)
            finally:
                for pragma, value in saved.items():
                    driver.execute(f"PRAGMA {pragma}={value}")
        built.append(str(index.name))
    return built


def tables_empty(engine: Engine, tables: Sequence[Table] = BULK_TABLES) -> bool:
    """Whether every one of ``tables`` is empty."""
    with engine.connect() as conn:
        return not any(conn.execute(select(exists().select_from(t))).scalar() for t in tables)


def _create_unique(
    conn: Connection,
    table: Table,
    index: Index,
    duplicates: Callable[[Table, int], None] | None,
) -> None:
    """Build a unique id index; if rows share an id (the build fails), remove all but the first
    of each and build it again. Looking for them first cost a sort as long as the build."""
    conn.exec_driver_sql("SAVEPOINT vigil_unique")
    try:
        index.create(conn, checkfirst=True)
    except IntegrityError:
        conn.exec_driver_sql("ROLLBACK TO SAVEPOINT vigil_unique")
        removed = remove_duplicates(conn, table)
        if removed and duplicates is not None:
            duplicates(table, removed)
        index.create(conn)
    conn.exec_driver_sql("RELEASE SAVEPOINT vigil_unique")


def defer_indexes(
    engine: Engine,
    tables: Sequence[Table] = BULK_TABLES,
    *,
    only_if_empty: bool = True,
    unique: bool = False,
) -> list[Table]:
    """Drop the deferrable indexes of ``tables`` (of the empty ones, with ``only_if_empty``), and
    with ``unique`` the unique id index of each empty one, on SQLite (see the module docstring:
    the caller holds the ``IngestGate`` alone and runs no detector).

    Returns the tables whose indexes were dropped. Each table is checked and changed in one
    transaction that first takes the table's write lock (SQLite ``BEGIN IMMEDIATE``, PostgreSQL
    ``LOCK TABLE``), so no writer can add rows in between. On PostgreSQL a table that stays
    locked by others for :data:`LOCK_TIMEOUT` keeps its indexes.
    """
    deferred = []
    for table in tables:
        with engine.connect() as conn:
            conn = _writing(conn)
            try:
                with conn.begin():
                    if conn.dialect.name == "postgresql":
                        conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
                        conn.exec_driver_sql(f"LOCK TABLE {table.name} IN ACCESS EXCLUSIVE MODE")
                    empty = not conn.execute(select(exists().select_from(table))).scalar()
                    if only_if_empty and not empty:
                        continue
                    for index in deferrable(table):
                        index.drop(conn, checkfirst=True)
                    uq = unique_id_index(table)
                    if unique and empty and uq is not None and conn.dialect.name == "sqlite":
                        uq.drop(conn, checkfirst=True)
            except WriteLockTimeout:
                raise  # the store's write lock, waited for as long as the user would (--lock-wait)
            except DBAPIError as exc:
                if conn.dialect.name != "postgresql" or "lock timeout" not in str(exc):
                    raise
                continue
        deferred.append(table)
    return deferred


class LoadLock:
    """Held by a load that defers indexes, for as long as it runs (see the module docstring).

    ``acquire`` does not wait: False means another process holds it. An in-memory SQLite
    database belongs to one connection, so its lock is always free.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._fd: int | None = None
        self._conn: Connection | None = None
        self._key = 0

    def acquire(self) -> bool:
        if self._engine.dialect.name == "postgresql":
            conn = self._engine.connect()
            schema = conn.exec_driver_sql("SELECT current_schema()").scalar()
            self._key = zlib.crc32(f"vigil deferred load {schema}".encode())
            got = conn.exec_driver_sql(f"SELECT pg_try_advisory_lock({self._key})").scalar()
            conn.commit()
            if not got:
                conn.close()
                return False
            self._conn = conn
            return True
        path = lock_file(self._engine, "load-lock")
        if path is None:
            return True
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._conn is not None:
            self._conn.exec_driver_sql(f"SELECT pg_advisory_unlock({self._key})")
            self._conn.commit()
            self._conn.close()
            self._conn = None
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def load_running(engine: Engine) -> bool:
    """True while another process runs a load that defers indexes."""
    lock = LoadLock(engine)
    if not lock.acquire():
        return True
    lock.release()
    return False


def dead_load_duplicates(table: Table, rows: int) -> None:
    """Say what building a unique id index that a load which died left missing removed."""
    log.warning(
        "%s: removed %d rows whose id an earlier row holds, stored by a bulk load that died "
        "before it built the table's unique id index", table.name, rows,
    )


def repair_indexes(
    engine: Engine, progress: Callable[[str], None] | None = None
) -> list[str] | None:
    """Build what a load that died left missing; None (nothing done) while a load runs."""
    lock = LoadLock(engine)
    if not lock.acquire():
        return None
    try:
        return restore_indexes(engine, BULK_TABLES, progress, dead_load_duplicates)
    finally:
        lock.release()
