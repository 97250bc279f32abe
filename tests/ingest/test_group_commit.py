"""Group commit: a transaction holds whole batches, commits by size and age, and at the end."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from bench.corpus import write_signins
from sqlalchemy import func, select
from tests.ingest.test_fast_path import ENRICHER

from vigil.ingest.pipeline import Ingestor, NewRecords
from vigil.ingest.readers import iter_records
from vigil.ingest.summary import IngestSummary
from vigil.store import Store
from vigil.store.tables import sign_ins


class Watcher:
    """An observer that notes, per batch, how many sign-ins another connection can see."""

    def __init__(self, store: Store, fail_at: int | None = None) -> None:
        self.store = store
        self.fail_at = fail_at
        self.visible: list[int] = []
        self.commits = self.rollbacks = 0

    def observe(self, conn: object, records: NewRecords) -> int:
        if len(self.visible) + 1 == self.fail_at:
            raise RuntimeError("observer failed")
        self.visible.append(committed(self.store))
        return 0

    def commit(self, conn: object) -> None:
        self.commits += 1

    def rollback(self) -> None:
        self.rollbacks += 1


def committed(store: Store) -> int:
    with store.engine.connect() as other:
        return other.execute(select(func.count()).select_from(sign_ins)).scalar_one()


def signins_file(tmp_path: Path, count: int, bad_lines: tuple[int, ...] = ()) -> Path:
    """``count`` good sign-in lines, with a bad line after each line number in ``bad_lines``."""
    good = tmp_path / "good.jsonl"
    write_signins(good, count, seed=7, principals=5)
    lines = good.read_bytes().splitlines(keepends=True)
    for n in sorted(bad_lines, reverse=True):
        lines.insert(n, b'{"id": "broken", "createdDateTime": 5}\n')
    path = tmp_path / "signins.jsonl"
    path.write_bytes(b"".join(lines))
    return path


def ingestor(store: Store, clock, observer: Watcher, **kwargs) -> Ingestor:
    return Ingestor(store, ENRICHER, clock, observers=[observer], batch_size=10, **kwargs)


def run(ing: Ingestor, path: Path) -> IngestSummary:
    summary = IngestSummary()
    ing.ingest_items(iter_records(str(path)), summary, None, str(path))
    return summary


def test_commits_after_enough_records_and_at_the_end(store: Store, clock, tmp_path) -> None:
    watcher = Watcher(store)
    ing = ingestor(store, clock, watcher, commit_records=30, commit_seconds=3600)
    summary = run(ing, signins_file(tmp_path, 100))
    assert summary.total.stored == 100
    # batches of 10; batches 1-3 commit together, then 4-6, 7-9; batch 10 at the end
    assert watcher.visible == [0, 0, 0, 30, 30, 30, 60, 60, 60, 90]
    assert committed(store) == 100
    assert (watcher.commits, watcher.rollbacks) == (4, 0)  # told before each commit


def test_commits_once_the_transaction_is_old_enough(store: Store, clock, tmp_path) -> None:
    watcher = Watcher(store)
    ing = ingestor(store, clock, watcher, commit_records=10**6, commit_seconds=0)
    run(ing, signins_file(tmp_path, 50))
    assert watcher.visible == [0, 10, 20, 30, 40]


def test_a_failure_rolls_back_the_open_transaction_only(store: Store, clock, tmp_path) -> None:
    """Rejects reach the rejects file only with their batch's commit; a rerun completes the rest."""
    path = signins_file(tmp_path, 60, bad_lines=(15, 35))  # in batches 2 and 4
    rejects = io.BytesIO()
    watcher = Watcher(store, fail_at=5)
    ing = ingestor(
        store, clock, watcher, commit_records=30, commit_seconds=3600, rejects_file=rejects
    )
    with pytest.raises(RuntimeError, match="observer failed"):
        run(ing, path)
    assert (watcher.commits, watcher.rollbacks) == (1, 1)
    assert committed(store) == 29  # batches 1-3: 30 lines, one of them the bad one
    assert rejects.getvalue().count(b"\n") == 1 and b'"line":16' in rejects.getvalue()

    rerun = io.BytesIO()
    summary = run(ingestor(store, clock, Watcher(store), rejects_file=rerun), path)
    assert committed(store) == 60
    assert (summary.of("signins").stored, summary.of("signins").duplicate) == (31, 29)
    assert rerun.getvalue().count(b"\n") == 2


def test_one_transaction_spans_the_sources_of_an_ingest(store: Store, clock, tmp_path) -> None:
    watcher = Watcher(store)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = signins_file(tmp_path / "a", 20)
    second = tmp_path / "b" / "more.jsonl"
    write_signins(second, 20, seed=8, principals=5)
    ing = ingestor(store, clock, watcher, commit_records=10**6, commit_seconds=3600)
    summary = ing.ingest([str(first), str(second)])
    assert summary.total.stored == 40
    assert watcher.visible == [0, 0]  # a batch per file; neither visible before the end
    assert committed(store) == 40


def test_an_old_transaction_commits_before_the_next_file_is_read(
    store: Store, clock, tmp_path, monkeypatch
) -> None:
    """The write lock is not kept while the next file is opened and parsed."""
    import vigil.ingest.pipeline as pipeline

    now = [0.0]
    monkeypatch.setattr(pipeline.time, "monotonic", lambda: now[0])
    real_expand = pipeline.expand

    def slow_expand(source: str):  # finding the next file takes a minute
        now[0] += 60
        return real_expand(source)

    monkeypatch.setattr(pipeline, "expand", slow_expand)
    (tmp_path / "a").mkdir()
    first = signins_file(tmp_path / "a", 20)
    second = tmp_path / "more.jsonl"
    write_signins(second, 20, seed=8, principals=5)
    watcher = Watcher(store)
    ing = ingestor(store, clock, watcher, commit_records=10**6, commit_seconds=30)
    ing.ingest([str(first), str(second)])
    assert watcher.visible == [0, 20]  # the first file was committed before the second's batch


def test_waiting_for_standard_input_commits_and_frees_the_write_lock(
    store: Store, clock, tmp_path, monkeypatch
) -> None:
    """`producer | vigil ingest -` with a producer that stalls after a batch: the transaction
    commits once old enough while the next input is awaited, so the batch is visible and other
    writers (a dismiss, another ingest) get the write lock. It stayed open until more input came:
    a dismiss failed with "database is locked" after the 30 s busy timeout."""
    import os
    import sys
    import threading
    import time
    from types import SimpleNamespace

    from vigil.store.database import IMMEDIATE

    lines = signins_file(tmp_path, 20).read_bytes().splitlines(keepends=True)
    read_end, write_end = os.pipe()
    monkeypatch.setattr(sys, "stdin", SimpleNamespace(buffer=os.fdopen(read_end, "rb")))
    ing = ingestor(store, clock, Watcher(store), commit_seconds=0.2, defer_indexes="off")
    os.write(write_end, b"".join(lines[:10]))  # one batch, then the producer stalls
    done: list[IngestSummary] = []
    thread = threading.Thread(target=lambda: done.append(ing.ingest(["-"])))
    thread.start()
    try:
        deadline = time.monotonic() + 5
        while committed(store) < 10 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert committed(store) == 10
        writer = store.engine.connect().execution_options(**{IMMEDIATE: True})
        with writer, writer.begin():  # the write lock is free: no wait for more input
            writer.exec_driver_sql("SELECT 1")
    finally:
        os.write(write_end, b"".join(lines[10:]))
        os.close(write_end)
        thread.join(30)
    assert done and done[0].total.stored == 20 and committed(store) == 20
