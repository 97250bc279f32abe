"""Counts an ingest run reports: read / stored / duplicate / rejected per kind."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import Table

from vigil.store import Reject

#: Kinds in the order summaries list them; ``unknown`` holds input whose kind could not be told.
KIND_ORDER = ("signins", "audit", "graphactivity", "directory", "unknown")
#: The kind whose records a bulk activity table stores.
TABLE_KINDS = {"sign_ins": "signins", "graph_activities": "graphactivity"}


@dataclass
class KindCounts:
    read: int = 0
    stored: int = 0
    duplicate: int = 0
    rejected: int = 0

    def to_dict(self) -> dict[str, int]:
        return {
            "read": self.read,
            "stored": self.stored,
            "duplicate": self.duplicate,
            "rejected": self.rejected,
        }


#: Rejects a summary names: the run's first; the others are only counted.
REJECT_EXAMPLES = 5
#: Characters of a reason a summary shows.
REASON_CHARS = 300


def cut(text: str, limit: int) -> str:
    """``text``, cut to ``limit`` characters with an ellipsis when longer."""
    return text if len(text) <= limit else text[:limit] + "…"


@dataclass(frozen=True, slots=True)
class RejectNote:
    """Where a rejected record was and why (its text stays in the store and rejects file)."""

    source: str
    line: int
    kind: str | None
    reason: str

    def to_dict(self) -> dict[str, object]:
        return {"source": self.source, "line": self.line, "kind": self.kind, "reason": self.reason}


@dataclass
class IngestSummary:
    kinds: dict[str, KindCounts] = field(default_factory=dict)
    sources: int = 0
    seconds: float = 0.0
    detections: int = 0
    #: The run's first rejects (:data:`REJECT_EXAMPLES` at most), in input order.
    first_rejects: list[RejectNote] = field(default_factory=list)

    def note_rejects(self, rejects: Iterable[Reject]) -> None:
        """Keep the first rejects of the run for the summary to name."""
        for r in rejects:
            if len(self.first_rejects) >= REJECT_EXAMPLES:
                return
            self.first_rejects.append(RejectNote(r.source, r.line, r.kind, r.reason))

    def count_duplicates(self, table: Table, rows: int) -> None:
        """``rows`` counted as stored into ``table`` were duplicates after all: a bulk load that
        dropped the unique id index removed them at its end (``vigil.store.unique_ids``)."""
        counts = self.of(TABLE_KINDS[table.name])
        counts.stored -= rows
        counts.duplicate += rows

    def of(self, kind: str) -> KindCounts:
        counts = self.kinds.get(kind)
        if counts is None:
            counts = self.kinds[kind] = KindCounts()
        return counts

    @property
    def total(self) -> KindCounts:
        out = KindCounts()
        for c in self.kinds.values():
            out.read += c.read
            out.stored += c.stored
            out.duplicate += c.duplicate
            out.rejected += c.rejected
        return out

    @property
    def nothing_read(self) -> bool:
        """True when not one record could be read and normalized (the run failed)."""
        t = self.total
        return t.stored + t.duplicate == 0

    def to_dict(self) -> dict[str, object]:
        ordered = sorted(self.kinds, key=lambda k: (*KIND_ORDER, k).index(k))
        return {
            "kinds": {k: self.kinds[k].to_dict() for k in ordered},
            "total": self.total.to_dict(),
            "sources": self.sources,
            "detections": self.detections,
            "seconds": round(self.seconds, 3),
            "firstRejects": [r.to_dict() for r in self.first_rejects],
        }

    def render(self) -> str:
        """An aligned table for people."""
        rows = [(k, self.kinds[k]) for k in KIND_ORDER if k in self.kinds]
        rows.append(("total", self.total))
        lines = [f"{'kind':<14}{'read':>10}{'stored':>10}{'duplicate':>11}{'rejected':>10}"]
        for name, c in rows:
            lines.append(f"{name:<14}{c.read:>10}{c.stored:>10}{c.duplicate:>11}{c.rejected:>10}")
        rate = self.total.read / self.seconds if self.seconds > 0 else 0.0
        lines.append(
            f"{self.sources} source(s), {self.detections} detection(s), "
            f"{self.seconds:.1f}s ({rate:,.0f} records/s)"
        )
        if self.first_rejects:
            shown, rejected = len(self.first_rejects), self.total.rejected
            lines.append(
                f"rejected (first {shown} of {rejected}):" if rejected > shown else "rejected:"
            )
            for r in self.first_rejects:
                where = f"{r.source}:{r.line}" if r.line else r.source
                lines.append(f"  {where}: {cut(r.reason, REASON_CHARS)}")
        return "\n".join(lines)
