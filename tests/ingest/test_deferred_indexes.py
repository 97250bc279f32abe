"""Deferred indexes: a load into empty tables builds their secondary indexes once, at the end.

The database a deferred load ends with is the one an ordinary load gives (rows and indexes); an
index is never left missing, whether the load fails, or dies and the next ingest or
``vigil migrate`` comes along; tables that already hold rows keep their indexes under ``auto``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import event, inspect, select, text
from tests.ingest.test_fast_path import ENRICHER
from tests.ingest.test_group_commit import Watcher, signins_file

from vigil.cli.main import cli
from vigil.ingest.pipeline import Ingestor
from vigil.store import Store
from vigil.store.deferred_indexes import (
    BULK_TABLES,
    defer_indexes,
    deferrable,
    missing_indexes,
)
from vigil.store.tables import graph_activities, raw_blocks, sign_ins

NAMES = {"ix_sign_ins_ip", "ix_sign_ins_sp_time", "ix_sign_ins_time", "ix_graph_sp_time",
         "ix_graph_time"}  # fmt: skip


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
    """The DROP INDEX / CREATE INDEX statements a store's engine runs, in order."""

    def __init__(self, store: Store) -> None:
        self.statements: list[str] = []
        event.listen(store.engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement: str, *args) -> None:
        words = statement.split()
        if words[:2] in (["DROP", "INDEX"], ["CREATE", "INDEX"]):
            self.statements.append(f"{words[0]} {next(w for w in words if w.startswith('ix_'))}")


def ingest(store: Store, clock, path: Path, **kwargs):
    ing = Ingestor(store, ENRICHER, clock, batch_size=10, **kwargs)
    return ing.ingest([str(path)])


def test_the_deferrable_indexes_are_the_non_unique_ones() -> None:
    assert {ix.name for t in BULK_TABLES for ix in deferrable(t)} == NAMES
    assert all(not ix.unique for t in (sign_ins, graph_activities) for ix in deferrable(t))


def test_a_load_into_empty_tables_builds_the_indexes_once_at_the_end(
    store: Store, clock, tmp_path
) -> None:
    ddl = DDL(store)
    summary = ingest(store, clock, signins_file(tmp_path, 60))
    assert summary.total.stored == 60
    assert index_names(store) >= NAMES
    drops = [s for s in ddl.statements if s.startswith("DROP")]
    creates = [s for s in ddl.statements if s.startswith("CREATE")]
    assert sorted(drops) == sorted(f"DROP {n}" for n in NAMES)
    assert sorted(creates) == sorted(f"CREATE {n}" for n in NAMES)
    assert ddl.statements.index(creates[0]) > ddl.statements.index(drops[-1])


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
    # graph_activities is still empty, so only its indexes are deferred
    assert sorted(ddl.statements) == sorted(
        [f"DROP {n}" for n in ("ix_graph_sp_time", "ix_graph_time")]
        + [f"CREATE {n}" for n in ("ix_graph_sp_time", "ix_graph_time")]
    )
    assert index_names(store) >= NAMES


def test_on_defers_for_tables_with_rows_and_off_never(store: Store, clock, tmp_path) -> None:
    ingest(store, clock, signins_file(tmp_path, 20))
    ddl = DDL(store)
    ingest(store, clock, signins_file(tmp_path, 30), defer_indexes="on")
    assert sum(s.startswith("DROP") for s in ddl.statements) == len(NAMES)
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


def test_the_cli_option_is_documented_and_checked(tmp_path) -> None:
    runner = CliRunner()
    assert "--defer-indexes [auto|on|off]" in runner.invoke(cli, ["ingest", "--help"]).output
    bad = runner.invoke(cli, ["--db", f"sqlite:///{tmp_path / 'v.db'}", "ingest",
                              "--defer-indexes", "maybe", str(tmp_path)])  # fmt: skip
    assert bad.exit_code == 2 and "maybe" in bad.output
