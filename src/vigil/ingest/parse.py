"""Raw records → storable units: the CPU-heavy half of ingest, run in-process or in workers.

``parse_items`` normalizes and enriches records and builds the sign-in and Graph-activity rows
exactly as the store writes them (``vigil.store.activity``), so a worker process can do all the
per-record work and hand the writer plain tuples. Their raw records go into compressed blocks
(``vigil.store.rawcodec.compress_block``), one per table and call. The result is picklable (the
rows travel as one msgpack buffer, several times cheaper than pickling tuples) and in input order.

``parse_jsonl`` does the same for a piece of a JSON Lines file and takes the fast path for Graph
sign-in lines (:mod:`vigil.normalize.graph_signin_wire`): typed decoding straight to the row,
the line itself kept as the raw record. Lines that name ``MicrosoftGraphActivityLogs`` try the
Graph activity fast path instead (:mod:`vigil.normalize.graph_activity_wire`; Log Analytics
rows: about 3x cheaper a row). Any other line goes through the reader and ``parse_items``, so
results and rejections are the same as the generic path's. ``parse_items`` takes both fast paths
for the items of a JSON document read as spans (``vigil.ingest.spans``: a Graph page, a records
wrapper, an array), and the sign-in one for the Graph sign-ins of a document decoded whole, on
each object serialized again (it is kept so as the raw record, as the generic path keeps it),
where the generic path would read the object as a Graph sign-in: about 2x cheaper a record.

Secret values are redacted before anything is normalized or kept (:mod:`vigil.leaks.redact`):
client-secret-shaped strings in every piece and record, ``secretText`` members in every record
of the generic path and in every piece that names one (Graph sign-ins hold none; a sign-in line
with such a member added would otherwise keep its value in the raw record). A redacted piece's
lines are still measured against the line limit as read, and a line that is no fast-path sign-in
is parsed (or rejected) from its text as read, as the generic path does.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields
from typing import Any

import msgspec
import orjson

from vigil.enrich import Enricher
from vigil.ingest.items import RawRecord, RawSpan, ReadError, SpanItem
from vigil.ingest.readers import (
    BOM,
    DEFAULT_MAX_DOCUMENT_BYTES,
    read_line,
    read_lines,
)
from vigil.ingest.record_bytes import TOO_DEEP, decoded, dumps, redacted
from vigil.ingest.secret_runs import secret_run
from vigil.ingest.spans import (
    document_spans,
    fast_graph_span,
    fast_span,
    may_hold_collection,
    one_line,
    plain_escapes,
)
from vigil.leaks.redact import names_escaped_member, names_member, redact, redact_shaped
from vigil.model import Application, AuditEvent, GraphActivity, ServicePrincipal, SignIn
from vigil.normalize import Rejected, normalize
from vigil.normalize.classify import GRAPH_SIGNIN, hinted_shape
from vigil.normalize.fastbuild import fast_constructor
from vigil.normalize.graph_activity_wire import activity_from_line
from vigil.normalize.graph_signin_wire import enriched_values_from_line, valid_utf8
from vigil.store import Reject
from vigil.store.activity import RawBlocks, graph_row, sign_in_row
from vigil.store.rawcodec import compress_block, compress_joined
from vigil.store.signin_rows import values_row

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
    #: Lines of input the piece spanned (set by :func:`parse_jsonl`).
    lines: int = 0
    #: The raw records of ``sign_in_rows`` / ``graph_rows``, in blocks that cover them in order.
    sign_in_blocks: RawBlocks = field(default_factory=list)
    graph_blocks: RawBlocks = field(default_factory=list)

    def extend(self, other: Parsed) -> None:
        self.sign_in_blocks += other.sign_in_blocks
        self.graph_blocks += other.graph_blocks
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
        self.lines += other.lines

    def __getstate__(self) -> dict[str, Any]:
        state = {f.name: getattr(self, f.name) for f in fields(self)}
        state["sign_in_rows"] = _pack(self.sign_in_rows)
        state["graph_rows"] = _pack(self.graph_rows)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state["sign_in_rows"] = _unpack(state["sign_in_rows"])
        state["graph_rows"] = _unpack(state["graph_rows"])
        for name, value in state.items():
            setattr(self, name, value)


_make_signin = fast_constructor(SignIn)
_pack = msgspec.msgpack.Encoder().encode
_unpack = msgspec.msgpack.Decoder(list[tuple]).decode


class _Raws:
    """Raw records of one table, collected for one block."""

    __slots__ = ("records",)

    def __init__(self) -> None:
        self.records: list[bytes | memoryview] = []

    def close(self, into: RawBlocks, joined: bytes | memoryview | None = None) -> None:
        """Compress the records into one block; ``joined``: they are already joined, in it."""
        if self.records:
            frame = compress_block(self.records) if joined is None else compress_joined(joined)
            into.append((len(self.records), frame))
            self.records = []


def parse_jsonl(
    block: bytes,
    *,
    source: str,
    first_line: int,
    kind: str | None,
    received_at: str,
    enricher: Enricher,
    max_line: int = DEFAULT_MAX_DOCUMENT_BYTES,
    file_start: bool | None = None,
    after_secret: bool = False,
) -> Parsed:
    """Parse a piece of a JSON Lines file that starts after line ``first_line`` (module doc).

    ``file_start`` (default: ``first_line == 0``) says the piece starts the file (a BOM may open
    it); line numbers count from ``first_line`` either way. ``after_secret``: the lines before the
    piece end in a run of broken lines that holds a secret (``vigil.ingest.secret_runs``).
    """
    if file_start is None:
        file_start = first_line == 0
    read_as = block
    if names_member(block):  # rarely: a secretText member (vigil.leaks.redact)
        block = redact(block)
    elif b"~" in block:  # rarely: a client-secret-shaped string, kept only as its hint
        block = redact_shaped(block)
    # Redaction keeps the line structure. A redacted piece's lines as read decide, as on the
    # generic path: a line redaction changed, or that is no fast-path sign-in, is parsed (and,
    # broken, rejected) from its text as read; the generic path redacts what it keeps.
    originals = read_as.split(b"\n") if block != read_as else None
    # a member name spelled with \u escapes: lines with one go the generic way, which decodes it
    escaped = names_escaped_member(block)
    # so do lines whose \u escapes may hide a name or a client secret (spans.plain_escapes), and
    # lines naming their own @odata.context, which may fix another shape (normalize.classify)
    escapes = b"\\" in block and b"\\u" in block
    contexts = b'"@odata.context"' in block
    bom_line = first_line + 1 if file_start else -1
    out = Parsed()
    fast = kind in (None, "signins")
    fast_graph = kind in (None, "graphactivity")
    facts = enricher.ip_facts
    rows, raws = out.sign_in_rows, _Raws()
    graph_raws = _Raws()
    graph_read = 0
    # Lines are read as slices of the piece (copying each out cost 0.5 µs a line, 5% of the rest).
    # The fast path keeps a line whole (no \r to strip) as its raw record, and needs no check of
    # its own (valid UTF-8, no NUL escape: graph_signin_wire.fast_readable) if the piece passed it.
    view, find = memoryview(block), block.find
    whole = b"\r" not in block
    checked = b"\\" not in block and valid_utf8(block)
    read = 0
    lineno = first_line
    start, size = 0, len(block)
    run = after_secret
    while start <= size:
        end = find(b"\n", start)
        if end < 0:
            end = size
        piece, begin = view[start:end], start
        start = end + 1
        lineno += 1
        values = None
        # a line that redaction changed goes the generic way: its text as read decides
        as_read = originals is None or originals[lineno - first_line - 1] == piece
        if escaped and as_read:
            as_read = find(b"\\u", begin, end) == -1
        if as_read and contexts and find(b'"@odata.context"', begin, end) != -1:
            as_read = False
        if as_read and escapes and find(b"\\u", begin, end) != -1:
            as_read = plain_escapes(bytes(piece))
        usable = as_read and len(piece) <= max_line and (lineno != bom_line or piece[:3] != BOM)
        # a Graph activity row names its table: it tries that path first (the sign-in attempt
        # would read it all for nothing), and a line it leaves tries the sign-in path after; the
        # search costs a sign-in line about 0.45 µs, under 2% of its parse
        if fast_graph and usable and find(b"MicrosoftGraphActivityLogs", begin, end) != -1:
            activity = activity_from_line(piece if checked else bytes(piece), checked=checked)
            if activity is not None:
                out.graph_rows.append(graph_row(activity, None))
                graph_raws.records.append(piece if whole else bytes(piece).rstrip(b"\r"))
                graph_read += 1
                run = False
                continue
        if fast and usable:
            if checked:
                values = enriched_values_from_line(piece, facts, checked=True)
            else:
                values = enriched_values_from_line(bytes(piece), facts)
        if values is not None:
            rows.append(values_row(values))
            raws.records.append(piece if whole else bytes(piece).rstrip(b"\r"))
            read += 1
            run = False
            continue
        line = bytes(piece) if originals is None else originals[lineno - first_line - 1]
        if not line or line.isspace():
            continue
        record = None
        if len(line) <= max_line and may_hold_collection(line):  # a page on a line, say
            text = line.removeprefix(BOM) if lineno == bom_line else line
            found = document_spans(text, source, lineno)
            if found is not None:
                _parse_into(out, found, kind, received_at, enricher, False, raws, graph_raws)
                run = False
                continue
        if len(line) <= max_line:
            record = read_line(line, source, lineno, bom=lineno == bom_line)
        if record is not None:
            _parse_into(out, (record,), kind, received_at, enricher, False, raws, graph_raws)
            run = False
            continue
        items = read_lines(  # a broken last line keeps its missing newline
            io.BytesIO(line + b"\n" if start <= size else line),
            source,
            max_line,
            first_line=lineno - 1,
            file_start=lineno == bom_line,
            after_secret=run,
        )
        _parse_into(out, items, kind, received_at, enricher, False, raws, graph_raws)
        run = secret_run(line, run, max_line)
    ends_line = block.endswith(b"\n")
    out.lines = lineno - first_line - (ends_line or not block)
    for name, count in (("signins", read), ("graphactivity", graph_read)):
        if count:
            out.counts.setdefault(name, [0, 0])[0] += count
            out.size += count
    joined = None
    if read == out.lines and whole:  # every line a fast-path sign-in, kept as is
        joined = view[: size - ends_line]
    raws.close(out.sign_in_blocks, joined)
    graph_raws.close(out.graph_blocks)
    return out


def chunks(items: Iterable[SpanItem], size: int) -> Iterator[list[SpanItem]]:
    """``items`` in lists of ``size`` (the last one shorter)."""
    chunk: list[SpanItem] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def parse_items(
    items: Iterable[SpanItem],
    *,
    kind: str | None,
    received_at: str,
    enricher: Enricher,
    keep_models: bool,
) -> Parsed:
    out = Parsed()
    raws, graph_raws = _Raws(), _Raws()
    _parse_into(out, items, kind, received_at, enricher, keep_models, raws, graph_raws)
    raws.close(out.sign_in_blocks)
    graph_raws.close(out.graph_blocks)
    return out


def _parse_into(
    out: Parsed,
    items: Iterable[SpanItem] | Iterator[SpanItem],
    kind: str | None,
    received_at: str,
    enricher: Enricher,
    keep_models: bool,
    raws: _Raws,
    graph_raws: _Raws,
) -> None:
    counts = out.counts
    fast, facts = kind in (None, "signins"), enricher.ip_facts
    fast_graph = kind in (None, "graphactivity")

    def fast_signin(raw: bytes) -> bool:
        """Store ``raw`` by the sign-in fast path if it takes it."""
        values = enriched_values_from_line(raw, facts)
        if values is None:
            return False
        c = counts.setdefault("signins", [0, 0])
        c[0] += 1
        out.sign_in_rows.append(values_row(values))
        raws.records.append(raw)
        if keep_models:
            out.sign_ins.append(_make_signin(*values))
        return True

    def fast_activity(raw: bytes) -> bool:
        """Store ``raw`` by the Graph activity fast path if it takes it."""
        activity = activity_from_line(raw)
        if activity is None:
            return False
        c = counts.setdefault("graphactivity", [0, 0])
        c[0] += 1
        out.graph_rows.append(graph_row(activity, None))
        graph_raws.records.append(raw)
        if keep_models:
            out.graph_activities.append(activity)
        return True

    for item in items:
        out.size += 1
        if type(item) is ReadError:
            which = kind or "unknown"
            c = counts.setdefault(which, [0, 0])
            c[0] += 1
            c[1] += 1
            out.rejects.append(Reject(item.source, item.line, item.reason, which, item.text))
            continue
        if type(item) is RawSpan:  # kept as read, on one line, when the fast path takes it
            if fast and fast_span(item.raw, item.shape_hint) and fast_signin(one_line(item.raw)):
                continue
            if (
                fast_graph
                and fast_graph_span(item.raw, item.shape_hint)
                and fast_activity(one_line(item.raw))
            ):
                continue
            out.size -= 1  # what it holds is counted
            _parse_into(out, decoded(item), kind, received_at, enricher, keep_models, raws,
                        graph_raws)  # fmt: skip
            continue
        assert type(item) is RawRecord
        data = item.data
        raw = item.raw if item.raw is not None else dumps(data)
        clean = None if raw is None else redacted(raw)
        if raw is None or clean is None:
            which = kind or "unknown"
            c = counts.setdefault(which, [0, 0])
            c[0] += 1
            c[1] += 1
            out.rejects.append(Reject(item.source, item.line, TOO_DEEP, which, b""))
            continue
        if clean != raw:  # a secret value: what is normalized and kept is the redacted record
            raw, data = clean, orjson.loads(clean)
        elif (  # an object of a decoded JSON document: the fast path, on it serialized again
            fast and item.raw is None and _graph_signin(data, item.shape_hint) and fast_signin(raw)
        ):
            continue
        result = normalize(data, kind=kind, shape_hint=item.shape_hint, received_at=received_at)
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
            out.sign_in_rows.append(sign_in_row(signin, None))
            raws.records.append(raw)
            if keep_models:
                out.sign_ins.append(signin)
        elif type(result) is GraphActivity:
            out.graph_rows.append(graph_row(result, None))
            graph_raws.records.append(raw)
            if keep_models:
                out.graph_activities.append(result)
        elif type(result) is AuditEvent:
            out.audit_events.append((result, raw))
        elif type(result) is ServicePrincipal:
            out.service_principals.append((result, raw))
        elif type(result) is Application:
            out.applications.append((result, raw))


def _graph_signin(data: dict[str, Any], hint: str | None) -> bool:
    """Whether the generic path would read ``data`` as a Graph sign-in (``classify``: no hint or
    own ``@odata.context`` fixing another shape, and its two keys), so that the fast path
    (``vigil.normalize.graph_signin_wire``), which answers as the generic path or not at all,
    may take it."""
    return (
        "servicePrincipalId" in data
        and "createdDateTime" in data
        and "@odata.context" not in data
        and hinted_shape(hint) in (None, GRAPH_SIGNIN)
    )
