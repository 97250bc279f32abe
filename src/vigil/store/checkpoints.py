"""Where `vigil ingest --follow` got to in each file, so a restart resumes instead of re-reading."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select

from vigil.store.inventory import upsert_statement
from vigil.store.tables import ingest_checkpoints

C = ingest_checkpoints.c


@dataclass(frozen=True, slots=True)
class Checkpoint:
    path: str
    offset: int  # bytes consumed (up to the end of the last complete line)
    line: int  # lines consumed
    size: int  # file size when last seen
    mtime_ns: int


class CheckpointRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get(self, path: str) -> Checkpoint | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                select(C.path, C.offset, C.line, C.size, C.mtime_ns).where(C.path == path)
            ).first()
        return None if row is None else Checkpoint(*row)

    def set(self, cp: Checkpoint, now: datetime) -> None:
        stmt = upsert_statement(self._engine, ingest_checkpoints)
        values = {
            "path": cp.path,
            "offset": cp.offset,
            "line": cp.line,
            "size": cp.size,
            "mtime_ns": cp.mtime_ns,
            "updated_at": now,
        }
        stmt = stmt.values(values).on_conflict_do_update(
            index_elements=["path"], set_={k: v for k, v in values.items() if k != "path"}
        )
        with self._engine.begin() as conn:
            conn.execute(stmt)
