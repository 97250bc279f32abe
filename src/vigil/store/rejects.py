"""Rejected input records, kept for inspection with their location and reason."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, Engine, delete, func, select

from vigil.leaks.redact import (
    MARK,
    names_escaped_member,
    redact,
    redact_text,
    shaped_behind_escapes,
)
from vigil.paths import source_name
from vigil.store.database import transaction
from vigil.store.inventory import upsert_statement
from vigil.store.tables import rejected_records


@dataclass(frozen=True, slots=True)
class Reject:
    """A rejected record; its text and reason are kept with secret values redacted
    (:mod:`vigil.leaks.redact`), in the store as in the rejects file."""

    source: str
    line: int
    reason: str
    kind: str | None = None
    raw: bytes | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "source", source_name(self.source))
        object.__setattr__(self, "reason", redact_text(self.reason))
        if self.raw is not None:
            raw = bytes(self.raw)
            hidden = names_escaped_member(raw) or shaped_behind_escapes(raw)
            object.__setattr__(self, "raw", MARK if hidden else redact(raw))

    def to_line(self) -> dict[str, object]:
        """The reject as a line of the ``--rejects`` file (and of ``vigil rejects``) has it."""
        return {
            "source": self.source,
            "line": self.line,
            "kind": self.kind,
            "reason": self.reason,
            "record": (self.raw or b"").decode("utf-8", "replace"),
        }

    @property
    def fingerprint(self) -> str:
        """Same file, line and bytes → same fingerprint, so re-runs do not duplicate rejects.

        The file is its real path (a relative spelling, ``./``, a symlinked folder: one file),
        ``<stdin>`` as it is; the reject keeps the source as it was given."""
        source = self.source if self.source.startswith("<") else os.path.realpath(self.source)
        h = hashlib.sha256(f"{source}\x1f{self.line}\x1f".encode())
        h.update(self.raw or b"")
        return h.hexdigest()


class RejectRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, rejects: Sequence[Reject], now: datetime, conn: Connection | None = None) -> None:
        if not rejects:
            return
        stmt = upsert_statement(self._engine, rejected_records).on_conflict_do_nothing(  # type: ignore[attr-defined]
            index_elements=["fingerprint"]
        )
        rows = [
            {
                "fingerprint": r.fingerprint,
                "source": r.source,
                "line": r.line,
                "kind": r.kind,
                "reason": r.reason,
                "raw": r.raw,
                "rejected_at": now,
            }
            for r in rejects
        ]
        with transaction(self._engine, conn) as conn:
            conn.execute(stmt, rows)

    def list(self, limit: int = 100) -> list[Reject]:
        """The first ``limit`` rejects kept, oldest first."""
        c = rejected_records.c
        query = select(c.source, c.line, c.reason, c.kind, c.raw).order_by(c.pk).limit(limit)
        with self._engine.connect() as conn:
            return [Reject(*row) for row in conn.execute(query)]

    def latest(
        self, limit: int, *, source: str | None = None, kind: str | None = None
    ) -> list[KeptReject]:
        """The ``limit`` rejects kept last, in the order they were kept (oldest of them first);
        ``source``: only those whose source contains it; ``kind``: only that kind."""
        c = rejected_records.c
        query = (
            select(c.source, c.line, c.reason, c.kind, c.raw, c.rejected_at)
            .where(*_filters(source, kind))
            .order_by(c.pk.desc())
            .limit(limit)
        )
        with self._engine.connect() as conn:
            rows = list(conn.execute(query))
        return [KeptReject(Reject(*row[:5]), row[5]) for row in reversed(rows)]

    def delete(self, *, source: str | None = None, kind: str | None = None) -> int:
        """Forget the rejects kept (those ``source`` and ``kind`` select); how many."""
        query = delete(rejected_records).where(*_filters(source, kind))
        with transaction(self._engine) as conn:
            return conn.execute(query).rowcount

    def count(self, *, source: str | None = None, kind: str | None = None) -> int:
        query = select(func.count()).select_from(rejected_records).where(*_filters(source, kind))
        with self._engine.connect() as conn:
            return conn.execute(query).scalar_one()


@dataclass(frozen=True, slots=True)
class KeptReject:
    """A reject as the store keeps it, with when it was kept."""

    reject: Reject
    rejected_at: datetime


def _filters(source: str | None, kind: str | None) -> list[ColumnElement[bool]]:
    c = rejected_records.c
    out: list[ColumnElement[bool]] = []
    if source:
        out.append(c.source.contains(source, autoescape=True))
    if kind:
        out.append(c.kind == kind)
    return out
