"""Secondary indexes of the bulk activity tables, dropped for a load and built again after it.

Inserting a sign-in updates ``ix_sign_ins_sp_time``, ``ix_sign_ins_time`` and ``ix_sign_ins_ip``
at places spread all over them; building an index once over the loaded table is a sort instead.
Into an empty database, a 10^6 sign-in load then takes about three quarters of the time, index
builds included (``bench/ingest.py``), and the saving grows with the size of the load, since
scattered inserts slow down as an index outgrows the cache and a sort does not.

Only non-unique indexes are deferred: the unique ``id`` that makes re-ingest add nothing stays.
Nothing that runs during an ingest reads these tables through the deferred indexes; the API and
console still answer meanwhile, with slower sign-in and Graph-activity queries.

If the process dies before the indexes are built again (SIGKILL, power loss), the next
``vigil ingest`` or ``vigil migrate`` builds the missing ones first (:func:`restore_indexes`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import Engine, Index, Table, exists, inspect, select

from vigil.store.tables import graph_activities, sign_ins

#: SQLite settings of the connection that builds an index (see :func:`restore_indexes`).
BUILD_PRAGMAS = {"temp_store": 1, "cache_size": -16384}  # 1 = FILE; 16 MiB

#: Tables a bulk load writes most of; their non-unique indexes may be deferred.
BULK_TABLES: tuple[Table, ...] = (sign_ins, graph_activities)


def deferrable(table: Table) -> list[Index]:
    """The non-unique indexes of ``table``, by name."""
    return sorted((ix for ix in table.indexes if not ix.unique), key=lambda ix: str(ix.name))


def missing_indexes(engine: Engine, tables: Sequence[Table] = BULK_TABLES) -> list[Index]:
    """Deferrable indexes of ``tables`` that the database lacks."""
    found = inspect(engine)
    missing = []
    for table in tables:
        present = {ix["name"] for ix in found.get_indexes(table.name)}
        missing += [ix for ix in deferrable(table) if ix.name not in present]
    return missing


def restore_indexes(
    engine: Engine,
    tables: Sequence[Table] = BULK_TABLES,
    progress: Callable[[str], None] | None = None,
) -> list[str]:
    """Build the deferrable indexes the database lacks, each in its own transaction; their names."""
    built = []
    for index in missing_indexes(engine, tables):
        if progress is not None:
            progress(str(index.name))
        with engine.connect() as conn:
            # SQLite sorts for CREATE INDEX in memory up to the cache size, then spills sorted
            # runs to temporary files, which Vigil keeps in memory (temp_store=MEMORY): a build's
            # memory would grow with the table. Here runs are at most 16 MiB and go to disk, so
            # a build needs no more memory than the ingest did. (Set outside a transaction.)
            driver = conn.connection.driver_connection if conn.dialect.name == "sqlite" else None
            saved: dict[str, int] = {}
            if driver is not None:
                for pragma, value in BUILD_PRAGMAS.items():
                    saved[pragma] = int(driver.execute(f"PRAGMA {pragma}").fetchone()[0])
                    driver.execute(f"PRAGMA {pragma}={value}")
            try:
                with conn.begin():
                    index.create(conn, checkfirst=True)
            finally:
                for pragma, value in saved.items():
                    driver.execute(f"PRAGMA {pragma}={value}")
        built.append(str(index.name))
    return built


def defer_indexes(
    engine: Engine, tables: Sequence[Table] = BULK_TABLES, *, only_if_empty: bool = True
) -> list[Table]:
    """Drop the deferrable indexes of ``tables`` (of the empty ones, with ``only_if_empty``).

    Returns the tables whose indexes were dropped: hand them to :func:`restore_indexes` when the
    load is over. Each table is checked and changed in one transaction, so a concurrent writer
    cannot slip rows in between.
    """
    deferred = []
    for table in tables:
        with engine.begin() as conn:
            if only_if_empty and conn.execute(select(exists().select_from(table))).scalar():
                continue
            for index in deferrable(table):
                index.drop(conn, checkfirst=True)
        deferred.append(table)
    return deferred
