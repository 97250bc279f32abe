"""A bulk load into empty SQLite tables drops their unique id indexes too (vigil.store.unique_ids).

It removes the rows of an id it stored twice at its end, so it counts and stores what a load
with every index kept does; it never does so beside another ingest or with detectors watching;
other ingests wait for it; what a load that died left behind is set right by the next one.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import event, text
from tests.ingest.test_deferred_indexes import UNIQUE, dump, index_names
from tests.ingest.test_fast_path import ENRICHER
from tests.ingest.test_group_commit import Watcher, signins_file

from vigil.cli.main import cli
from vigil.ingest import bulk_load
from vigil.ingest.follow import follow
from vigil.ingest.pipeline import Ingestor
from vigil.store import Store
from vigil.store.deferred_indexes import (
    LoadLock,
    defer_indexes,
    missing_indexes,
    repair_indexes,
    restore_indexes,
)
from vigil.store.tables import graph_activities, sign_ins
from vigil.store.unique_ids import GateTimeout, IngestGate
from vigil.store.write_lock import WRITE_LOCK_NOTICE, WRITE_LOCK_TIMEOUT, WaitNotice

GRAPH = Path(__file__).resolve().parents[1] / "data" / "la" / "MicrosoftGraphActivityLogs.json"


@pytest.fixture
def sqlite(tmp_path: Path):
    s = Store.open(f"sqlite:///{tmp_path / 'v.db'}", migrate=True)
    try:
        yield s
    finally:
        s.close()


def twice(tmp_path: Path, count: int) -> list[str]:
    """Paths holding ``count`` sign-ins, every one twice (a file that repeats its first half,
    and a copy of it), and the Graph activity sample twice."""
    path = signins_file(tmp_path, count)
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines + lines[: count // 2]))
    copy = tmp_path / "copy"
    copy.mkdir()
    shutil.copy(path, copy / "signins.jsonl")
    shutil.copy(GRAPH, copy / "graph.json")
    return [str(path), str(copy / "signins.jsonl"), str(GRAPH), str(copy / "graph.json")]


def load(store: Store, clock, paths: list[str], **kwargs):
    return Ingestor(store, ENRICHER, clock, batch_size=7, **kwargs).ingest(paths)


def load_in_thread(store: Store, clock, path: str) -> tuple[threading.Thread, list]:
    """``load`` of ``path`` (indexes kept) started in a thread; its summary lands in the list."""
    done: list = []
    worker = threading.Thread(
        target=lambda: done.append(load(store, clock, [path], defer_indexes="off"))
    )
    worker.start()
    return worker, done


def stray_blocks(store: Store) -> int:
    with store.engine.connect() as conn:
        return conn.exec_driver_sql(
            "SELECT count(*) FROM raw_blocks WHERE pk NOT IN "
            "(SELECT raw_block FROM sign_ins WHERE raw_block IS NOT NULL "
            "UNION SELECT raw_block FROM graph_activities WHERE raw_block IS NOT NULL)"
        ).scalar_one()


def drops_of_unique_indexes(store: Store) -> list[str]:
    """The names of the unique indexes ``store``'s engine drops from now on, as it drops them."""
    dropped: list[str] = []

    def seen(conn, cursor, statement: str, *args) -> None:
        if statement.strip().startswith("DROP INDEX") and "uq_" in statement:
            dropped.append(statement.split()[-1])

    event.listen(store.engine, "before_cursor_execute", seen)
    return dropped


def graph_ids(store: Store) -> list[str]:
    with store.engine.connect() as conn:
        return sorted(
            r[0]
            for r in conn.execute(
                graph_activities.select().with_only_columns(graph_activities.c.id)
            )
        )


def test_a_load_that_drops_the_unique_indexes_stores_and_counts_as_one_that_keeps_them(
    tmp_path: Path, clock
) -> None:
    paths = twice(tmp_path, 60)
    results = []
    for defer in ("auto", "off"):
        store = Store.open(f"sqlite:///{tmp_path / f'{defer}.db'}", migrate=True)
        dropped = drops_of_unique_indexes(store)
        try:
            summary = load(store, clock, paths, defer_indexes=defer)
            assert sorted(dropped) == (sorted(UNIQUE) if defer == "auto" else [])
            assert index_names(store) >= UNIQUE
            assert missing_indexes(store.engine) == []
            assert stray_blocks(store) == 0  # blocks only the removed rows used are gone
            results.append(
                (summary.of("signins"), summary.of("graphactivity"), dump(store), graph_ids(store))
            )
        finally:
            store.close()
    deferred, kept = results
    assert deferred == kept
    signins, graph = deferred[0], deferred[1]
    assert (signins.read, signins.stored, signins.duplicate) == (180, 60, 120)
    assert graph.stored > 0 and graph.duplicate == graph.stored
    assert len(deferred[2]) == 60


def test_the_unique_indexes_are_dropped_only_into_empty_tables_by_a_load_alone_and_unwatched(
    sqlite: Store, clock, tmp_path: Path
) -> None:
    seen = drops_of_unique_indexes(sqlite)
    path = str(signins_file(tmp_path, 20))
    load(sqlite, clock, [path], observers=[Watcher(sqlite)])  # a detector watches: kept
    assert seen == []
    with sqlite.engine.begin() as conn:
        conn.execute(sign_ins.delete())
    other = IngestGate(sqlite.engine)
    other.shared()  # another ingest runs (a follower): kept
    try:
        load(sqlite, clock, [path])
    finally:
        other.release()
    assert seen == []
    assert index_names(sqlite) >= UNIQUE
    with sqlite.engine.begin() as conn:
        conn.execute(sign_ins.delete())
    load(sqlite, clock, [path])  # alone, unwatched, empty tables: dropped and built again
    assert sorted(seen) == sorted(UNIQUE)
    assert index_names(sqlite) >= UNIQUE


def test_an_ingest_waits_while_a_load_holds_the_gate_alone(
    sqlite: Store, clock, tmp_path: Path
) -> None:
    loader = IngestGate(sqlite.engine)
    assert loader.exclusive()
    path = str(signins_file(tmp_path, 10))
    try:
        sqlite.engine.update_execution_options(**{WRITE_LOCK_TIMEOUT: 0.5})  # --lock-wait 0.5
        with pytest.raises(GateTimeout, match="bulk load"):
            load(sqlite, clock, [path], defer_indexes="off")
        sqlite.engine.update_execution_options(**{WRITE_LOCK_TIMEOUT: None})
        worker, done = load_in_thread(sqlite, clock, path)
        time.sleep(0.6)
        assert not done  # still waiting for the load
    finally:
        loader.release()
    worker.join(10)
    assert done and done[0].total.stored == 10


def dead_load(store: Store, count: int) -> None:
    """What SIGKILL leaves of a load that dropped the unique indexes: rows stored twice."""
    assert defer_indexes(store.engine, unique=True)
    assert {ix.name for ix in missing_indexes(store.engine, unique_only=True)} == UNIQUE
    dead_load_rows(store, count)


def dead_load_rows(store: Store, count: int) -> None:
    with store.engine.begin() as conn:
        for n in range(count):
            for _ in range(2):
                at = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=n)
                conn.execute(sign_ins.insert().values(
                    id=f"dead-{n}", kind="servicePrincipal", service_principal_id="sp",
                    created_at=at, error_code=0, data="[1]",
                ))  # fmt: skip


@pytest.mark.parametrize("how", ["ingest", "follow", "migrate"])
def test_what_a_dead_load_left_is_set_right_by_the_next_run(
    sqlite: Store, clock, tmp_path: Path, how: str, caplog
) -> None:
    dead_load(sqlite, 5)
    path = signins_file(tmp_path, 10)
    with caplog.at_level(logging.WARNING):
        if how == "ingest":
            summary = load(sqlite, clock, [str(path)])
            assert summary.of("signins").stored == 10  # the dead load's duplicates not counted
        elif how == "follow":
            follow(
                Ingestor(sqlite, ENRICHER, clock, defer_indexes="off"),
                [str(tmp_path)],
                None,
                poll_seconds=0.01,
                max_polls=1,
            )
        else:
            result = CliRunner().invoke(cli, ["--db", str(sqlite.engine.url), "migrate"])
            assert result.exit_code == 0, result.output
    assert "removed 5 rows" in caplog.text
    assert missing_indexes(sqlite.engine) == []
    with sqlite.engine.connect() as conn:
        assert (
            conn.execute(text("SELECT count(*) FROM sign_ins WHERE id LIKE 'dead-%'")).scalar() == 5
        )


def test_vigil_ingest_says_it_waits_for_the_load_and_gives_up_when_told(
    sqlite: Store, tmp_path: Path
) -> None:
    """Real processes: the gate is a flock that another process holds."""
    path = str(signins_file(tmp_path, 5))
    env = {k: v for k, v in os.environ.items() if k != "VIGIL_LOCK_WAIT_SECONDS"}
    env["VIGIL_LOCK_NOTICE_SECONDS"] = "0.3"
    command = [sys.executable, "-m", "vigil.cli.main", "--db", str(sqlite.engine.url)]
    loader = IngestGate(sqlite.engine)
    assert loader.exclusive()
    try:
        gave_up = subprocess.run([*command, "--lock-wait", "0.5", "ingest", path], env=env,
                                 capture_output=True, text=True, timeout=60)  # fmt: skip
        assert gave_up.returncode == 1
        assert re.match(r"error: gave up after waiting 0\.\d s \(--lock-wait\): a bulk load into ",
                        gave_up.stderr), gave_up.stderr
        waiting = subprocess.Popen([*command, "ingest", "--format", "json", path], env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
        assert waiting.stderr is not None
        assert waiting.stderr.readline().startswith("waiting for a bulk load into the empty store")
    finally:
        loader.release()
    out, err = waiting.communicate(timeout=60)
    assert waiting.returncode == 0, err
    assert "the bulk load has finished" in err
    assert json.loads(out)["kinds"]["signins"]["stored"] == 5


def test_a_load_into_tables_that_hold_rows_lets_other_ingests_run_beside_it(
    sqlite: Store, clock, tmp_path: Path, monkeypatch
) -> None:
    """It took the gate alone to see whether it may drop the unique indexes; the tables held
    rows, so it shares it again before it stores anything (others used to wait it out)."""
    load(sqlite, clock, [str(signins_file(tmp_path, 10))])
    with sqlite.engine.begin() as conn:  # graph_activities: not empty either
        conn.execute(graph_activities.insert().values(
            id="g", time=datetime(2026, 1, 1, tzinfo=UTC), request_method="GET",
            request_uri="/users", response_status_code=200, data="{}"))  # fmt: skip
    beside: list[str] = []
    sources = Ingestor._ingest_sources

    def meanwhile(self, *args):
        other = IngestGate(sqlite.engine)
        sqlite.engine.update_execution_options(**{WRITE_LOCK_TIMEOUT: 0.3})
        try:
            other.shared()
            beside.append("ran")
        except GateTimeout:
            beside.append("waited")
        finally:
            other.release()
            sqlite.engine.update_execution_options(**{WRITE_LOCK_TIMEOUT: None})
        return sources(self, *args)

    monkeypatch.setattr(Ingestor, "_ingest_sources", meanwhile)
    more = tmp_path / "more"
    more.mkdir()
    load(sqlite, clock, [str(signins_file(more, 10))])
    assert beside == ["ran"]


def test_a_load_of_sign_ins_into_a_store_that_holds_some_keeps_graph_activitys_unique_index(
    sqlite: Store, clock, tmp_path: Path
) -> None:
    """graph_activities is empty but sign_ins is not: dropping the Graph index alone would make
    every other ingest wait for this load for an index it never uses."""
    load(sqlite, clock, [str(signins_file(tmp_path, 10))])
    more = tmp_path / "more"
    more.mkdir()
    other = IngestGate(sqlite.engine)
    seen = drops_of_unique_indexes(sqlite)
    load(sqlite, clock, [str(signins_file(more, 10))])
    assert seen == []
    assert other.exclusive()  # and it let go of the gate
    other.release()


def test_an_ingest_beside_a_load_that_has_yet_to_build_a_dead_loads_unique_index_waits_for_it(
    sqlite: Store, clock, tmp_path: Path
) -> None:
    """A load with detectors holds the load lock (so others cannot repair) but shares the gate:
    an ingest started before that load has built the unique index a dead load left missing must
    not insert meanwhile (its ON CONFLICT (id) has no index to use) but wait for it."""
    dead_load(sqlite, 5)
    live = LoadLock(sqlite.engine)
    assert live.acquire()

    def build_then_end() -> None:  # as a load with detectors does
        time.sleep(0.5)
        restore_indexes(sqlite.engine, unique_only=True)  # at its start
        time.sleep(0.2)
        restore_indexes(sqlite.engine)  # at its end, what it kept deferred
        live.release()

    builder = threading.Thread(target=build_then_end)
    builder.start()
    try:
        summary = load(sqlite, clock, [str(signins_file(tmp_path, 10))], defer_indexes="off")
    finally:
        builder.join(10)
    assert summary.of("signins").stored == 10
    assert missing_indexes(sqlite.engine) == []


def test_waiting_for_another_load_to_build_a_dead_loads_unique_index_is_told_and_bounded(
    sqlite: Store, clock, tmp_path: Path
) -> None:
    """That wait says what it waits for once it has lasted the notice's time, and gives up
    after --lock-wait, as the other waits for the store do."""
    dead_load(sqlite, 5)
    live = LoadLock(sqlite.engine)  # a load that holds the lock and builds nothing meanwhile
    assert live.acquire()
    told: list[str] = []
    path = str(signins_file(tmp_path, 10))
    try:
        sqlite.engine.update_execution_options(**{
            WRITE_LOCK_TIMEOUT: 0.6, WRITE_LOCK_NOTICE: WaitNotice(0.2, told.append)
        })  # fmt: skip
        started = time.monotonic()
        with pytest.raises(GateTimeout, match=r"has yet to build the indexes uq_sign_ins_id, uq_graph"):
            load(sqlite, clock, [path], defer_indexes="off")
        assert 0.6 <= time.monotonic() - started < 5
        assert len(told) == 1 and told[0].startswith("waiting for another load to build the indexes uq_")
        sqlite.engine.update_execution_options(**{WRITE_LOCK_TIMEOUT: None})
        worker, done = load_in_thread(sqlite, clock, path)
        time.sleep(0.5)
        assert not done  # still waiting
        restore_indexes(sqlite.engine)
    finally:
        live.release()
    worker.join(10)
    assert done and done[0].total.stored == 10
    assert told[-1].startswith("the unique id indexes are there, after")


def test_a_missing_unique_index_is_built_after_removing_duplicates_on_every_database(
    store: Store,
) -> None:
    """PostgreSQL never drops it, but a store that lacks it (restored from a dump without it, say)
    is set right the same way: its temporary table lives in pg_temp, not SQLite's temp."""
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DROP INDEX uq_sign_ins_id")
    dead_load_rows(store, 3)
    assert repair_indexes(store.engine) == ["uq_sign_ins_id"]
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM sign_ins")).scalar() == 3


def test_standard_input_keeps_the_unique_indexes(tmp_path: Path, monkeypatch) -> None:
    """A pipe may stream for hours (az rest ... | vigil ingest -): every other ingest would wait
    for it as long, so it keeps the index, even into a new store."""
    asked: list[bool] = []
    real = bulk_load.defer_indexes

    def defer(engine, **kwargs):
        asked.append(kwargs["unique"])
        return real(engine, **kwargs)

    monkeypatch.setattr(bulk_load, "defer_indexes", defer)
    lines = signins_file(tmp_path, 10).read_bytes()
    for n, (args, given) in enumerate(
        ((["-"], lines + lines), ([str(tmp_path / "signins.jsonl")], None))
    ):
        db = f"sqlite:///{tmp_path / f'{n}.db'}"
        Store.open(db, migrate=True).close()
        result = CliRunner().invoke(
            cli, ["--db", db, "ingest", "--no-detect", "--format", "json", *args], input=given
        )
        assert result.exit_code == 0, result.output
        if given is not None:
            assert json.loads(result.stdout)["kinds"]["signins"]["duplicate"] == 10
    assert asked == [False, True]  # a file into a new store: dropped


def test_every_spelling_of_a_sqlite_file_takes_the_same_locks(
    sqlite: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The gate and the load lock are files beside the database named after its real path: a
    symlink to the database file, a relative path or a ``file:`` URI must not get locks of its
    own (an absolute ``file:`` URI failed: its lock file was named ``file:/...``)."""
    (tmp_path / "link.db").symlink_to(tmp_path / "v.db")
    monkeypatch.chdir(tmp_path)
    urls = (f"sqlite:///{tmp_path / 'link.db'}", "sqlite:///v.db", "sqlite:///file:v.db?uri=true",
            f"sqlite:///file:{tmp_path / 'v.db'}?uri=true", "sqlite:///file:v.db?uri=Yes",
            f"sqlite:///file:{tmp_path / 'v.db'}?uri=on&uri=1")  # SQLAlchemy's asbool spellings
    others = [Store.open(url) for url in urls]
    try:
        gate, load_lock = IngestGate(sqlite.engine), LoadLock(sqlite.engine)
        assert gate.exclusive() and load_lock.acquire()
        try:
            for other in others:
                assert not IngestGate(other.engine).exclusive()
                assert not LoadLock(other.engine).acquire()
        finally:
            gate.release()
            load_lock.release()
        through_link = IngestGate(others[0].engine)
        assert through_link.exclusive()  # free again
        through_link.release()
    finally:
        for other in others:
            other.close()
    assert not (tmp_path / "link.db.ingest-lock").exists()
    assert sorted(p.name for p in tmp_path.glob("*lock")) == ["v.db.ingest-lock", "v.db.load-lock"]
