"""Where `vigil ingest --follow` got to in each file, so a restart resumes instead of re-reading."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select

from vigil.store.database import transaction
from vigil.store.inventory import upsert_statement
from vigil.store.tables import ingest_checkpoints

C = ingest_checkpoints.c


@dataclass(frozen=True, slots=True)
class FileIdentity:
    """Which file a checkpoint is about: the same path may later hold another file."""

    device: int
    inode: int
    head_length: int  # how many of the file's first bytes ``head_sha256`` covers
    head_sha256: str


@dataclass(frozen=True, slots=True)
class Checkpoint:
    path: str
    offset: int  # bytes consumed (up to the end of the last complete line)
    line: int  # lines consumed (complete ones)
    size: int  # file size when last seen
    mtime_ns: int
    #: Bytes of an unterminated last line read (as line ``line + 1``) past ``offset``.
    tail: int = 0
    #: ``lines`` (tailed) or ``whole``, decided from the file's start; None: not known yet.
    format: str | None = None
    #: None for checkpoints written before identities were kept (revision 0007).
    identity: FileIdentity | None = None


_COLUMNS = (C.path, C.offset, C.line, C.size, C.mtime_ns, C.tail, C.format)
_IDENTITY = (C.device, C.inode, C.head_length, C.head_sha256)


def _checkpoint(row: Sequence[Any]) -> Checkpoint:
    ident = row[len(_COLUMNS) :]
    known = None if any(v is None for v in ident) else FileIdentity(*ident)
    return Checkpoint(*row[: len(_COLUMNS)], identity=known)


class CheckpointRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get(self, path: str) -> Checkpoint | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(*_COLUMNS, *_IDENTITY).where(C.path == path)).first()
        return None if row is None else _checkpoint(row)

    def all(self) -> dict[str, Checkpoint]:
        """Every checkpoint by path, in one query (a follower's poll over many files)."""
        with self._engine.connect() as conn:
            rows = conn.execute(select(*_COLUMNS, *_IDENTITY)).all()
        return {row[0]: _checkpoint(row) for row in rows}

    def set(self, cp: Checkpoint, now: datetime) -> None:
        stmt = upsert_statement(self._engine, ingest_checkpoints)
        ident = cp.identity
        values = {
            "path": cp.path,
            "offset": cp.offset,
            "line": cp.line,
            "size": cp.size,
            "mtime_ns": cp.mtime_ns,
            "tail": cp.tail,
            "format": cp.format,
            "device": None if ident is None else ident.device,
            "inode": None if ident is None else ident.inode,
            "head_length": None if ident is None else ident.head_length,
            "head_sha256": None if ident is None else ident.head_sha256,
            "updated_at": now,
        }
        stmt = stmt.values(values).on_conflict_do_update(
            index_elements=["path"], set_={k: v for k, v in values.items() if k != "path"}
        )
        # with the write lock, as a batch takes it: a follower behind another writer (a rebuild)
        # waits here as there, saying so and bounded by --lock-wait (vigil.store.write_lock)
        with transaction(self._engine, write=True) as conn:
            conn.execute(stmt)
