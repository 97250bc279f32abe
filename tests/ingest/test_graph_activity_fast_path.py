"""The Graph activity fast path (typed decoding of Log Analytics rows) equals the generic path."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.golden import json_records
from tests.ingest.test_fast_path import (
    ENRICHER,
    RECEIVED,
    SECRET,
    SIGNINS,
    _comparable,
    _fields,
)

from vigil.ingest import parse as parse_module
from vigil.ingest.parse import parse_items, parse_jsonl
from vigil.ingest.readers import read_stream
from vigil.model import GraphActivity
from vigil.normalize import Rejected, normalize
from vigil.normalize import graph_activity_wire as wire
from vigil.normalize.graph_activity_wire import activity_from_line
from vigil.normalize.graph_signin_wire import enriched_values_from_line
from vigil.normalize.widths import WIDTHS
from vigil.store.rawcodec import decompress

ROWS = [r for r in json_records() if r.get("Type") == "MicrosoftGraphActivityLogs"]
COLUMNS = sorted(wire._Row.__struct_fields__)
READ = [
    "RequestId", "TimeGenerated", "RequestMethod", "RequestUri", "ResponseStatusCode",
    "ServicePrincipalId", "AppId", "UserId", "UserAgent", "ApiVersion", "SignInActivityId",
    "Roles", "Scopes", "Location", "AadTenantId", "IPAddress", "ResponseSizeBytes", "DurationMs",
    "ClientAuthMethod",
]  # fmt: skip
VALUES: list[Any] = [
    None, "", " ", 0, 1, -1, 200, 2**63 - 1, 2**63, -(2**63) - 1, 2**64, 1.0, 1.5, 1e300, "2",
    " 2 ", "2.0", "x", True, False, [], {}, ["a"], {"a": 1}, "a" * 3000, "nul\u0000",
    "C0006948-AA89-4D89-A4A8-AF6EF1CE7FED", "{c0006948-aa89-4d89-a4a8-af6ef1ce7fed}",
    "2001:DB8::1", "::ffff:40.74.9.229", "fe80::1%eth0", "300.1.1.1", "2026-09-17T00:15:21Z",
    "2026-09-17T00:15:21.7601234Z", "2026-09-17 00:15:21", "2026-09-17T02:15:21+02:00",
    "17/09/2026 00:15", "9/17/2026 12:15:21 AM", "soon", "café", "\u00e9\u4e2d",
]  # fmt: skip


SAMPLE = Path(__file__).resolve().parents[3] / "shared" / "samples" / "public"
ELASTIC = SAMPLE / "elastic-azure-integration" / "MicrosoftGraphActivityLogs.records.jsonl"


def _records() -> list[dict[str, Any]]:
    """Diagnostic-settings records: the public sample's, and each golden row as the archive
    writes it (camelCase properties in an envelope)."""
    out = [json.loads(line) for line in ELASTIC.read_text().splitlines() if line.strip()]
    for row in ROWS:
        columns = {k: v for k, v in row.items() if k not in ("Type", "TenantId", "SourceSystem")}
        props = {k[0].lower() + k[1:]: v for k, v in columns.items()}
        props["ipAddress"] = props.pop("iPAddress")
        props["atContent"] = props.pop("aTContent")
        props["tenantId"] = props.pop("aadTenantId")
        out.append(
            {
                "time": row["TimeGenerated"], "category": "MicrosoftGraphActivityLogs",
                "tenantId": row["AadTenantId"], "operationName": "Microsoft Graph Activity",
                "resourceId": "/TENANTS/X/PROVIDERS/MICROSOFT.AADIAM", "Level": 4,
                "properties": props,
            }
        )  # fmt: skip
    return out


RECORDS = _records()
PROPS = sorted(wire._Properties.__struct_fields__)


def _line(row: dict[str, Any]) -> bytes:
    return json.dumps(row).encode()  # orjson writes no integer beyond 64 bits


def _generic(line: bytes) -> Any:
    try:
        return normalize(orjson.loads(line), received_at=RECEIVED)
    except orjson.JSONDecodeError:
        return "unreadable"


def test_golden_rows_take_the_fast_path() -> None:
    assert len(ROWS) >= 2
    for row in ROWS:
        line = orjson.dumps(row)
        fast = activity_from_line(line)
        assert isinstance(fast, GraphActivity)
        assert fast == normalize(row)
        assert activity_from_line(memoryview(b"x" + line)[1:], checked=True) == fast


def test_golden_diagnostic_records_take_the_fast_path() -> None:
    taken = 0
    for record in RECORDS:
        line = orjson.dumps(record)
        fast = activity_from_line(line)
        assert fast is None or fast == normalize(record)
        taken += fast is not None
    assert taken >= len(RECORDS) - 1  # one sample record has properties outside the schema


@pytest.mark.parametrize("name", [p for p in PROPS if p not in ("operationId", "wids")])
def test_each_value_of_each_property_agrees_with_the_generic_path(name: str) -> None:
    taken = 0
    for value in VALUES:
        record = copy.deepcopy(RECORDS[-1])
        record["properties"][name] = value
        line = _line(record)
        fast = activity_from_line(line)
        if fast is not None:
            assert fast == _generic(line), (name, value)
            taken += 1
    assert taken >= 3


def test_the_envelope_fills_in_as_the_generic_path_does() -> None:
    base = RECORDS[-1]
    props = base["properties"]
    cases = {
        "the envelope's tenant": {**base, "properties": {**props, "tenantId": ""}},
        "no tenant": {**base, "tenantId": None, "properties": {**props, "tenantId": None}},
        "the envelope's time": {**base, "properties": {**props, "timeGenerated": ""}},
        "an Entra tenant too": {**base, "properties": {**props, "aadTenantId": "A-B"}},
    }
    for name, case in cases.items():
        fast = activity_from_line(orjson.dumps(case))
        assert fast is not None and fast == normalize(case), name
    left = {
        "no time at all": {**base, "time": None, "properties": {**props, "timeGenerated": None}},
        "a property spelled otherwise": {**base, "properties": {**props, "TenantId": "x"}},
        "a property outside the schema": {**base, "properties": {**props, "c_Sid": "x"}},
        "a key outside the envelope": {**base, "Time": "x"},
        "another category": {**base, "category": "AuditLogs"},
        "properties not an object": {**base, "properties": [props]},
        "a wrong type": {**base, "properties": {**props, "requestMethod": 5}},
    }
    for name, case in left.items():
        assert activity_from_line(orjson.dumps(case)) is None, name


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=300)
@given(
    st.sampled_from(range(len(RECORDS))),
    st.dictionaries(st.sampled_from(PROPS), st.none() | st.integers() | st.text(max_size=12)),
    st.dictionaries(
        st.sampled_from(["time", "tenantId", "Level"]), st.none() | st.text(max_size=30)
    ),
)
def test_records_never_disagree_with_the_generic_path(
    index: int, props: dict[str, Any], envelope: dict[str, Any]
) -> None:
    record = copy.deepcopy(RECORDS[index])
    record["properties"].update(props)
    record.update(envelope)
    line = _line(record)
    fast = activity_from_line(line)
    if fast is not None:
        assert fast == _generic(line)


@pytest.mark.parametrize("column", READ)
def test_each_value_of_each_column_agrees_with_the_generic_path(column: str) -> None:
    taken = 0
    for value in VALUES:
        row = {**copy.deepcopy(ROWS[0]), column: value}
        line = _line(row)
        fast = activity_from_line(line)
        if fast is not None:  # None means "generic path", which may accept or reject
            assert fast == _generic(line), (column, value)
            taken += 1
    assert taken >= 3  # the fast path takes the column's good values


def test_what_the_fast_path_leaves_is_what_the_generic_path_rejects_or_reads_otherwise() -> None:
    row = ROWS[0]
    base = orjson.dumps(row)
    cases = {
        "a column spelled otherwise": {**row, "requestId": "other"},
        "a column outside the schema": {**row, "Extra": 1},
        "another table": {**row, "Type": "AuditLogs"},
        "no table": {k: v for k, v in row.items() if k != "Type"},
        "no time": {k: v for k, v in row.items() if k != "TimeGenerated"},
        "an empty time": {**row, "TimeGenerated": ""},
        "its own context": {**row, "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns"},
        "an envelope": {"category": "MicrosoftGraphActivityLogs", "properties": row},
        "missing status": {k: v for k, v in row.items() if k != "ResponseStatusCode"},
        "a wrong type": {**row, "RequestMethod": 5},
        "a bad time": {**row, "TimeGenerated": "soon"},
    }  # fmt: skip
    for name, case in cases.items():
        line = orjson.dumps(case)
        assert activity_from_line(line) is None, name
        assert line != base
    # each width too long: only the width refuses it, and the generic path rejects the row
    for _, width, label in WIDTHS[GraphActivity]:
        column = next(c for c in READ if c.lower() == label.lower().replace("_", ""))
        if column == "IPAddress":  # canonical: an address has at most 39 characters
            continue
        line = orjson.dumps({**row, column: "a" * (width + 1)})
        assert activity_from_line(line) is None, column
        assert isinstance(normalize(orjson.loads(line)), Rejected), column


def test_a_column_given_twice_counts_its_last_value_as_orjson_does() -> None:
    line = orjson.dumps(ROWS[0])[:-1] + b',"RequestMethod":"PATCH","DurationMs":"7"}'
    fast = activity_from_line(line)
    assert fast is not None and fast == normalize(orjson.loads(line))
    assert (fast.request_method, fast.duration_ms) == ("PATCH", 7)


@pytest.mark.parametrize(
    "field",
    [
        b'"TenantId":{"nested":[1,2,{"x":null}]}',  # any JSON in a column it skips
        b'"Wids":"\\u00e9\\n"',
        b'"TokenIssuedAt":tru',  # bad JSON in a skipped column
        b'"UserAgent":"\\ud800"',  # a lone surrogate: orjson refuses the line
        b'"UserAgent":"caf\xc3\xa9"',
        b'"UserAgent":"\xff\xfe"',  # invalid UTF-8
        b'"Wids":"\xff"',  # invalid UTF-8 in a column it skips
        b'"UserAgent":"a\\u0000b"',  # a NUL the store cannot keep
    ],
)
def test_byte_level_lines_agree_with_what_orjson_reads(field: bytes) -> None:
    line = orjson.dumps(ROWS[0])[:-1] + b"," + field + b"}"
    fast = activity_from_line(line)
    generic = _generic(line)
    if generic == "unreadable" or isinstance(generic, Rejected):
        assert fast is None
    else:
        assert fast is None or fast == generic


def test_a_number_beyond_a_double_in_a_skipped_column_is_the_documented_exception() -> None:
    line = orjson.dumps(ROWS[0])[:-1] + b',"DeviceId":1e400}'
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(line)
    assert isinstance(activity_from_line(line), GraphActivity)  # module docstring


json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3),
    max_leaves=6,
)


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=300)
@given(
    st.sampled_from(range(len(ROWS))),
    st.dictionaries(st.sampled_from(COLUMNS), json_values, min_size=1, max_size=4),
)
def test_fast_path_never_disagrees_with_the_generic_path(index: int, patch: dict[str, Any]) -> None:
    row = {**copy.deepcopy(ROWS[index]), **patch, "Type": ROWS[index]["Type"]}
    line = _line(row)
    fast = activity_from_line(line)
    if fast is not None:
        assert fast == _generic(line)


def _graph_file() -> bytes:
    """Graph activity rows (good, and bad in each way above), sign-ins and broken lines."""
    lines = [orjson.dumps(r) for r in ROWS]
    for column in READ:
        for value in (None, "", 5, "x", "a" * 3000):
            lines.append(_line({**ROWS[0], column: value}))
    lines += [
        orjson.dumps({**ROWS[1], "requestId": "other"}),
        orjson.dumps({**ROWS[1], "Extra": 1}),
        orjson.dumps({k: v for k, v in ROWS[1].items() if k != "TimeGenerated"}),
        orjson.dumps(ROWS[0])[:-1] + b',"UserAgent":"\\u00e9 \\u0000"}',
        orjson.dumps(ROWS[0])[:-1] + b',"UserAgent":"\xff"}',
        # secrets: plain, and hidden behind escapes (each redacted the generic way)
        orjson.dumps({**ROWS[0], "UserAgent": SECRET}),
        orjson.dumps({**ROWS[0], "TenantId": {"secretText": "hunter2-z"}}),
        orjson.dumps(ROWS[0])[:-1]
        + b',"UserAgent":"'
        + SECRET.replace("~", "\\u007e").encode()
        + b'"}',
        orjson.dumps(ROWS[0])[:-1] + b',"Wids":{"secret\\u0054ext":"hunter2-y"}}',
        b'{"Type": "MicrosoftGraphActivityLogs", "RequestId": ',
        b"",
        orjson.dumps(SIGNINS[0]),
        orjson.dumps(ROWS[1]) + b"\r",
    ]
    lines += [orjson.dumps(r) for r in RECORDS]
    lines += [orjson.dumps({**RECORDS[-1], "properties": {**RECORDS[-1]["properties"], "c": 1}})]
    lines += [
        orjson.dumps(
            {**RECORDS[-1], "properties": {**RECORDS[-1]["properties"], "requestMethod": 5}}
        )
    ]
    lines += [orjson.dumps(r) for r in ROWS]  # duplicates stay rows: the store drops them
    return b"\xef\xbb\xbf" + b"\n".join(lines) + b"\n"


@pytest.mark.parametrize("kind", [None, "graphactivity", "signins"])
@pytest.mark.parametrize("ascii_only", [False, True])
def test_parse_jsonl_equals_the_reader_and_parse_items(
    kind: str | None, ascii_only: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    block = _graph_file()
    if ascii_only:  # parse_jsonl then checks the piece once and reads lines as slices
        block = b"\n".join(
            line for line in block.split(b"\n") if line.isascii() and b"\\" not in line
        )
    taken: list[GraphActivity] = []

    def spy(line: Any, *, checked: bool = False) -> GraphActivity | None:
        found = activity_from_line(line, checked=checked)
        if found is not None:
            taken.append(found)
        return found

    monkeypatch.setattr(parse_module, "activity_from_line", spy)
    fast = parse_jsonl(
        block, source="graph.jsonl", first_line=0, kind=kind, received_at=RECEIVED,
        enricher=ENRICHER, max_line=8192,
    )  # fmt: skip
    items = list(read_stream(io.BytesIO(block), "graph.jsonl", 8192))
    generic = parse_items(
        [type(i)(**_fields(i)) for i in items],
        kind=kind, received_at=RECEIVED, enricher=ENRICHER, keep_models=False,
    )  # fmt: skip
    assert fast.rejects
    assert _comparable(fast) == _comparable(generic)
    assert _raw_graph(fast) == _raw_graph(generic)  # byte for byte (no \r kept)
    kept = b"\n".join(_raw_graph(fast))
    assert b"hunter2" not in kept and SECRET.split("~")[1].encode() not in kept
    if kind == "signins":
        assert not taken
    else:
        assert len(taken) >= 2 * len(ROWS) + 20
        assert len(fast.graph_rows) > len(taken)  # some rows went the generic way


def _raw_graph(p: Any) -> list[bytes]:
    return [r for _, f in p.graph_blocks for r in decompress(f).split(b"\n")]


@pytest.mark.parametrize(
    ("column", "depth"), [("Wids", 2000), ("UserAgent", 993), ("UserAgent", 300)]
)
def test_a_value_nested_too_deep_is_left_to_the_generic_path(column: str, depth: int) -> None:
    """msgspec and repr() raise RecursionError on such values; the ingest crashed on it (found
    by a reviewer). The generic path rejects the line, whatever its reason."""
    line = orjson.dumps(ROWS[0])[:-1] + f',"{column}":'.encode() + b"[" * depth + b"]" * depth
    line += b"}"
    assert activity_from_line(line) is None
    parsed = parse_jsonl(
        orjson.dumps(ROWS[1]) + b"\n" + line + b"\n", source="deep.jsonl", first_line=0,
        kind=None, received_at=RECEIVED, enricher=ENRICHER,
    )  # fmt: skip
    assert len(parsed.graph_rows) == 1 and [r.line for r in parsed.rejects] == [2]


HUGE = b"1" + b"0" * 400  # an integer orjson refuses (beyond a double); msgspec reads any int


#: What the record path reads: the envelope's fall-backs and each property.
ENVELOPE_READ = ["time", "tenantId"]
PROPS_READ = [c[0].lower() + c[1:] for c in READ if c != "IPAddress"] + ["ipAddress", "tenantId"]


@pytest.mark.parametrize("twice", [False, True])
def test_a_number_orjson_refuses_in_a_member_it_reads_is_left_to_the_generic_path(
    twice: bool,
) -> None:
    """Typed ``Any``, such members took it and the line was stored where the generic path
    rejects it (found by a reviewer): in an envelope member read only as a fallback, and as the
    first of a duplicated key whose last value is good."""
    cases = [(orjson.dumps(ROWS[0]), m) for m in READ]
    cases += [(orjson.dumps(RECORDS[-1]), m) for m in ENVELOPE_READ]
    props = orjson.dumps(RECORDS[-1]["properties"])
    for member in PROPS_READ:
        inner = props[:-1] + b',"' + member.encode() + b'":' + HUGE
        inner += b',"' + member.encode() + b'":"2"}' if twice else b"}"
        cases.append((orjson.dumps({**RECORDS[-1], "properties": "@"}).replace(b'"@"', inner), ""))
    for base, member in cases:
        line = base
        if member:
            line = base[:-1] + b',"' + member.encode() + b'":' + HUGE
            line += b',"' + member.encode() + b'":"2"}' if twice else b"}"
        with pytest.raises(orjson.JSONDecodeError):
            orjson.loads(line)
        assert activity_from_line(line) is None, (member, line[-60:])


def test_a_sign_in_that_names_the_table_still_takes_the_sign_in_fast_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """parse_jsonl tries the Graph activity path first on a line naming its table; a sign-in
    whose user agent names it then takes the sign-in path (it went the generic way)."""
    signin = next(r for r in SIGNINS if "signInEventTypes" in r)
    line = orjson.dumps({**signin, "userAgent": "exporter for MicrosoftGraphActivityLogs/1.0"})
    taken: list[Any] = []

    def spy(raw: Any, facts: Any, *, checked: bool = False) -> Any:
        found = enriched_values_from_line(raw, facts, checked=checked)
        taken.append(found is not None)
        return found

    monkeypatch.setattr(parse_module, "enriched_values_from_line", spy)
    parsed = parse_jsonl(
        line + b"\n", source="s.jsonl", first_line=0, kind=None, received_at=RECEIVED,
        enricher=ENRICHER,
    )  # fmt: skip
    assert taken[0] and len(parsed.sign_in_rows) == 1 and not parsed.rejects  # then the empty end
