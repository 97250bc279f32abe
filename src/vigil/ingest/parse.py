"""Raw records → storable units: the CPU-heavy half of ingest, run in-process or in workers.

``parse_items`` normalizes and enriches records and builds the sign-in and Graph-activity rows
exactly as the store writes them (``vigil.store.activity``), so a worker process can do all the
per-record work and hand the writer plain tuples. The result is picklable and in input order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

from vigil.enrich import Enricher
from vigil.ingest.readers import RawRecord, ReadError
from vigil.model import Application, AuditEvent, GraphActivity, ServicePrincipal, SignIn
from vigil.normalize import Rejected, normalize
from vigil.store import Reject
from vigil.store.activity import graph_row, sign_in_row

#: Raw bytes kept per rejected record (the rejects file and the store); longer input is cut.
REJECT_RAW_MAX = 1 << 20

_KIND_OF: dict[type, str] = {
    SignIn: "signins",
    AuditEvent: "audit",
    GraphActivity: "graphactivity",
    ServicePrincipal: "directory",
    Application: "directory",
}


@dataclass
class Parsed:
    """What a run of records became, in input order within each list."""

    sign_in_rows: list[tuple[Any, ...]] = field(default_factory=list)
    #: The models behind ``sign_in_rows`` (same order), kept only when asked for.
    sign_ins: list[SignIn] = field(default_factory=list)
    graph_rows: list[tuple[Any, ...]] = field(default_factory=list)
    graph_activities: list[GraphActivity] = field(default_factory=list)
    audit_events: list[tuple[AuditEvent, bytes]] = field(default_factory=list)
    service_principals: list[tuple[ServicePrincipal, bytes]] = field(default_factory=list)
    applications: list[tuple[Application, bytes]] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    #: kind → [read, rejected]
    counts: dict[str, list[int]] = field(default_factory=dict)
    size: int = 0

    def extend(self, other: Parsed) -> None:
        self.sign_in_rows += other.sign_in_rows
        self.sign_ins += other.sign_ins
        self.graph_rows += other.graph_rows
        self.graph_activities += other.graph_activities
        self.audit_events += other.audit_events
        self.service_principals += other.service_principals
        self.applications += other.applications
        self.rejects += other.rejects
        for kind, (read, rejected) in other.counts.items():
            mine = self.counts.setdefault(kind, [0, 0])
            mine[0] += read
            mine[1] += rejected
        self.size += other.size


def parse_items(
    items: Iterable[RawRecord | ReadError],
    *,
    kind: str | None,
    received_at: str,
    enricher: Enricher,
    keep_models: bool,
) -> Parsed:
    out = Parsed()
    counts = out.counts
    for item in items:
        out.size += 1
        if type(item) is ReadError:
            which = kind or "unknown"
            c = counts.setdefault(which, [0, 0])
            c[0] += 1
            c[1] += 1
            out.rejects.append(Reject(item.source, item.line, item.reason, kind, item.text))
            continue
        assert type(item) is RawRecord
        result = normalize(
            item.data, kind=kind, shape_hint=item.shape_hint, received_at=received_at
        )
        raw = orjson.dumps(item.data)
        if type(result) is Rejected:
            which = result.kind or kind or "unknown"
            c = counts.setdefault(which, [0, 0])
            c[0] += 1
            c[1] += 1
            reason = f"{result.field}: {result.reason}" if result.field else result.reason
            out.rejects.append(Reject(item.source, item.line, reason, which, raw[:REJECT_RAW_MAX]))
            continue
        c = counts.setdefault(_KIND_OF[type(result)], [0, 0])
        c[0] += 1
        if type(result) is SignIn:
            signin = enricher.enrich(result)
            out.sign_in_rows.append(sign_in_row(signin, raw))
            if keep_models:
                out.sign_ins.append(signin)
        elif type(result) is GraphActivity:
            out.graph_rows.append(graph_row(result, raw))
            if keep_models:
                out.graph_activities.append(result)
        elif type(result) is AuditEvent:
            out.audit_events.append((result, raw))
        elif type(result) is ServicePrincipal:
            out.service_principals.append((result, raw))
        elif type(result) is Application:
            out.applications.append((result, raw))
    return out
