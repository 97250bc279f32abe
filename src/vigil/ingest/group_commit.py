"""Group commit: one write transaction spanning an ingest's batches (see ``vigil.ingest.pipeline``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from sqlalchemy import Connection, RootTransaction

from vigil.store import Reject, Store
from vigil.store.database import IMMEDIATE

if TYPE_CHECKING:
    from vigil.ingest.pipeline import Observer


class GroupCommit:
    """One write transaction spanning batches; commits by size, by age and on leaving
    (the contract in ``vigil.ingest.pipeline``).

    Rejects go to the rejects file only once their batch has committed, so a crash never leaves
    the file listing a record that the rerun reports again.
    """

    def __init__(
        self,
        store: Store,
        max_records: int,
        max_seconds: float,
        observers: list[Observer],
        on_commit: Callable[[list[Reject]], None],
    ) -> None:
        self._store = store
        self._max_records = max_records
        self._max_seconds = max_seconds
        self._observers = observers
        self._on_commit = on_commit
        self._conn: Connection | None = None
        self._trans: RootTransaction | None = None
        self._opened = 0.0
        self._records = 0
        self._rejects: list[Reject] = []

    def __enter__(self) -> GroupCommit:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        if exc_type is None:
            self.commit()
        else:
            self._rollback()

    @contextmanager
    def batch(self, records: int, rejects: list[Reject]) -> Iterator[Connection]:
        """The open transaction (begun if need be) for a batch's writes; may commit after."""
        if self._conn is None:
            conn = self._store.engine.connect().execution_options(**{IMMEDIATE: True})
            self._trans, self._conn = conn.begin(), conn
            self._opened = time.monotonic()
        try:
            yield self._conn
        except BaseException:
            self._rollback()
            raise
        self._records += records
        self._rejects += rejects
        if self._records >= self._max_records:
            self.commit()
        else:
            self.commit_if_due()

    def commit_if_due(self) -> None:
        """Commit if the transaction has been open ``max_seconds`` (called between batches and
        before each file, so the write lock is not held while the next input is being read)."""
        if self._conn is not None and time.monotonic() - self._opened >= self._max_seconds:
            self.commit()

    def commit(self) -> None:
        if self._conn is None:
            return
        assert self._trans is not None
        try:
            for observer in self._observers:
                observer.commit(self._conn)
        except BaseException:
            self._rollback()
            raise
        self._trans.commit()
        self._close()
        rejects, self._rejects = self._rejects, []
        self._on_commit(rejects)

    def _rollback(self) -> None:
        if self._conn is not None:
            assert self._trans is not None
            self._trans.rollback()
            for observer in self._observers:
                observer.rollback()
            self._close()
        self._rejects = []

    def _close(self) -> None:
        assert self._conn is not None
        self._conn.close()
        self._conn, self._trans, self._records = None, None, 0
