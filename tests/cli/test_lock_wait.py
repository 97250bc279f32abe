"""A command that writes waits for another writer's lock as long as it takes, says so, and gives up
only when told (``--lock-wait``): real processes, as a user's shell runs them.

A rebuild holds the store's write lock for minutes; SQLite's busy timeout gave up after 30 s with
"database is locked" (an ``ingest --follow`` died). Here the lock is held 2 s and the child's busy
timeout is cut to 0.3 s (``SHORT_BUSY_TIMEOUT``), the same race scaled down.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from vigil.store import Store

SIGNINS = Path(__file__).parents[1] / "data" / "graph" / "signins.jsonl"  # 7 sign-ins

#: Run in the child before Vigil: its SQLite connections open with a 0.3 s busy timeout, not 30 s.
SHORT_BUSY_TIMEOUT = """
import sqlalchemy, vigil.store
_connect = vigil.store.connect
def _short(url, **kwargs):
    engine = _connect(url, **kwargs)
    if engine.dialect.name == "sqlite":
        sqlalchemy.event.listen(
            engine, "connect", lambda dbapi, _rec: dbapi.execute("PRAGMA busy_timeout=300"))
    return engine
vigil.store.connect = _short
from vigil.cli.main import main
main()
"""

SQLITE_HOLDER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
"""

PG_HOLDER = """
import sys, time, psycopg
conn = psycopg.connect(sys.argv[1].replace("postgresql+psycopg", "postgresql"),
                       application_name="a long rebuild")
conn.execute("SELECT pg_advisory_xact_lock(1986618727, hashtext(current_schema()))")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.commit()
"""


def hold(script: str, target: str, seconds: float) -> subprocess.Popen[str]:
    """A process holding the store's write lock for ``seconds`` (returns once it holds it)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", script, target, str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
    return holder


def vigil(
    db: str, *args: str, notice: float = 0.5
) -> tuple[subprocess.CompletedProcess[str], float]:
    """``vigil --db DB ARGS`` in a process of its own; the result and how long it ran."""
    env = {k: v for k, v in os.environ.items() if k != "VIGIL_LOCK_WAIT_SECONDS"}
    env["VIGIL_LOCK_NOTICE_SECONDS"] = str(notice)
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", SHORT_BUSY_TIMEOUT, "--db", db, *args],
        capture_output=True, text=True, timeout=60, check=False, env=env,
    )  # fmt: skip
    return done, time.monotonic() - started


def waiting(db: str, *args: str) -> subprocess.Popen[str]:
    """``vigil --db DB ARGS`` started in a process of its own (the real ``vigil``, signals
    included), returned once it says it waits for the write lock (after 0.3 s)."""
    env = {k: v for k, v in os.environ.items() if k != "VIGIL_LOCK_WAIT_SECONDS"}
    env["VIGIL_LOCK_NOTICE_SECONDS"] = "0.3"
    started = subprocess.Popen(
        [sys.executable, "-m", "vigil.cli.main", "--db", db, *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert started.stderr is not None
    assert started.stderr.readline().startswith("waiting for another writer to finish")
    return started


def interrupted(process: subprocess.Popen[str]) -> float:
    """Send ``process`` SIGINT; how long it took to end (at most 10 s are waited)."""
    import signal

    process.send_signal(signal.SIGINT)
    started = time.monotonic()
    process.wait(10)
    return time.monotonic() - started


def sign_ins(db: str) -> int:
    store = Store.open(db)
    try:
        with store.engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM sign_ins")).scalar_one())
    finally:
        store.close()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> tuple[str, str]:
    path = tmp_path / "v.db"
    Store.open(f"sqlite:///{path}", migrate=True).close()
    return f"sqlite:///{path}", str(path)


def test_an_ingest_waits_for_a_writer_that_holds_the_lock_past_the_busy_timeout(sqlite_db):
    """It failed after the busy timeout ("database is locked", exit 1, nothing stored)."""
    db, path = sqlite_db
    # held 4 s: the ingest's start-up took over 1.5 s on a loaded machine, and the lock was free
    # again before the 0.5 s notice was due (as on PostgreSQL, below)
    holder = hold(SQLITE_HOLDER, path, 4.0)
    done, took = vigil(db, "ingest", str(SIGNINS))
    holder.wait(10)
    assert done.returncode == 0, done.stderr
    assert took >= 1.5  # it waited for the holder
    assert sign_ins(db) == 7
    waiting = [ln for ln in done.stderr.splitlines() if ln.startswith("waiting for another writer")]
    assert len(waiting) == 1, done.stderr  # once, however many transactions waited
    assert f"the write lock of {path} is taken" in waiting[0]
    assert "got the write lock after" in done.stderr


def test_a_quiet_ingest_waits_without_a_word(sqlite_db):
    db, path = sqlite_db
    holder = hold(SQLITE_HOLDER, path, 1.0)
    done, _ = vigil(db, "-q", "ingest", "--format", "json", str(SIGNINS))
    holder.wait(10)
    assert done.returncode == 0 and done.stderr == ""


def test_lock_wait_gives_up_with_one_line_naming_the_wait(sqlite_db):
    db, path = sqlite_db
    holder = hold(SQLITE_HOLDER, path, 30.0)
    try:
        done, took = vigil(db, "--lock-wait", "0.8", "ingest", str(SIGNINS), notice=0.3)
    finally:
        holder.kill()
        holder.wait(10)
    assert done.returncode == 1
    assert 0.8 <= took < 10
    last = done.stderr.splitlines()[-1]
    assert last.startswith("error: gave up after waiting 1 s (--lock-wait) for another writer")
    assert "(database is locked)" in last and "Traceback" not in done.stderr
    assert sign_ins(db) == 0
    at_once, _ = vigil(db, "--lock-wait", "0", "ingest", str(SIGNINS), notice=0)
    assert at_once.returncode == 0  # the holder is gone: 0 waits for nobody
    assert sign_ins(db) == 7


def test_intel_add_waits_too(sqlite_db, tmp_path):
    db, path = sqlite_db
    feed = tmp_path / "bad-ips.txt"
    feed.write_text("203.0.113.7\n")
    # held well past the command's start-up (over a second on a busy machine) and notice (0.5 s)
    holder = hold(SQLITE_HOLDER, path, 3.0)
    done, took = vigil(db, "intel", "add", str(feed))
    holder.wait(10)
    assert done.returncode == 0, done.stderr
    assert took >= 2.5 and "waiting for another writer" in done.stderr


@pytest.mark.postgres
def test_on_postgresql_an_ingest_waits_says_for_whom_and_gives_up_when_told(pg_url):
    """PostgreSQL always waited (an advisory lock, no lock_timeout), silently; now it says who
    holds the lock, and ``--lock-wait`` bounds the wait as on SQLite."""
    Store.open(pg_url, migrate=True).close()
    # held well past the command's start-up (which took over 1.5 s on a busy 2-core machine, so
    # that a hold of 2 s ended before the notice was due) and notice (0.5 s)
    holder = hold(PG_HOLDER, pg_url, 4.0)
    done, took = vigil(pg_url, "ingest", str(SIGNINS))
    holder.wait(10)
    assert done.returncode == 0, done.stderr
    assert took >= 3.5 and sign_ins(pg_url) == 7
    waiting = [ln for ln in done.stderr.splitlines() if ln.startswith("waiting for another writer")]
    assert len(waiting) == 1, done.stderr
    assert "the store's write lock is held by server process " in waiting[0]
    assert "(a long rebuild) for" in waiting[0] and "got the write lock after" in done.stderr
    holder = hold(PG_HOLDER, pg_url, 30.0)
    try:
        given_up, took = vigil(pg_url, "--lock-wait", "0.8", "ingest", str(SIGNINS))
    finally:
        holder.kill()
        holder.wait(10)
    assert given_up.returncode == 1 and 0.8 <= took < 10
    last = given_up.stderr.splitlines()[-1]
    assert last.startswith("error: gave up after waiting 1 s (--lock-wait) for another writer")
    assert "lock timeout" in last


@pytest.mark.postgres
def test_on_postgresql_a_command_is_named_after_itself(pg_url):
    """Its connections carry ``vigil <command>`` as application name, so the waiting message of
    another command (and pg_stat_activity) says which command holds the lock."""
    Store.open(pg_url, migrate=True).close()
    holder = hold(PG_HOLDER, pg_url, 30.0)
    waiter = subprocess.Popen(
        [sys.executable, "-m", "vigil.cli.main", "--db", pg_url, "ingest", str(SIGNINS)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={k: v for k, v in os.environ.items() if k != "PGAPPNAME"})
    try:
        store = Store.open(pg_url)
        try:
            names: set[str] = set()
            deadline = time.monotonic() + 20
            while "vigil ingest" not in names and time.monotonic() < deadline:
                time.sleep(0.1)
                with store.engine.connect() as conn:
                    names = set(conn.execute(text(
                        "SELECT application_name FROM pg_stat_activity")).scalars())
        finally:
            store.close()
        assert "vigil ingest" in names
    finally:
        holder.kill()
        holder.wait(10)
    assert waiter.wait(30) == 0, waiter.stderr.read() if waiter.stderr else ""


def test_the_application_name_is_one_commands_only(monkeypatch, tmp_path):
    """Set for the command's run and gone after it, so in one process (tests, an embedding
    program) the next command is named after itself; a PGAPPNAME already set is kept."""
    from click.testing import CliRunner

    from vigil.cli.main import cli

    monkeypatch.delenv("PGAPPNAME", raising=False)
    runner = CliRunner()
    db = f"sqlite:///{tmp_path / 'v.db'}"
    assert runner.invoke(cli, ["--db", db, "migrate"]).exit_code == 0
    assert "PGAPPNAME" not in os.environ
    monkeypatch.setenv("PGAPPNAME", "my-scheduler")
    assert runner.invoke(cli, ["--db", db, "stats"]).exit_code == 0
    assert os.environ["PGAPPNAME"] == "my-scheduler"


def test_a_followers_checkpoint_waits_for_the_lock_as_a_batch_does(sqlite_db):
    """The checkpoint a follower writes after a file goes in with the write lock too: behind
    another writer it says so and gives up when told, as a batch does (it waited silently, and
    under --lock-wait failed with a bare "database is locked")."""
    from datetime import UTC, datetime

    from vigil.store.checkpoints import Checkpoint, CheckpointRepository
    from vigil.store.write_lock import (
        WRITE_LOCK_NOTICE,
        WRITE_LOCK_TIMEOUT,
        WaitNotice,
        WriteLockTimeout,
    )

    said: list[str] = []
    store = Store.open(sqlite_db[0])
    store.engine.update_execution_options(
        **{WRITE_LOCK_TIMEOUT: 1.0, WRITE_LOCK_NOTICE: WaitNotice(0.2, said.append)})
    holder = hold(SQLITE_HOLDER, sqlite_db[1], 5.0)
    try:
        with pytest.raises(WriteLockTimeout):
            CheckpointRepository(store.engine).set(
                Checkpoint("/data/a.jsonl", 10, 1, 10, 0), datetime.now(UTC))
    finally:
        holder.kill()
        holder.wait(10)
        store.close()
    assert len(said) == 1 and said[0].startswith("waiting for another writer to finish")


@pytest.mark.parametrize(
    "args",
    [("token", "create", "--role", "Security Reader", "--name", "ci"),
     ("credentials", "import", "SECRETS"), ("migrate",)],
)
def test_single_statement_writes_wait_as_every_command_does(sqlite_db, tmp_path, args):
    """A token created, credentials imported or a migration behind another writer say they
    wait and give up with the --lock-wait line, as an ingest does (they waited silently in
    SQLite's busy handler, then failed with a bare "database is locked")."""
    db, path = sqlite_db
    secrets = tmp_path / "secrets.json"
    secrets.write_text('[{"keyId": "3f2504e0-4f89-41d3-9a0c-0305e82c3301", '
                       '"secretText": "abc8Q~0123456789abcdefghijklmnopqrstuvwxyzAB"}]')
    args = tuple(str(secrets) if a == "SECRETS" else a for a in args)
    holder = hold(SQLITE_HOLDER, path, 30.0)
    try:
        done, _ = vigil(db, "--lock-wait", "0.8", *args, notice=0.3)
    finally:
        holder.kill()
        holder.wait(10)
    assert done.returncode == 1, done.stderr
    assert "waiting for another writer to finish" in done.stderr
    assert done.stderr.splitlines()[-1].startswith("error: gave up after waiting 1 s (--lock-wait)")


def test_ctrl_c_ends_a_waiting_command_at_once(sqlite_db):
    """SQLite's busy handler sleeps in C, where SIGINT waits for it to return: a command waiting
    for the lock ignored Ctrl-C until the lock was free (minutes, behind a rebuild). It waits in
    short slices now, and Ctrl-C ends it within one."""

    db, path = sqlite_db
    holder = hold(SQLITE_HOLDER, path, 30.0)
    waiter = waiting(db, "ingest", str(SIGNINS))
    try:
        time.sleep(0.5)  # well into the wait after the notice
        took = interrupted(waiter)
    finally:
        waiter.kill()
        holder.kill()
        holder.wait(10)
    assert waiter.returncode != 0 and took < 2
    assert sign_ins(db) == 0


def test_a_follower_stops_after_its_batch_and_at_once_on_a_second_ctrl_c(sqlite_db, tmp_path):
    """A follower's first SIGINT stops it after the batch in hand, and it says so; waiting
    behind another writer, that batch waits with it (a rebuild: minutes), so a second SIGINT
    stops it at once, storing nothing that a rerun would not read again."""
    import signal

    db, path = sqlite_db
    folder = tmp_path / "archive"
    folder.mkdir()
    (folder / "signins.jsonl").write_bytes(SIGNINS.read_bytes())
    holder = hold(SQLITE_HOLDER, path, 30.0)
    follower = waiting(db, "ingest", "--follow", str(folder))
    try:
        assert follower.stderr is not None
        follower.send_signal(signal.SIGINT)
        assert follower.stderr.readline().startswith("stopping after the batch in hand")
        time.sleep(0.5)
        assert follower.poll() is None  # still waiting for the lock, its batch in hand
        took = interrupted(follower)
    finally:
        follower.kill()
        holder.kill()
        holder.wait(10)
    assert follower.returncode != 0 and took < 2
    assert sign_ins(db) == 0
    again, _ = vigil(db, "ingest", str(folder))
    assert again.returncode == 0 and sign_ins(db) == 7
