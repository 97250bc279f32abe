"""JSON documents read as spans (``vigil.ingest.spans``) equal the same documents read whole."""

from __future__ import annotations

import copy
import gzip
import io
import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from bench.corpus import write_signins
from tests.golden import DATA, json_records, jsonl_sign_ins
from tests.ingest.test_fast_path import ENRICHER, RECEIVED, SECRET, _comparable

from vigil.ingest import parse
from vigil.ingest.items import RawSpan
from vigil.ingest.parse import Parsed, parse_items, parse_jsonl
from vigil.ingest.readers import read_stream
from vigil.ingest.spans import document_spans, plain_escapes
from vigil.model import SignIn
from vigil.normalize import normalize
from vigil.normalize.graph_activity_wire import activity_from_line
from vigil.store.rawcodec import decompress

GOLDEN = json_records() + jsonl_sign_ins()
GRAPH_SIGNINS = [r for r in GOLDEN if "signInEventTypes" in r and isinstance(normalize(r), SignIn)]
SIGNINS_CONTEXT = "https://graph.microsoft.com/beta/$metadata#auditLogs/signIns"
SP_CONTEXT = "https://graph.microsoft.com/v1.0/$metadata#servicePrincipals"


def _odd_records() -> list[Any]:
    """Sign-ins the fast path must leave alone, and items that are no record."""
    base = GRAPH_SIGNINS[0]
    bad_type = dict(copy.deepcopy(base), id="bad-type", ipAddress=12)
    interactive = dict(copy.deepcopy(base), id="interactive", signInEventTypes=["interactiveUser"])
    own_context = dict(copy.deepcopy(base), id="own-context")
    own_context["@odata.context"] = SP_CONTEXT + "/$entity"
    secret_member = dict(copy.deepcopy(base), id="secret-member")
    secret_member["extra"] = {"cred": {"secretText": "hunter2-old-style"}}
    shaped = dict(copy.deepcopy(base), id="shaped", userAgent=SECRET)
    no_time = {k: v for k, v in base.items() if k != "createdDateTime"}
    return [bad_type, interactive, own_context, secret_member, shaped, no_time, 7, "text", None]


GRAPH_ROWS = [r for r in GOLDEN if r.get("Type") == "MicrosoftGraphActivityLogs"]


def _odd_graph_rows() -> list[Any]:
    """Graph activity rows the fast path must leave alone."""
    base = GRAPH_ROWS[0]
    return [
        {**base, "RequestId": "other-spelling", "requestId": "x"},
        {**base, "RequestId": "extra-column", "Extra": 1},
        {**{k: v for k, v in base.items() if k != "TimeGenerated"}, "RequestId": "no-time"},
        {**base, "RequestId": "secret-member", "TenantId": {"cred": {"secretText": "hunter2-x"}}},
        {**base, "RequestId": "shaped", "UserAgent": SECRET},
        {**base, "RequestId": "wrong-type", "RequestMethod": 5},
        {**base, "RequestId": "too-long", "RequestMethod": "M" * 17},
        {**base, "RequestId": "numbers-as-text", "DurationMs": "12", "ClientAuthMethod": "2"},
    ]


def _page(items: list[Any], context: str | None = SIGNINS_CONTEXT, **more: Any) -> dict[str, Any]:
    page: dict[str, Any] = {"value": items, **more}
    if context is not None:
        page["@odata.context"] = context
    return page


DOCUMENTS: dict[str, Any] = {
    "page": _page(GOLDEN, **{"@odata.nextLink": "https://graph.microsoft.com/beta/next"}),
    "page-without-context": _page(GRAPH_SIGNINS, None),
    "page-of-odd-items": _page(GRAPH_SIGNINS[:2] + _odd_records()),
    # a hint that fixes another shape: the items are read as service principals
    "service-principal-page": _page(GRAPH_SIGNINS[:3], SP_CONTEXT),
    "unknown-entity-set": _page(GRAPH_SIGNINS[:3], "https://graph.microsoft.com/beta/$metadata#x"),
    "context-not-a-string": _page(GRAPH_SIGNINS[:3], None, **{"@odata.context": 5}),
    "records": {"records": GOLDEN},
    "array": GOLDEN + _odd_records(),
    "array-of-pages": [_page(GRAPH_SIGNINS[:3]), _page(GOLDEN[:4], None), GRAPH_SIGNINS[3]],
    "value-not-a-list": {"value": {"id": "x"}, "@odata.context": SIGNINS_CONTEXT},
    "page-with-other-members": {"value": GRAPH_SIGNINS[:2], "extra": 1},
    "single-record": GRAPH_SIGNINS[0],
    "query-response": {"tables": [{"columns": [{"name": "Id"}], "rows": [["a"]]}]},
    "empty-page": _page([]),
    "graph-activity-array": GRAPH_ROWS + _odd_graph_rows() + GRAPH_SIGNINS[:2],
    "graph-activity-records": {"records": GRAPH_ROWS + _odd_graph_rows()},
    "graph-activity-page": _page(GRAPH_ROWS, "https://graph.microsoft.com/beta/$metadata#x"),
}


def _texts() -> list[tuple[str, bytes]]:
    out: list[tuple[str, bytes]] = []
    for name, doc in DOCUMENTS.items():
        out.append((name + ".compact", orjson.dumps(doc)))
        out.append((name + ".pretty", json.dumps(doc, indent=2).encode()))
        out.append((name + ".ascii-escapes", json.dumps(doc, indent=1, ensure_ascii=True).encode()))
    out.append(("page.bom", b"\xef\xbb\xbf" + json.dumps(DOCUMENTS["page"], indent=2).encode()))
    for path in sorted(DATA.rglob("*")):
        if path.is_file() and path.suffix != ".md":
            out.append((str(path.relative_to(DATA)), path.read_bytes()))
    return out


TEXTS = _texts()


def _parse(text: bytes, spans: bool, kind: str | None, keep_models: bool) -> Parsed:
    items = list(read_stream(io.BytesIO(text), "d.json", 1 << 24, spans))
    return parse_items(
        items, kind=kind, received_at=RECEIVED, enricher=ENRICHER, keep_models=keep_models
    )


@pytest.mark.parametrize("kind", [None, "signins", "audit", "graphactivity"])
@pytest.mark.parametrize(("name", "text"), TEXTS, ids=[n for n, _ in TEXTS])
def test_a_document_read_as_spans_equals_it_read_whole(
    name: str, text: bytes, kind: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three ways: spans; decoded whole, each Graph sign-in serialized again for the fast path;
    decoded whole and normalized by the generic path alone."""
    spans = _parse(text, True, kind, keep_models=True)
    whole = _parse(text, False, kind, keep_models=True)
    monkeypatch.setattr(parse, "_graph_signin", lambda data, hint: False)
    generic = _parse(text, False, kind, keep_models=True)
    assert _comparable(spans) == _comparable(whole) == _comparable(generic)
    assert spans.sign_ins == whole.sign_ins == generic.sign_ins
    assert spans.graph_activities == whole.graph_activities == generic.graph_activities
    assert sum(n for n, _ in spans.sign_in_blocks) == len(spans.sign_in_rows)


def test_the_collections_are_read_as_spans_and_the_rest_whole() -> None:
    """The comparisons above test the span path: the three collection shapes take it."""
    taken = {
        name
        for name, text in TEXTS
        if any(type(i) is RawSpan for i in read_stream(io.BytesIO(text), "d.json", 1 << 24, True))
    }
    for name in ("page", "page-without-context", "page-of-odd-items", "records", "array"):
        for form in ("compact", "pretty", "ascii-escapes"):
            assert f"{name}.{form}" in taken
    assert "page.bom" in taken
    assert "graph/signins_sp.page.json" in taken and "diagnostic/PT1H.json.gz" in taken
    for name in ("value-not-a-list", "page-with-other-members", "single-record", "query-response"):
        assert f"{name}.pretty" not in taken


def test_sign_ins_of_a_page_are_kept_as_read_and_secrets_are_not() -> None:
    text = json.dumps(_page(GRAPH_SIGNINS[:2] + _odd_records()), indent=2).encode()
    parsed = _parse(text, True, None, keep_models=False)
    raws = [r for _, f in parsed.sign_in_blocks for r in decompress(f).split(b"\n")]
    ids = [row[0] for row in parsed.sign_in_rows]
    assert ids[:2] == [r["id"] for r in GRAPH_SIGNINS[:2]]
    # pretty-printed, compacted onto one line: a raw block holds a record a line
    assert len(raws) == len(parsed.sign_in_rows) and orjson.loads(raws[0]) == GRAPH_SIGNINS[0]
    kept = b"\n".join(raws)
    assert b"hunter2-old-style" not in kept and SECRET.encode() not in kept
    assert {"secret-member", "shaped"} <= set(ids)


@pytest.mark.parametrize("indent", [None, 2])
def test_graph_activity_rows_of_an_array_take_their_fast_path_and_secrets_do_not(
    indent: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken: list[Any] = []

    def spy(line: Any, *, checked: bool = False) -> Any:
        found = activity_from_line(line, checked=checked)
        if found is not None:
            taken.append(found.id)
        return found

    monkeypatch.setattr(parse, "activity_from_line", spy)
    text = json.dumps(DOCUMENTS["graph-activity-array"], indent=indent).encode()
    parsed = _parse(text, True, None, keep_models=False)
    good = [r["RequestId"].lower() for r in GRAPH_ROWS] + ["numbers-as-text"]
    assert taken == good
    ids = [row[0] for row in parsed.graph_rows]
    assert {"secret-member", "shaped", "no-time"} <= set(ids)  # the generic way, redacted
    assert [r.line for r in parsed.rejects] == [8, 9]  # wrong type, too long: the items' places
    kept = b"\n".join(r for _, f in parsed.graph_blocks for r in decompress(f).split(b"\n"))
    assert b"hunter2-x" not in kept and SECRET.encode() not in kept


def test_graph_activity_rows_whose_escapes_hide_a_secret_go_the_generic_way() -> None:
    base = orjson.dumps(GRAPH_ROWS[0])
    escaped_secret = SECRET.replace("~", "\\u007e").encode()  # a client secret, escaped
    hidden = [
        base[:-1] + b',"UserAgent":"' + escaped_secret + b'"}',
        base[:-1] + b',"TenantId":{"secret\\u0054ext":"hunter2-y"}}',
    ]
    assert b"~" not in hidden[0] and b"secretText" not in hidden[1]
    text = b"[" + b",".join(hidden) + b"]"
    parsed = _parse(text, True, None, keep_models=False)
    assert len(parsed.graph_rows) == 2
    kept = b"\n".join(r for _, f in parsed.graph_blocks for r in decompress(f).split(b"\n"))
    assert SECRET.split("~")[1].encode() not in kept and b"hunter2-y" not in kept


@pytest.mark.parametrize("which", ["sign-in", "graph activity"])
def test_an_item_nested_deeper_than_orjson_writes_is_rejected_as_read_whole(which: str) -> None:
    """The generic path writes a decoded item again, and orjson writes no more than 254 levels:
    the fast paths kept such an item as read (found by a reviewer)."""
    base = orjson.dumps(GRAPH_SIGNINS[0] if which == "sign-in" else GRAPH_ROWS[0])
    deep = base[:-1] + b',"x":' + b"[" * 300 + b"]" * 300 + b"}"
    if which != "sign-in":
        deep = deep.replace(b',"x":', b',"Wids":')  # a column the struct skips
    text = b"[" + base + b"," + deep + b"]"
    spans, whole = _parse(text, True, None, False), _parse(text, False, None, False)
    assert _comparable(spans) == _comparable(whole)
    assert [(r.line, r.reason) for r in spans.rejects] == [(2, "nested more than 254 levels deep")]


def test_an_item_orjson_cannot_read_is_rejected_alone() -> None:
    """The documented difference: read whole, the document fails at once; as spans, the item."""
    good = [orjson.dumps(r) for r in GRAPH_SIGNINS[:3]]
    huge = b'{"id": "huge", "n": 1e400}'  # valid JSON; orjson refuses its infinity
    text = b'{"value": [\n' + b",\n".join([good[0], huge, good[1], good[2]]) + b"\n]}"
    whole = _parse(text, False, None, keep_models=False)
    assert len(whole.rejects) == 1 and not whole.sign_in_rows
    spans = _parse(text, True, None, keep_models=False)
    assert [row[0] for row in spans.sign_in_rows] == [r["id"] for r in GRAPH_SIGNINS[:3]]
    assert [(r.line, r.reason[:13]) for r in spans.rejects] == [(2, "invalid JSON:")]


def test_invalid_utf8_or_broken_json_is_read_whole() -> None:
    page = orjson.dumps(_page(GRAPH_SIGNINS[:2]))
    assert document_spans(page, "d.json") is not None
    assert document_spans(page.replace(b"Z", b"\xff", 1), "d.json") is None
    assert document_spans(page[:-1], "d.json") is None
    assert document_spans(b"  7", "d.json") is None


@pytest.mark.parametrize("kind", [None, "signins", "audit"])
def test_pages_as_json_lines_equal_the_reader(tmp_path: Path, kind: str | None) -> None:
    """A Graph page a line (Invoke-MgGraphRequest -OutputFilePath, a script's json.dump per page):
    parse_jsonl reads each page's items as spans, the reader decodes them."""
    path = tmp_path / "s.jsonl"
    write_signins(path, 30, seed=3, principals=4)
    items = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    lines = [
        orjson.dumps(_page(items[:10])),
        orjson.dumps(items[10:20]),  # jq -c '.value'
        orjson.dumps({"records": items[20:25]}),
        orjson.dumps(_page(items[25:] + _odd_records(), SP_CONTEXT)),
        orjson.dumps({"value": [], "note": "not a page"}),
        orjson.dumps(GOLDEN[0]),
        b'{"value": [1, 2',
    ]
    block = b"\xef\xbb\xbf" + b"\n".join(lines) + b"\n"
    fast = parse_jsonl(
        block, source="p.jsonl", first_line=0, kind=kind, received_at=RECEIVED, enricher=ENRICHER
    )
    generic = parse_items(
        list(read_stream(io.BytesIO(block), "p.jsonl", 1 << 20)),
        kind=kind,
        received_at=RECEIVED,
        enricher=ENRICHER,
        keep_models=False,
    )
    assert _comparable(fast) == _comparable(generic)
    assert kind == "audit" or len(fast.sign_in_rows) >= 25
    spans = list(read_stream(io.BytesIO(block), "p.jsonl", 1 << 20, True))
    assert any(type(i) is RawSpan for i in spans)
    in_process = parse_items(
        spans, kind=kind, received_at=RECEIVED, enricher=ENRICHER, keep_models=False
    )
    assert _comparable(in_process) == _comparable(generic)


def test_a_gzip_page_file_is_read_as_spans(tmp_path: Path) -> None:
    text = gzip.compress(json.dumps(_page(GRAPH_SIGNINS), indent=2).encode())
    items = list(read_stream(io.BytesIO(text), "p.json.gz", 1 << 20, True))
    assert items and all(type(i) is RawSpan for i in items)
    assert [i.line for i in items] == list(range(1, len(GRAPH_SIGNINS) + 1))


ESCAPED_SECRETS = [  # a client secret that byte patterns miss: an escaped tilde or letter
    SECRET.replace("~", "\\u007e"),
    SECRET.replace("~", "\\u007E"),
    SECRET.replace("Q~", "\\u0051~"),
]


def _with_escapes(record: dict[str, Any], member: str, spelled: str) -> bytes:
    """``record`` as JSON with ``member`` set to ``spelled``, written as is (escapes kept)."""
    return orjson.dumps(dict(record, **{member: "PLACEHOLDER"})).replace(
        b'"PLACEHOLDER"', b'"' + spelled.encode() + b'"'
    )


def _escaped_items() -> list[bytes]:
    base = GRAPH_SIGNINS[0]
    items = [
        _with_escapes(dict(base, id=f"esc-{n}"), "userAgent", s)
        for n, s in enumerate(ESCAPED_SECRETS)
    ]
    both = _with_escapes(dict(base, id="esc-3", x="v"), "userAgent", ESCAPED_SECRETS[0])
    items.append(both.replace(b'"x":', b'"secret\\u0054ext":'))  # redacted decoded before
    audit = next(r for r in GOLDEN if "activityDisplayName" in r)
    items.append(_with_escapes(audit, "activityDisplayName", ESCAPED_SECRETS[0]))
    own = orjson.dumps(dict(base, id="escaped-context", x=SP_CONTEXT + "/$entity"))
    items.append(own.replace(b'"x":', b'"\\u0040odata.context":'))
    items.append(orjson.dumps(dict(base, id="plain-escape", userAgent="caf\u00e9")).replace(
        "caf\u00e9".encode(), b"caf\\u00e9"
    ))  # fmt: skip
    return items


def _no_secret(parsed: Parsed) -> None:
    kept = b"\n".join(r for _, f in parsed.sign_in_blocks for r in decompress(f).split(b"\n"))
    kept += orjson.dumps([list(r) for r in parsed.sign_in_rows])
    kept += b"".join(raw for _, raw in parsed.audit_events)
    kept += orjson.dumps([repr(a) for a, _ in parsed.audit_events])
    for spelled in ESCAPED_SECRETS:
        assert spelled.encode() not in kept
    assert SECRET.encode() not in kept and SECRET[4:].encode() not in kept


@pytest.mark.parametrize("kind", [None, "signins"])
def test_escapes_that_hide_a_secret_or_a_name_go_the_generic_way(
    kind: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reviewer's finding: ``zzz8Q\\u007e...`` took the fast path and was stored decoded
    (a page's items, and JSON Lines lines before that); an escaped ``@odata.context`` name was
    read as a sign-in."""
    items = _escaped_items()
    page = b'{"value": [\n' + b",\n".join(items) + b"\n]}"
    lines = b"\n".join(items) + b"\n"
    for text in (page, lines):
        spans = _parse(text, True, kind, keep_models=True)
        whole = _parse(text, False, kind, keep_models=True)
        jsonl = parse_jsonl(
            text, source="d.json", first_line=0, kind=kind, received_at=RECEIVED, enricher=ENRICHER
        )
        for parsed in (spans, whole, jsonl):
            _no_secret(parsed)
        assert _comparable(spans) == _comparable(whole)
        if text is lines:
            assert _comparable(jsonl) == _comparable(whole)
        ids = [row[0] for row in spans.sign_in_rows]
        assert "escaped-context" not in ids and {"esc-0", "esc-1", "esc-2", "plain-escape"} <= set(
            ids
        )
        assert [s.user_agent for s in spans.sign_ins if s.id.startswith("esc-")] == [
            SECRET[:3] + "[redacted]"
        ] * 4
    monkeypatch.setattr(parse, "_graph_signin", lambda data, hint: False)
    assert _comparable(_parse(page, False, kind, keep_models=True)) == _comparable(
        _parse(page, True, kind, keep_models=True)
    )


@pytest.mark.parametrize("depth", [300, 1100])
def test_a_deeply_nested_item_is_rejected_not_a_crash(depth: int) -> None:
    """Nested deeper than msgspec reads (1,100: RecursionError), or than orjson writes (300):
    the item is rejected, its page's other items stored."""
    good = [orjson.dumps(r) for r in GRAPH_SIGNINS[:2]]
    deep = b'{"id": "deep", "x": ' + b"[" * depth + b"]" * depth + b"}"
    page = b'{"value": [\n' + b",\n".join([good[0], deep, good[1]]) + b"\n]}"
    line = page.replace(b"\n", b"") + b"\n"
    for text, spans in ((page, True), (page, False), (line, True), (line, False)):
        parsed = _parse(text, spans, None, keep_models=False)
        assert len(parsed.rejects) == 1, (spans, parsed.rejects)
        if text is page and depth == 300:
            assert [r[0] for r in parsed.sign_in_rows] == [r["id"] for r in GRAPH_SIGNINS[:2]]
    jsonl = parse_jsonl(
        line, source="d.json", first_line=0, kind=None, received_at=RECEIVED, enricher=ENRICHER
    )
    assert len(jsonl.rejects) == 1


def test_escapes_are_searched_in_linear_time() -> None:
    """The reviewer's crafted line (an escape, then quotes escaped): a regex over whole member
    names took 65 s at 80 KB; each escape's window is searched instead."""
    import time

    line = b'{"a":"\\u0041' + b'\\"' * 100_000 + b'"}'
    started = time.perf_counter()
    assert plain_escapes(line)
    assert time.perf_counter() - started < 2  # about 2 ms; quadratic was minutes


def test_a_broken_line_keeps_no_escaped_secret_in_its_reject() -> None:
    broken = b'{"id": "b", "userAgent": "' + ESCAPED_SECRETS[0].encode() + b'", broken'
    block = orjson.dumps(GRAPH_SIGNINS[0]) + b"\n" + broken + b"\n"
    for parsed in (
        parse_jsonl(
            block, source="b", first_line=0, kind=None, received_at=RECEIVED, enricher=ENRICHER
        ),
        _parse(block, True, None, keep_models=False),
    ):
        assert [r.raw for r in parsed.rejects] == [b"[redacted]"]


@pytest.mark.parametrize("name", ["\\ud800abcdefghi", "\\ud800abcdefghijklm"])
def test_an_escaped_name_json_cannot_hold_is_rejected_not_a_crash(name: str) -> None:
    """A lone surrogate in a ten- or fourteen-character member name (the lengths of secretText
    and @odata.context) killed the ingest: the name searches decoded it with orjson."""
    bad = b'{"' + name.encode() + b'": 1}'
    good = orjson.dumps(GRAPH_SIGNINS[0])
    block = good + b"\n" + bad + b"\n" + bad.replace(b"1}", b'"' + SECRET.encode() + b'"}') + b"\n"
    array = b"[" + block.replace(b"\n", b",")[:-1] + b"]"  # invalid JSON: refused whole
    for parsed, rows in (
        (parse_jsonl(block, source="s", first_line=0, kind=None, received_at=RECEIVED,
                     enricher=ENRICHER), 1),
        (_parse(block, True, None, keep_models=False), 1),
        (_parse(array, True, None, keep_models=False), 0),
    ):  # fmt: skip
        assert len(parsed.sign_in_rows) == rows and parsed.rejects
        assert all(SECRET.encode() not in (r.raw or b"") for r in parsed.rejects)
