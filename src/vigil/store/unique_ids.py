"""The unique ``id`` indexes of the bulk activity tables, while a load into them is deferred.

``uq_sign_ins_id`` and ``uq_graph_activities_id`` make re-ingest add nothing: a row whose id is
stored is not inserted again. Kept up row by row they are the costliest part of a bulk load into
SQLite: a new id lands at a random place of a B-tree the size of the table (10^6 stored sign-ins
moved by ``INSERT ... SELECT`` into a new table, its other indexes deferred: 93,000 rows/s with
it, 268,000 without; its build at the end takes about 1.3 s).

So a load of files (not standard input, which may stream for hours) into *empty* tables (both
of them: a new store's first load) with nothing watching its rows (no detector) may drop the
index too (``vigil.store.deferred_indexes``), insert every row, and build it at its end; if that
fails, some id was given twice: the rows whose id an earlier row holds are removed
(:func:`remove_duplicates`: the first of an id wins, as with the index) and the index built
again. Its summary then counts those rows as duplicates.

No other ingest may insert while the index is missing: it could not tell new rows from stored
ones. Every ingest into a SQLite file therefore holds the :class:`IngestGate` shared for as long
as it runs, and a load drops the index only if it can hold the gate alone (exclusive, without
waiting), and shares it again at once if its tables held rows after all. An ingest that starts
during such a load waits for it (saying so, like a wait for the write lock). PostgreSQL keeps
the index: its loads ``COPY`` into a staging table and insert with ``ON CONFLICT``, which needs
it.
"""

from __future__ import annotations

import fcntl
import os
import time
from urllib.parse import unquote, urlsplit

from sqlalchemy import Connection, Engine, Index, Table
from sqlalchemy.util import asbool

from vigil.store.write_lock import (
    SLICE_SECONDS,
    WRITE_LOCK_NOTICE,
    WRITE_LOCK_TIMEOUT,
    WaitNotice,
)

_STAGE = "_vigil_duplicates"


def unique_id_index(table: Table) -> Index | None:
    """The table's unique index on ``id`` alone, if it has one."""
    for index in table.indexes:
        if index.unique and [c.name for c in index.columns] == ["id"]:
            return index
    return None


def remove_duplicates(conn: Connection, table: Table) -> int:
    """Delete every row of ``table`` whose id a row of smaller pk holds, and the raw blocks that
    only such rows used; how many rows. Runs in ``conn``'s transaction."""
    name = table.name
    stage = f"{'temp' if conn.dialect.name == 'sqlite' else 'pg_temp'}.{_STAGE}"
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {stage}")
    conn.exec_driver_sql(
        f"CREATE TEMP TABLE {_STAGE} AS SELECT pk, raw_block FROM {name} "
        f"WHERE pk NOT IN (SELECT min(pk) FROM {name} GROUP BY id)"
    )
    try:
        removed = int(conn.exec_driver_sql(f"SELECT count(*) FROM {_STAGE}").scalar() or 0)
        if removed:
            conn.exec_driver_sql(f"DELETE FROM {name} WHERE pk IN (SELECT pk FROM {_STAGE})")
            # a block stays while a kept row points into it (one scan of the table)
            conn.exec_driver_sql(
                f"DELETE FROM raw_blocks WHERE pk IN (SELECT raw_block FROM {_STAGE}) "
                f"AND pk NOT IN (SELECT raw_block FROM {name} "
                f"WHERE raw_block IN (SELECT raw_block FROM {_STAGE}))"
            )
        return removed
    finally:
        conn.exec_driver_sql(f"DROP TABLE {stage}")


def lock_file(engine: Engine, suffix: str) -> str | None:
    """The file beside a SQLite database that a lock of its ingests is taken on (``flock``), named
    after the database's real path: two spellings of one file (relative, through a symlink to the
    file itself, a ``file:`` URI with ``?uri=true``) lock the same one. None for other databases
    and in-memory SQLite."""
    url = engine.url
    path = url.database
    if engine.dialect.name != "sqlite" or not path or path == ":memory:":
        return None
    if path.startswith("file:") and _uri(url.query.get("uri")):
        path = unquote(urlsplit(path).path)
        if not path or path == ":memory:" or url.query.get("mode") == "memory":
            return None
    return f"{os.path.realpath(path)}.{suffix}"


def _uri(value: str | tuple[str, ...] | None) -> bool:
    """``?uri=`` as SQLAlchemy reads it (``asbool``: true, yes, on, 1, in any case; the last of
    several)."""
    try:
        return bool(value) and asbool(value[-1] if isinstance(value, tuple) else value)
    except ValueError:
        return False


class GateTimeout(RuntimeError):
    """Gave up waiting for a bulk load to finish (``WRITE_LOCK_TIMEOUT``, ``--lock-wait``)."""


class IngestGate:
    """Held shared by every ingest into a SQLite file, exclusive by a load that drops the unique
    id indexes (see the module docstring): a ``flock`` on a file beside the database, which the
    operating system releases however the process ends. Other stores have no gate: ``exclusive``
    is False and ``shared`` returns at once."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._path = lock_file(engine, "ingest-lock")
        self._fd: int | None = None

    def _open(self) -> int:
        assert self._path is not None
        if self._fd is None:
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        return self._fd

    def exclusive(self) -> bool:
        """Hold the gate alone if no other ingest holds it now (no waiting)."""
        if self._path is None:
            return False
        try:
            fcntl.flock(self._open(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def shared(self) -> None:
        """Hold the gate beside other ingests, waiting while a load holds it alone: as long as it
        takes, or the engine's ``WRITE_LOCK_TIMEOUT`` (then :class:`GateTimeout`); its
        ``WRITE_LOCK_NOTICE`` is told once the wait has lasted its time."""
        if self._path is None:
            return
        options = self._engine.get_execution_options()
        limit: float | None = options.get(WRITE_LOCK_TIMEOUT)
        notice: WaitNotice | None = options.get(WRITE_LOCK_NOTICE)
        fd, start, told = self._open(), time.monotonic(), False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                waited = time.monotonic() - start
                if limit is not None and waited >= limit:
                    where = self._engine.url.database
                    raise GateTimeout(
                        f"gave up after waiting {waited:.1f} s (--lock-wait): a bulk load into "
                        f"{where} is running; ingest again once it has finished"
                    ) from None
                if notice is not None and not told and waited >= notice.after:
                    notice.say(
                        "waiting for a bulk load into the empty store to finish: it builds the "
                        f"unique id indexes at its end (waited {waited:.0f} s so far)"
                    )
                    told = True
                time.sleep(SLICE_SECONDS)
        if told and notice is not None:
            notice.say(f"the bulk load has finished, after {time.monotonic() - start:.0f} s")

    def share(self) -> None:
        """Hold the gate held alone shared from now on, so that other ingests go on. (``flock``
        drops the lock before it takes the new one; only a load that holds the load lock takes
        the gate alone, so no other can take it in between.)"""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_SH)

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
