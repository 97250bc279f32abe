"""Engine creation for SQLite (embedded default) and PostgreSQL (production)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import String

from vigil.store.write_lock import (  # re-exported: where the store's callers find them
    DEFAULT_BUSY_MS,
    IMMEDIATE,
    WRITE_LOCK_NOTICE,
    WRITE_LOCK_SQL,
    WRITE_LOCK_TIMEOUT,
    WaitNotice,
    WriteLockTimeout,
    begin_sqlite,
    lock_postgresql,
)

__all__ = [
    "IMMEDIATE",
    "WRITE_LOCK_NOTICE",
    "WRITE_LOCK_SQL",
    "WRITE_LOCK_TIMEOUT",
    "WaitNotice",
    "WriteLockTimeout",
    "connect",
    "normalize_url",
    "transaction",
    "unicode_lower",
]

#: Page size of the SQLite databases Vigil creates (existing ones keep theirs).
PAGE_SIZE = 16384


class unicode_lower(FunctionElement[str]):
    """``lower(x)`` that lowers every letter: SQLite's built-in ``lower()`` folds ASCII only (a
    search for ``évil`` or ``Évil`` missed ``Évil App``), so there it calls :func:`_lower`,
    registered on every connection. PostgreSQL's ``lower()`` folds by the collation's character
    classes, ASCII only for ``"C"``, which migration 0011 gives the listed tables' text columns
    (vigil.store.bytewise): there it lowers ``x`` in the database's default collation."""

    type = String()
    inherit_cache = True
    name = "lower"


@compiles(unicode_lower)
def _compile_lower(element: unicode_lower, compiler: Any, **kw: Any) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(unicode_lower, "postgresql")
def _compile_lower_postgresql(element: unicode_lower, compiler: Any, **kw: Any) -> str:
    return f'lower(({compiler.process(element.clauses, **kw)}) COLLATE "default")'


@compiles(unicode_lower, "sqlite")
def _compile_lower_sqlite(element: unicode_lower, compiler: Any, **kw: Any) -> str:
    return f"vigil_lower({compiler.process(element.clauses, **kw)})"


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def normalize_url(url: str) -> str:
    """Accept plain ``postgresql://`` / ``postgres://`` URLs and use the psycopg 3 driver for them."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def connect(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``. SQLite gets WAL, a busy timeout and explicit transaction control."""
    url = normalize_url(url)
    if make_url(url).get_backend_name() != "sqlite":
        pg = create_engine(url, pool_pre_ping=True, **kwargs)

        @event.listens_for(pg, "begin")
        def _serialize_writers(conn: Connection) -> None:
            # What BEGIN IMMEDIATE is on SQLite: one writing transaction at a time. Detector
            # state is read, changed and written back in the batch's transaction (and cached
            # between batches, checked by a generation token); two ingests writing at once under
            # READ COMMITTED would each keep its own version and lose the other's.
            if conn.get_execution_options().get(IMMEDIATE, False):
                lock_postgresql(conn)

        return pg
    engine = create_engine(url, connect_args={"timeout": DEFAULT_BUSY_MS / 1000}, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        dbapi_connection.create_function("vigil_lower", 1, _lower, deterministic=True)
        cursor = dbapi_connection.cursor()
        # Set before WAL, so it takes effect when this connection creates the database (and is a
        # no-op on an existing one). Bulk ingest inserts into four indexes at random places; with
        # 16 KiB pages instead of SQLite's default 4 KiB, sign-ins went in 1.5x as fast at 10^6
        # rows and 1.15x at 4 x 10^6 (commits of 25,000-50,000 rows; this machine, 2 cores).
        cursor.execute(f"PRAGMA page_size={PAGE_SIZE}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={DEFAULT_BUSY_MS}")  # until a transaction sets it
        cursor.execute("PRAGMA cache_size=-131072")  # 128 MiB: index inserts stay in memory
        cursor.execute("PRAGMA temp_store=MEMORY")
        # Checkpoint every 64 MiB of WAL, not SQLite's 4 MiB: a bulk-ingest batch dirties that
        # much index, and checkpointing it every commit cost a third of the ingest time.
        page_size = cursor.execute("PRAGMA page_size").fetchone()[0]
        cursor.execute(f"PRAGMA wal_autocheckpoint={(64 << 20) // page_size}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA case_sensitive_like=ON")  # OData startswith is case-sensitive
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        begin_sqlite(conn)  # BEGIN IMMEDIATE or BEGIN, waiting for the write lock as told

    return engine


@contextmanager
def transaction(
    engine: Engine, conn: Connection | None = None, *, write: bool = False
) -> Iterator[Connection]:
    """Use the caller's transaction when given one, else run in a new one of our own.

    Lets a caller make several repository writes atomic (an ingest batch: records, rejects,
    detections and risk changes commit together or not at all).

    ``write``: our own transaction takes the write lock when it begins (:data:`IMMEDIATE`), as
    one that reads and then writes must. On SQLite a transaction that has read cannot wait for
    the write lock: its first write fails at once with "database is locked" when another writer
    (an ingest) holds it or committed since the read, whatever the busy timeout; on PostgreSQL
    two such transactions could each write what it read before the other's change.
    """
    if conn is not None:
        yield conn
        return
    if not write:
        with engine.begin() as own:
            yield own
        return
    with engine.connect() as own:
        own = own.execution_options(**{IMMEDIATE: True})
        with own.begin():
            yield own
