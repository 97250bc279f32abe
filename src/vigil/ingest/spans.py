"""A JSON document's collection cut into its items' bytes, so that Graph sign-ins and Graph
activity rows and records skip the generic path.

A Graph API dump is pages (``{"value": [...], "@odata.nextLink": ...}``, often one file a page),
a storage archive may hold ``{"records": [...]}``, and tools write JSON arrays. Decoding such a
document whole into Python objects (``orjson.loads``) costs 15-60 µs a 2 KB sign-in, and the
generic normalizer as much again; the typed decoder of the JSON Lines fast path
(:mod:`vigil.normalize.graph_signin_wire`) reads a sign-in's bytes in about 5 µs.

:func:`document_spans` finds the items' bytes with msgspec (``msgspec.Raw``: each item's extent,
about 3 µs a sign-in, nothing built) for the three collection shapes of
:func:`vigil.ingest.unwrap.collection` that need no decoding to be told apart: a Graph page, a
records wrapper, an array. Anything else (a single object, a Log Analytics query response, a
document msgspec refuses or that is not valid UTF-8) returns None, and the reader decodes it
whole as before, so its errors read as before. An item goes the fast path when
:func:`fast_span` allows it and the fast path takes it; otherwise it is decoded and unwrapped
exactly as the whole document's items are (``vigil.ingest.parse``), numbered by its place in
the collection as they are. :func:`fast_graph_span` does the same for the Graph activity fast
path (:mod:`vigil.normalize.graph_activity_wire`).

One difference from decoding the whole document: an item that msgspec skips but orjson cannot
decode (a number beyond a double's range, ``1e400``: valid JSON) is rejected alone, with its
number, instead of failing the whole document; in a field Vigil does not read, the sign-in fast
path takes it, as for JSON Lines (``vigil.normalize.graph_signin_wire``).
"""

from __future__ import annotations

import msgspec

from vigil.ingest.items import RawSpan
from vigil.ingest.unwrap import HINT_DIAGNOSTIC, HINT_GRAPH
from vigil.leaks.redact import hides_shaped, names_escaped, names_escaped_member, names_member
from vigil.normalize.classify import GRAPH_SIGNIN, hinted_shape
from vigil.normalize.graph_signin_wire import valid_utf8
from vigil.normalize.timestamps import HINT_DAY_FIRST

_object = msgspec.json.Decoder(dict[str, msgspec.Raw]).decode
_array = msgspec.json.Decoder(list[msgspec.Raw]).decode
_string = msgspec.json.Decoder(str).decode
_WHITESPACE = b" \t\r\n"


def document_spans(data: bytes, source: str, line: int | None = None) -> list[RawSpan] | None:
    """The items of ``data`` (a whole JSON document without its BOM, or the JSON line ``line``)
    as spans, numbered by their place in the collection (a line's all by ``line``, as
    ``vigil.ingest.unwrap`` numbers them), or None to decode it whole (module doc)."""
    start = data.lstrip(_WHITESPACE)[:1]
    if start not in (b"{", b"[") or not valid_utf8(data):
        return None
    hint: str | None = None
    try:
        if start == b"[":
            items = _array(data)
        else:
            members = _object(data)
            found = _collection(members)
            if found is None:
                return None
            items, hint = found
    except (msgspec.DecodeError, RecursionError):  # deeper than msgspec reads: orjson says so
        return None
    if line is not None:
        return [RawSpan(source, line, bytes(item), hint) for item in items]
    return [RawSpan(source, n, bytes(item), hint) for n, item in enumerate(items, 1)]


def one_line(raw: bytes) -> bytes:
    """An item's bytes on one line, to keep as a raw record: a raw block holds a record a line
    (``vigil.store.rawcodec``), and a pretty-printed document's items span lines. In JSON that
    msgspec found valid (a string holds no control character), a line break is whitespace
    between tokens, next to a bracket, brace, colon, comma or more whitespace: dropping it keeps
    every token as written (0.3 µs; msgspec's compact format took 10)."""
    if b"\n" in raw or b"\r" in raw:
        return raw.translate(None, b"\r\n")
    return raw


def may_hold_collection(line: bytes) -> bool:
    """A cheap test before :func:`document_spans` of a JSON line that is no fast-path sign-in:
    an array, or an object naming a ``value`` or ``records`` member somewhere."""
    return line.lstrip(_WHITESPACE)[:1] == b"[" or b'"value"' in line or b'"records"' in line


def _collection(
    members: dict[str, msgspec.Raw],
) -> tuple[list[msgspec.Raw], str | None] | None:
    """As :func:`vigil.ingest.unwrap.collection` for a Graph page or a records wrapper."""
    for key, hint in (("value", HINT_GRAPH), ("records", HINT_DIAGNOSTIC)):
        raw = members.get(key)
        if raw is None or not all(k == key or k.startswith("@") for k in members):
            continue
        if memoryview(raw)[:1] != b"[":  # msgspec's extent starts at the value itself
            return None
        if key == "value":
            context = members.get("@odata.context")
            quoted = context is not None and memoryview(context)[:1] == b'"'
            text = _string(context) if quoted else None
            if text is not None and "#" in text:
                hint = f"{HINT_GRAPH}:{text.split('#', 1)[1]}"
        return _array(raw), hint
    return None


def plain_escapes(raw: bytes) -> bool:
    """Whether no ``\\u`` escape of ``raw`` (a record's bytes) hides what byte searches look
    for: a client secret (``vigil.leaks.redact.hides_shaped``), a ``secretText`` or an
    ``@odata.context`` member's name. Decoded, the generic path sees them."""
    if b"\\u" not in raw:
        return True
    return not (
        hides_shaped(raw) or names_escaped_member(raw) or names_escaped(raw, "@odata.context")
    )


#: How deep orjson writes JSON: the generic path rejects an item nested deeper, which it writes
#: again after decoding it (``vigil.ingest.record_bytes.TOO_DEEP``).
MAX_DEPTH = 254


def shallow(raw: bytes) -> bool:
    """Whether ``raw`` surely nests no deeper than :data:`MAX_DEPTH`: it opens no more objects and
    arrays than that (brackets inside strings count too, so some shallow items are left to the
    generic path, which decides)."""
    return raw.count(b"{") + raw.count(b"[") <= MAX_DEPTH


def fast_span(raw: bytes, hint: str | None) -> bool:
    """Whether an item may try the sign-in fast path: the generic path would read it as a Graph
    sign-in if it is one (no hint or ``@odata.context`` of its own fixes another shape,
    ``vigil.normalize.classify``), it holds nothing to redact (``vigil.leaks.redact``), which
    the generic path does decoded, and it is :func:`shallow` enough to be written again."""
    return (
        b'"signInEventTypes"' in raw  # the fast path needs it: others fail it at no cost here
        and shallow(raw)
        and hinted_shape(hint) in (None, GRAPH_SIGNIN)
        and b'"@odata.context"' not in raw
        and b"~" not in raw
        and not names_member(raw)
        and plain_escapes(raw)
    )


def fast_graph_span(raw: bytes, hint: str | None) -> bool:
    """Whether an item may try the Graph activity fast path
    (:mod:`vigil.normalize.graph_activity_wire`): it names the table (others fail the path at
    no cost here), no hint fixes its shape or how its dates read (``normalize``), and it holds
    nothing to redact and is shallow enough, as :func:`fast_span` says for sign-ins."""
    return (
        b"MicrosoftGraphActivityLogs" in raw
        and shallow(raw)
        and hinted_shape(hint) is None
        and hint != HINT_DAY_FIRST
        and b"~" not in raw
        and not names_member(raw)
        and plain_escapes(raw)
    )
