"""Deferred indexes: a load into empty tables builds their secondary indexes once, at the end.

The database a deferred load ends with is the one an ordinary load gives (rows and indexes); no
index is left missing when a load fails, and what a load that died left missing is built by the
next ingest, ``--follow`` or ``vigil migrate``, but never while another load runs; tables that
already hold rows keep their indexes under ``auto``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import event, inspect, select, text
from tests.ingest.test_fast_path import ENRICHER
from tests.ingest.test_group_commit import Watcher, signins_file

from vigil.cli.main import cli
from vigil.ingest.follow import follow
from vigil.ingest.pipeline import Ingestor
from vigil.store import Store, deferred_indexes
from vigil.store.deferred_indexes import (
    BULK_TABLES,
    LoadLock,
    defer_indexes,
    deferrable,
    load_running,
    missing_indexes,
)
from vigil.store.tables import graph_activities, raw_blocks, sign_ins

NAMES = {"ix_sign_ins_ip", "ix_sign_ins_sp_time", "ix_sign_ins_time", "ix_graph_sp_time",
         "ix_graph_time"}  # fmt: skip
UNIQUE = {"uq_sign_ins_id", "uq_graph_activities_id"}


def index_names(store: Store) -> set[str]:
    found = inspect(store.engine)
    return {ix["name"] for t in BULK_TABLES for ix in found.get_indexes(t.name)}


def dump(store: Store) -> list[tuple]:
    """Every sign-in with its raw record (not the surrogate keys, which a second load shifts)."""
    cols = [c for c in sign_ins.c if c.name not in ("pk", "raw_block")]
    with store.engine.connect() as conn:
        rows = conn.execute(select(*cols).order_by(sign_ins.c.id)).all()
    return [(*r, store.activity.raw_record("signins", r.id)) for r in rows]


class DDL:
    """The DROP INDEX / CREATE INDEX statements a store's engine runs, in order, and ``INSERT``
    for each batch written among them (with ``inserts``; the raw-block insert that starts one:
    PostgreSQL's ``COPY`` of the rows runs on the driver's cursor, below SQLAlchemy)."""

    def __init__(self, store: Store, inserts: bool = False) -> None:
        self.statements: list[str] = []
        self.inserts = inserts
        event.listen(store.engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement: str, *args) -> None:
        words = statement.split()
        if words[:2] in (["DROP", "INDEX"], ["CREATE", "INDEX"], ["CREATE", "UNIQUE"]):
            name = next(w for w in words if w.startswith(("ix_", "uq_")))
            self.statements.append(f"{words[0]} {name}")
        elif self.inserts and words[:3] == ["INSERT", "INTO", "raw_blocks"]:
            self.statements.append("INSERT")  # a batch is written (on both backends)


def ingest(store: Store, clock, path: Path, **kwargs):
    ing = Ingestor(store, ENRICHER, clock, batch_size=10, **kwargs)
    return ing.ingest([str(path)])


def test_the_deferrable_indexes_are_the_non_unique_ones() -> None:
    assert {ix.name for t in BULK_TABLES for ix in deferrable(t)} == NAMES
    assert all(not ix.unique for t in (sign_ins, graph_activities) for ix in deferrable(t))


def test_a_load_into_empty_tables_builds_the_indexes_once_at_the_end(
    store: Store, clock, tmp_path
) -> None:
    ddl = DDL(store, inserts=True)
    summary = ingest(store, clock, signins_file(tmp_path, 60))
    assert summary.total.stored == 60
    assert index_names(store) >= NAMES | UNIQUE
    order = ddl.statements
    drops = [s for s in order if s.startswith("DROP")]
    creates = [s for s in order if s.startswith("CREATE")]
    # SQLite: nothing else ingests and no detector runs, so the unique id indexes wait as well
    deferred = NAMES | UNIQUE if store.engine.dialect.name == "sqlite" else NAMES
    assert sorted(drops) == sorted(f"DROP {n}" for n in deferred)
    assert sorted(creates) == sorted(f"CREATE {n}" for n in deferred)
    # every drop, then every insert, then every build
    assert max(map(order.index, drops)) < order.index("INSERT")
    assert len(order) - order[::-1].index("INSERT") - 1 < min(map(order.index, creates))
    if store.engine.dialect.name == "sqlite":  # the build's settings were put back
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA temp_store").scalar() == 2
            assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -131072
            assert conn.exec_driver_sql("PRAGMA threads").scalar() == 0


def test_a_deferred_load_ends_with_the_database_an_ordinary_one_gives(
    db_url: str, clock, tmp_path
) -> None:
    path = signins_file(tmp_path, 80)
    results = []
    for defer in ("auto", "off"):
        store = Store.open(db_url, migrate=True)
        try:
            with store.engine.begin() as conn:  # the second load starts empty too
                conn.execute(sign_ins.delete())
                conn.execute(raw_blocks.delete())
            ingest(store, clock, path, defer_indexes=defer)
            # the query plans use the indexes again
            assert index_names(store) >= NAMES
            results.append(dump(store))
        finally:
            store.close()
    assert results[0] == results[1]
    assert len(results[0]) == 80


def test_tables_that_hold_rows_keep_their_indexes_under_auto(store: Store, clock, tmp_path) -> None:
    ingest(store, clock, signins_file(tmp_path, 20))
    ddl = DDL(store)
    more = tmp_path / "more"
    more.mkdir()
    ingest(store, clock, signins_file(more, 40))
    # graph_activities is still empty, so only its indexes are deferred (not its unique one:
    # sign_ins holds rows, and others may ingest beside this load)
    graph = ["ix_graph_sp_time", "ix_graph_time"]
    assert sorted(ddl.statements) == sorted(
        [f"DROP {n}" for n in graph] + [f"CREATE {n}" for n in graph]
    )
    assert index_names(store) >= NAMES | UNIQUE


def test_on_defers_for_tables_with_rows_and_off_never(store: Store, clock, tmp_path) -> None:
    ingest(store, clock, signins_file(tmp_path, 20))
    ddl = DDL(store)
    ingest(store, clock, signins_file(tmp_path, 30), defer_indexes="on")
    assert sorted(s for s in ddl.statements if s.startswith("DROP ix_")) == sorted(
        f"DROP {n}" for n in NAMES
    )
    # unique id indexes only when both tables are empty (on SQLite): sign_ins holds rows
    assert not [s for s in ddl.statements if s.startswith("DROP uq_")]
    ddl.statements.clear()
    ingest(store, clock, signins_file(tmp_path, 30), defer_indexes="off")
    assert ddl.statements == []
    assert index_names(store) >= NAMES
    with pytest.raises(ValueError, match="defer_indexes"):
        Ingestor(store, ENRICHER, clock, defer_indexes="sometimes")


def test_a_failed_load_still_builds_the_indexes(store: Store, clock, tmp_path) -> None:
    with pytest.raises(RuntimeError, match="observer failed"):
        ingest(store, clock, signins_file(tmp_path, 50), observers=[Watcher(store, fail_at=1)])
    assert index_names(store) >= NAMES
    assert missing_indexes(store.engine) == []


def test_the_next_ingest_builds_what_a_killed_load_left_missing(
    store: Store, clock, tmp_path
) -> None:
    # what SIGKILL during a deferred load leaves: empty tables and no secondary indexes
    assert defer_indexes(store.engine) == list(BULK_TABLES)
    assert {ix.name for ix in missing_indexes(store.engine)} == NAMES
    ingest(store, clock, signins_file(tmp_path, 10), defer_indexes="off")
    assert missing_indexes(store.engine) == []


def test_a_deferring_ingest_keeps_a_dead_loads_indexes_deferred_until_its_end(
    store: Store, clock, tmp_path
) -> None:
    ingest(store, clock, signins_file(tmp_path, 10), defer_indexes="off")
    defer_indexes(store.engine, only_if_empty=False)  # a load that died, tables not empty
    ddl = DDL(store, inserts=True)
    more = tmp_path / "more"
    more.mkdir()
    ingest(store, clock, signins_file(more, 30))
    assert ddl.statements[0] == "INSERT"  # not built first, then loaded row by row
    assert sorted(s for s in ddl.statements if s != "INSERT") == sorted(
        f"CREATE {n}" for n in NAMES
    )
    assert missing_indexes(store.engine) == []


def test_follow_builds_what_a_killed_load_left_missing(store: Store, clock, tmp_path) -> None:
    defer_indexes(store.engine)
    ing = Ingestor(store, ENRICHER, clock, defer_indexes="off")
    follow(ing, [str(tmp_path)], None, poll_seconds=0.01, max_polls=1)
    assert missing_indexes(store.engine) == []


def test_a_failure_while_deferring_still_builds_what_was_dropped(
    store: Store, clock, tmp_path, monkeypatch
) -> None:
    real = deferred_indexes.deferrable
    calls = []

    def failing(table):
        calls.append(table.name)
        if calls == ["sign_ins", "graph_activities"]:  # after sign_ins' indexes were dropped
            raise RuntimeError("deferring failed")
        return real(table)

    monkeypatch.setattr(deferred_indexes, "deferrable", failing)
    with pytest.raises(RuntimeError, match="deferring failed"):
        ingest(store, clock, signins_file(tmp_path, 10))
    monkeypatch.setattr(deferred_indexes, "deferrable", real)
    assert missing_indexes(store.engine) == []


def test_others_leave_a_running_loads_indexes_alone(store: Store, clock, tmp_path) -> None:
    running = LoadLock(store.engine)  # a load in another process, say
    assert running.acquire()
    try:
        assert load_running(store.engine)
        defer_indexes(store.engine)
        ddl = DDL(store)
        ingest(store, clock, signins_file(tmp_path, 10), defer_indexes="off")
        ingest(store, clock, signins_file(tmp_path, 10))  # would defer, but the lock is taken
        follow(Ingestor(store, ENRICHER, clock), [str(tmp_path)], None, max_polls=1)
        assert ddl.statements == []
        assert {ix.name for ix in missing_indexes(store.engine)} == NAMES
    finally:
        running.release()
    assert not load_running(store.engine)
    ingest(store, clock, signins_file(tmp_path, 10), defer_indexes="off")
    assert missing_indexes(store.engine) == []


def test_migrate_builds_missing_indexes(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'v.db'}"
    runner = CliRunner()
    assert runner.invoke(cli, ["--db", url, "migrate"]).exit_code == 0
    store = Store.open(url)
    try:
        with store.engine.begin() as conn:
            conn.execute(text("DROP INDEX ix_sign_ins_ip"))
        result = runner.invoke(cli, ["--db", url, "migrate"])
        assert result.exit_code == 0, result.output
        assert "built missing indexes ix_sign_ins_ip" in result.output
        assert missing_indexes(store.engine) == []
        again = runner.invoke(cli, ["--db", url, "migrate"])
        assert "built missing" not in again.output
    finally:
        store.close()


def test_migrate_leaves_a_running_loads_indexes_alone(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'v.db'}"
    runner = CliRunner()
    assert runner.invoke(cli, ["--db", url, "migrate"]).exit_code == 0
    store = Store.open(url)
    running = LoadLock(store.engine)
    assert running.acquire()
    try:
        defer_indexes(store.engine)
        result = runner.invoke(cli, ["--db", url, "migrate"])
        assert "a bulk load is running" in result.output
        assert {ix.name for ix in missing_indexes(store.engine)} == NAMES
    finally:
        running.release()
        store.close()


def test_the_cli_option_is_documented_and_checked(tmp_path) -> None:
    runner = CliRunner()
    follow_on = runner.invoke(cli, ["--db", f"sqlite:///{tmp_path / 'v.db'}", "ingest", "--follow",
                                    "--defer-indexes", "on", str(tmp_path)])  # fmt: skip
    assert follow_on.exit_code == 2 and "--follow never defers" in follow_on.output
    assert "--defer-indexes [auto|on|off]" in runner.invoke(cli, ["ingest", "--help"]).output
    bad = runner.invoke(cli, ["--db", f"sqlite:///{tmp_path / 'v.db'}", "ingest",
                              "--defer-indexes", "maybe", str(tmp_path)])  # fmt: skip
    assert bad.exit_code == 2 and "maybe" in bad.output


def test_postgres_keeps_the_indexes_of_a_table_others_hold_locked(
    store: Store, monkeypatch
) -> None:
    if store.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: there a reader locks the table, and the index drop gives up "
                    "in time; SQLite readers lock nothing")
    monkeypatch.setattr(deferred_indexes, "LOCK_TIMEOUT", "200ms")
    with store.engine.connect() as reader:  # a long read of graph_activities, say
        reader.execute(select(graph_activities.c.id)).all()
        assert defer_indexes(store.engine) == [sign_ins]
        reader.rollback()
    assert {ix.name for ix in missing_indexes(store.engine)} == {
        "ix_sign_ins_ip", "ix_sign_ins_sp_time", "ix_sign_ins_time"
    }  # fmt: skip
