"""The store's write lock: one writing transaction at a time, taken when the transaction begins.

SQLite: ``BEGIN IMMEDIATE``. PostgreSQL: a transaction-level advisory lock (:data:`WRITE_LOCK_SQL`),
what ``BEGIN IMMEDIATE`` is on SQLite. A transaction asks for it with the :data:`IMMEDIATE`
execution option; ``vigil.store.database`` calls :func:`begin_sqlite` / :func:`lock_postgresql`
when one begins.

How long a transaction waits for it is the :data:`WRITE_LOCK_TIMEOUT` execution option: unset,
as long as it takes (a ``vigil detect --rebuild`` holds it for minutes, and an ingest, a follower
above all, must outlast it); a number of seconds, then :class:`WriteLockTimeout` (the API's 503,
``vigil --lock-wait``). SQLite's busy timeout alone gave up after 30 s with "database is locked"
whatever the caller wanted; here ``BEGIN IMMEDIATE`` is tried again, a slice of busy timeout at a
time, until the lock is free or the time is up. SQLite transactions begun without the lock (a
single statement's write) wait for it in SQLite's busy handler, for the same time.

A :class:`WaitNotice` (the :data:`WRITE_LOCK_NOTICE` option) is told once when a wait has lasted
its ``after`` seconds, saying what it waits for, and again when the lock is taken.
"""

from __future__ import annotations

import math
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError, OperationalError

#: Execution option that makes a transaction take the write lock when it begins.
IMMEDIATE = "vigil_immediate"
#: Engine or connection execution option: wait at most this many seconds for the write lock, then
#: fail with :class:`WriteLockTimeout`. Unset (ingests, rebuilds): wait as long as it takes. The API
#: sets it (``vigil.api.server.create_api``): a request answers 503 instead of hanging.
WRITE_LOCK_TIMEOUT = "vigil_write_lock_timeout"
#: Engine or connection execution option: a :class:`WaitNotice` (``vigil.cli``: lines on stderr).
WRITE_LOCK_NOTICE = "vigil_write_lock_notice"
#: PostgreSQL's write lock: one per schema (one Vigil store), in the two-key space of advisory
#: locks, apart from the load lock's one-key space (``vigil.store.deferred_indexes``).
WRITE_LOCK_KEY = "1986618727, hashtext(current_schema())"
WRITE_LOCK_SQL = f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})"
#: The session holding PostgreSQL's write lock, and for how long its transaction has run.
_HOLDER_SQL = (
    "SELECT a.pid, a.application_name, extract(epoch FROM clock_timestamp() - a.xact_start) "
    "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
    "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 "
    "AND l.classid = 1986618727 AND l.objid = hashtext(current_schema())::oid"
)
#: SQLite's busy timeout while waiting without limit (SQLite takes a 32-bit count of ms: 24 days).
FOREVER_MS = 2**31 - 1
#: Longest single wait in SQLite's busy handler while waiting for ``BEGIN IMMEDIATE``: between two,
#: Python runs, so Ctrl-C (SIGINT, SIGTERM's handler) ends a waiting command at once.
SLICE_SECONDS = 0.25
#: The busy timeout Vigil's SQLite connections are opened with (before any transaction sets it).
DEFAULT_BUSY_MS = 30_000
_SAVEPOINT = "vigil_write_lock"


@dataclass(frozen=True)
class WaitNotice:
    """Told ``say(message)`` once a wait for the write lock has lasted ``after`` seconds, and once
    more when the lock is taken after that."""

    after: float
    say: Callable[[str], None]


class WriteLockTimeout(OperationalError):
    """Gave up waiting for the write lock after ``waited`` seconds (:data:`WRITE_LOCK_TIMEOUT`).

    ``orig`` is the database's own error: SQLite's SQLITE_BUSY ("database is locked"), PostgreSQL's
    lock_not_available (55P03), which the API answers with 503."""

    waited: float = 0.0


def _timeout(orig: BaseException, statement: str, waited: float) -> WriteLockTimeout:
    exc = WriteLockTimeout(statement, None, orig)
    exc.waited = waited
    return exc


def _seconds(value: float) -> str:
    return f"{value:.0f} s" if value >= 10 else f"{value:.1f} s"


def begin_sqlite(conn: Connection) -> None:
    """Begin ``conn``'s transaction on SQLite: ``BEGIN IMMEDIATE`` (waiting for the lock as the
    options say) when it asks for the write lock, else a plain ``BEGIN`` whose writes wait in
    SQLite's busy handler for as long."""
    options = conn.get_execution_options()
    limit: float | None = options.get(WRITE_LOCK_TIMEOUT)
    if not options.get(IMMEDIATE, False):
        _set_busy_ms(conn, FOREVER_MS if limit is None else math.ceil(limit * 1000))
        conn.exec_driver_sql("BEGIN")
        return
    notice: WaitNotice | None = options.get(WRITE_LOCK_NOTICE)
    driver: Any = conn.connection.driver_connection
    start, told = time.monotonic(), False
    while True:
        waited = time.monotonic() - start
        wait = math.inf if limit is None else limit - waited
        if notice is not None and not told:
            wait = min(wait, notice.after - waited)
        # in slices: SQLite's busy handler sleeps in C, where Ctrl-C waits for it to return
        _set_busy_ms(conn, _ms(min(wait, SLICE_SECONDS)))
        try:
            driver.execute("BEGIN IMMEDIATE")
            break
        except sqlite3.OperationalError as exc:
            waited = time.monotonic() - start
            if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:
                raise DBAPIError.instance("BEGIN IMMEDIATE", None, exc, sqlite3.Error) from exc
            if limit is not None and waited >= limit:
                raise _timeout(exc, "BEGIN IMMEDIATE", waited) from exc
            if notice is not None and not told and waited >= notice.after:
                where = conn.engine.url.database or "the database"
                notice.say(
                    f"waiting for another writer to finish: the write lock of {where} is taken "
                    f"(waited {_seconds(waited)} so far; a rebuild or an index build can take "
                    "minutes)"
                )
                told = True
    if told and notice is not None:
        notice.say(f"got the write lock after {_seconds(time.monotonic() - start)}")


def _ms(seconds: float) -> int:
    return max(0, math.ceil(seconds * 1000))


def _set_busy_ms(conn: Connection, ms: int) -> None:
    """Set at every begin (milliseconds): whatever set it last, this transaction waits so long."""
    conn.connection.driver_connection.execute(f"PRAGMA busy_timeout={ms}")  # type: ignore[union-attr]


def lock_postgresql(conn: Connection) -> None:
    """Take PostgreSQL's write lock in ``conn``'s new transaction, waiting as the options say."""
    options = conn.get_execution_options()
    limit: float | None = options.get(WRITE_LOCK_TIMEOUT)
    notice: WaitNotice | None = options.get(WRITE_LOCK_NOTICE)
    if limit is None and notice is None:
        conn.exec_driver_sql(WRITE_LOCK_SQL)
        return
    import psycopg

    try:
        _wait_postgresql(conn.connection.driver_connection, limit, notice)
    except psycopg.Error as exc:  # as SQLAlchemy raises the driver's errors
        raise DBAPIError.instance(WRITE_LOCK_SQL, None, exc, psycopg.Error) from exc


def _wait_postgresql(driver: Any, limit: float | None, notice: WaitNotice | None) -> None:
    from psycopg.errors import LockNotAvailable

    start = time.monotonic()
    first = min(math.inf if limit is None else limit, math.inf if notice is None else notice.after)
    try:
        # lock_timeout 0 is no timeout: 1 ms is the least wait. In a savepoint, so that the
        # transaction goes on when the first wait ends, to say so and wait again.
        driver.execute(f"SAVEPOINT {_SAVEPOINT}")
        driver.execute(f"SET LOCAL lock_timeout = {max(1, _ms(first))}")
        driver.execute(WRITE_LOCK_SQL)
        driver.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")
        driver.execute("SET LOCAL lock_timeout = DEFAULT")
        return
    except LockNotAvailable as exc:
        driver.execute(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")  # lock_timeout is back to default
        driver.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")
        waited = time.monotonic() - start
        if limit is not None and waited >= limit:
            raise _timeout(exc, WRITE_LOCK_SQL, waited) from exc
    if notice is not None:
        notice.say(
            f"waiting for another writer to finish: {_holder(driver)} "
            f"(waited {_seconds(waited)} so far)"
        )
    try:
        if limit is not None:
            rest = limit - (time.monotonic() - start)
            driver.execute(f"SET LOCAL lock_timeout = {max(1, _ms(rest))}")
        driver.execute(WRITE_LOCK_SQL)
        driver.execute("SET LOCAL lock_timeout = DEFAULT")
    except LockNotAvailable as exc:
        raise _timeout(exc, WRITE_LOCK_SQL, time.monotonic() - start) from exc
    if notice is not None:
        notice.say(f"got the write lock after {_seconds(time.monotonic() - start)}")


def _holder(driver: Any) -> str:
    """Who holds the write lock and since when, as far as this session may see."""
    row = driver.execute(_HOLDER_SQL).fetchone()
    if row is None:  # released meanwhile
        return "the store's write lock is taken"
    pid, application, held = row
    by = f"server process {pid}" + (f" ({application})" if application else "")
    since = "" if held is None else f" for {_seconds(float(held))}"
    return f"the store's write lock is held by {by}{since}"
