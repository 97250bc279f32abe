"""Counts an ingest run reports: read / stored / duplicate / rejected per kind."""

from __future__ import annotations

from dataclasses import dataclass, field

#: Kinds in the order summaries list them; ``unknown`` holds input whose kind could not be told.
KIND_ORDER = ("signins", "audit", "graphactivity", "directory", "unknown")


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


@dataclass
class IngestSummary:
    kinds: dict[str, KindCounts] = field(default_factory=dict)
    sources: int = 0
    seconds: float = 0.0
    detections: int = 0

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
        return "\n".join(lines)
