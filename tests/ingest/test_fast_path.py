"""The bulk path (typed decoding of Graph sign-in lines, raw blocks) equals the generic path."""

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
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.golden import json_records, jsonl_sign_ins

from vigil.enrich import Enricher, GeoIP, HostingClassifier
from vigil.ingest.parse import Parsed, parse_items, parse_jsonl
from vigil.ingest.readers import read_stream
from vigil.model import SignIn
from vigil.normalize import Rejected, normalize
from vigil.normalize import graph_signin_wire as wire
from vigil.normalize.graph_signin_wire import enriched_values_from_line, signin_from_line
from vigil.normalize.widths import WIDTHS
from vigil.store.rawcodec import decompress
from vigil.store.signin_rows import sign_in_from_row, sign_in_row, values_row

RECEIVED = "2026-11-28T00:00:00Z"
ENRICHER = Enricher(GeoIP(), HostingClassifier())


GOLDEN = json_records() + jsonl_sign_ins()
SIGNINS = [r for r in GOLDEN if isinstance(normalize(r), SignIn)]
KEYS = sorted({key for record in GOLDEN for key in record})
json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3),
    max_leaves=10,
)


def test_golden_graph_sign_ins_take_the_fast_path() -> None:
    graph = [r for r in SIGNINS if "signInEventTypes" in r]
    assert len(graph) >= 5
    for record in graph:
        line = orjson.dumps(record)
        assert signin_from_line(line) == normalize(record)
        assert _fast_row(line) == sign_in_row(ENRICHER.enrich(normalize(record)), None)


def _fast_row(line: bytes) -> tuple[Any, ...]:
    """The bulk path's row of ``line``, read as bytes and as a checked slice (parse_jsonl)."""
    values = enriched_values_from_line(line, ENRICHER.ip_facts)
    assert values is not None
    sliced = enriched_values_from_line(memoryview(b"x" + line)[1:], ENRICHER.ip_facts, checked=True)
    assert sliced == values
    return values_row(values)


def test_each_width_too_long_leaves_the_line_to_the_generic_path_which_rejects_it() -> None:
    """``graph_signin_wire._fits`` checks every width of ``WIDTHS[SignIn]`` and the country's."""
    record = next(r for r in SIGNINS if "signInEventTypes" in r)
    # not ipAddress: canonical, an address has at most 39 characters; anything else is no address
    cases = [{label: "a" * (width + 1)} for _, width, label in WIDTHS[SignIn] if label != "ipAddress"]
    cases.append({"location": {**(record.get("location") or {}), "countryOrRegion": "X" * 9}})
    for patch in cases:
        too_long = {**copy.deepcopy(record), **patch}
        line = orjson.dumps(too_long)
        assert wire._values(wire._decode(line)) is not None, patch  # only the width refuses it
        assert enriched_values_from_line(line, ENRICHER.ip_facts) is None, patch
        assert isinstance(normalize(too_long), Rejected), patch


def test_other_shapes_are_left_to_the_generic_path() -> None:
    for record in GOLDEN:
        if "signInEventTypes" not in record:
            assert signin_from_line(orjson.dumps(record)) is None, record


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=400)
@given(
    st.sampled_from(range(len(GOLDEN))),
    st.dictionaries(st.sampled_from(KEYS), json_values, min_size=1, max_size=4),
)
def test_fast_path_never_disagrees_with_the_generic_path(index: int, patch: dict[str, Any]) -> None:
    record = copy.deepcopy(GOLDEN[index])
    record.update(patch)
    line = json.dumps(record).encode()  # orjson refuses integers beyond 64 bits
    fast = signin_from_line(line)
    if fast is not None:  # None means "generic path", which may accept or reject
        assert fast == normalize(record)
        assert _fast_row(line) == sign_in_row(ENRICHER.enrich(fast), None)


BYTE_CASES = [
    b'"x":"\xff\xfe"',  # invalid UTF-8 in a field Vigil does not read
    b'"x":"caf\xc3\xa9"',  # valid UTF-8
    b'"x":18446744073709551616',  # beyond 64 bits: orjson makes it a float
    b'"x":"\\u00e9\\n"',  # escapes
    b'"x":[1,{"y":null}],"z":true',
    b'"x":tru',  # bad JSON in a skipped field
    b'"x":"unterminated',
]


def _with(field: bytes) -> bytes:
    base = orjson.dumps(next(r for r in SIGNINS if "signInEventTypes" in r))
    return base[:-1] + b"," + field + b"}"


@pytest.mark.parametrize("field", BYTE_CASES)
def test_byte_level_lines_agree_with_what_orjson_reads(field: bytes) -> None:
    line = _with(field)
    fast = signin_from_line(line)
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError:
        assert fast is None  # the generic path rejects it, with its reason
        return
    assert fast is None or fast == normalize(record)


def test_a_number_beyond_a_double_in_an_unread_field_is_the_documented_exception() -> None:
    line = _with(b'"x":1e400')
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(line)
    fast = signin_from_line(line)
    assert isinstance(fast, SignIn)  # see the module docstring of graph_signin_wire


def test_invalid_utf8_is_rejected_like_the_generic_path_does() -> None:
    line = _with(b'"x":"\xff"')
    fast = parse_jsonl(
        line + b"\n", source="f", first_line=0, kind=None, received_at=RECEIVED, enricher=ENRICHER
    )
    assert not fast.sign_in_rows and len(fast.rejects) == 1
    assert "UTF-8" in fast.rejects[0].reason or "utf-8" in fast.rejects[0].reason.lower()


def test_corpus_lines_take_the_fast_path(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    write_signins(path, 500, seed=3, principals=20)
    for line in path.read_bytes().splitlines():
        assert signin_from_line(line) == normalize(orjson.loads(line))


def test_rows_read_back_as_the_same_sign_ins() -> None:
    for record in SIGNINS:
        signin = ENRICHER.enrich(normalize(record))
        assert sign_in_from_row(sign_in_row(signin, None)) == signin


def test_rows_written_before_the_positional_format_still_read() -> None:
    signin = normalize(SIGNINS[0])
    row = list(sign_in_row(signin, None))
    row[15] = orjson.dumps(
        {
            "id": signin.id,
            "created_date_time": signin.created_date_time.isoformat(),
            "kind": signin.kind.value,
            "service_principal_id": signin.service_principal_id,
            "location": {"city": "Old Town", "country_or_region": "NL"},
        }
    ).decode()
    old = sign_in_from_row(tuple(row))
    assert old.id == signin.id and old.location is not None and old.location.city == "Old Town"


def _mixed_file() -> bytes:
    """Every golden record as a line, then broken lines of every kind the reader knows."""
    lines = [orjson.dumps(r) for r in GOLDEN]
    bad_type = copy.deepcopy(SIGNINS[0])
    bad_type["ipAddress"] = 12
    interactive = copy.deepcopy(next(r for r in SIGNINS if "signInEventTypes" in r))
    interactive["signInEventTypes"] = ["interactiveUser"]
    bad_time = dict(interactive, signInEventTypes=["servicePrincipal"], createdDateTime="soon")
    graph_signin = dict(interactive, signInEventTypes=["servicePrincipal"])
    huge_code = dict(graph_signin, id="huge-code", status={"errorCode": 2**64 - 1})
    huge_asn = dict(graph_signin, id="huge-asn", autonomousSystemNumber=2**63)
    # orjson writes no integer below -2**63, and reads one as a float that rounds to -2**63
    low_code = orjson.dumps(dict(graph_signin, id="low-code", status={"errorCode": -1}))
    low_code = low_code.replace(b'"errorCode":-1', b'"errorCode":-9223372036854775809')
    low_asn = orjson.dumps(dict(graph_signin, id="low-asn", autonomousSystemNumber=-1))
    low_asn = low_asn.replace(b'"autonomousSystemNumber":-1', b'"autonomousSystemNumber":-1e20')
    lines += [
        b'{"id": "truncated", "createdDateTime": ',
        b"",
        b"   ",
        b"\x00\x01binary garbage\xff",
        orjson.dumps(bad_type),
        orjson.dumps(interactive),
        orjson.dumps(bad_time),
        orjson.dumps(huge_code),  # fits msgspec and msgpack, not a 64-bit SQL integer
        orjson.dumps(huge_asn),
        low_code,
        low_asn,
        b"[1, 2, 3]",
        orjson.dumps({"value": GOLDEN[:3]}),
        b"x" * 5000,
    ]
    lines += [orjson.dumps(r) for r in SIGNINS]  # duplicates stay rows: the store drops them
    return b"\xef\xbb\xbf" + b"\n".join(lines) + b"\r\n"


def _comparable(p: Parsed) -> dict[str, Any]:
    raw_sign_ins = [r for _, f in p.sign_in_blocks for r in decompress(f).split(b"\n")]
    raw_graph = [r for _, f in p.graph_blocks for r in decompress(f).split(b"\n")]
    return {
        "sign_in_rows": p.sign_in_rows,
        "graph_rows": p.graph_rows,
        "raw_sign_ins": [orjson.loads(r) for r in raw_sign_ins],
        "raw_graph": [orjson.loads(r) for r in raw_graph],
        "audit": p.audit_events,
        "sps": p.service_principals,
        "apps": p.applications,
        "rejects": [(r.source, r.line, r.reason, r.kind) for r in p.rejects],
        "counts": p.counts,
        "size": p.size,
    }


@pytest.mark.parametrize("first_line", [0, 41])
@pytest.mark.parametrize("kind", [None, "signins", "audit"])
def test_parse_jsonl_equals_the_reader_and_parse_items(first_line: int, kind: str | None) -> None:
    block = _mixed_file()
    if first_line:
        block = block.removeprefix(b"\xef\xbb\xbf")
    fast = parse_jsonl(
        block,
        source="mixed.jsonl",
        first_line=first_line,
        kind=kind,
        received_at=RECEIVED,
        enricher=ENRICHER,
        max_line=4096,
    )
    items = [
        i if not i.line else type(i)(**{**_fields(i), "line": i.line + first_line})
        for i in read_stream(io.BytesIO(block), "mixed.jsonl", 4096)
    ]
    generic = parse_items(
        items, kind=kind, received_at=RECEIVED, enricher=ENRICHER, keep_models=False
    )
    assert fast.rejects, "the mixed file has bad lines"
    reasons = {r.reason for r in fast.rejects}
    assert kind == "audit" or "status.errorCode: out of the 64-bit integer range" in reasons
    assert kind == "audit" or "autonomousSystemNumber: out of the 64-bit integer range" in reasons
    assert _comparable(fast) == _comparable(generic)
    assert sum(n for n, _ in fast.sign_in_blocks) == len(fast.sign_in_rows)


@pytest.mark.parametrize("ending", [b"\n", b""])
def test_a_piece_that_passes_the_checks_at_once_equals_the_generic_path(
    tmp_path: Path, ending: bytes
) -> None:
    """ASCII without a backslash: parse_jsonl checks the piece once and reads the lines as slices
    of it; sign-ins among other records and broken lines still come out as the reader's."""
    path = tmp_path / "s.jsonl"
    write_signins(path, 40, seed=9, principals=5)
    sign_ins = path.read_bytes().splitlines()
    others = [orjson.dumps(r) for r in GOLDEN if "signInEventTypes" not in r]
    others = [o for o in others if o.isascii() and b"\\" not in o]
    interactive = orjson.loads(sign_ins[0])
    interactive["signInEventTypes"] = ["interactiveUser"]
    broken = [b'{"id": "truncated", "createdDateTime": ', b"", b"  ", orjson.dumps(interactive)]
    assert len(others) >= 5
    lines = [x for trio in zip(sign_ins, others * 8, broken * 10, strict=False) for x in trio]
    block = b"\n".join(lines) + ending
    assert block.isascii() and b"\\" not in block  # the piece passes the checks at once
    fast = parse_jsonl(
        block, source="m.jsonl", first_line=7, kind=None, received_at=RECEIVED, enricher=ENRICHER
    )
    items = [
        i if not i.line else type(i)(**{**_fields(i), "line": i.line + 7})
        for i in read_stream(io.BytesIO(block), "m.jsonl", 1 << 20)
    ]
    generic = parse_items(items, kind=None, received_at=RECEIVED, enricher=ENRICHER, keep_models=False)
    assert len(fast.sign_in_rows) > 30 and fast.rejects
    assert _comparable(fast) == _comparable(generic)


@pytest.mark.parametrize("name", ["secretText", "SecretText", "SECRETTEXT"])
def test_a_secret_member_inside_a_sign_in_line_is_redacted_as_the_generic_path_does(
    tmp_path: Path, name: str
) -> None:
    path = tmp_path / "s.jsonl"
    write_signins(path, 20, seed=4, principals=3)
    lines = path.read_bytes().splitlines()
    odd = orjson.loads(lines[7])
    odd["extra"] = {"cred": {name: "hunter2-old-style"}}
    lines[7] = orjson.dumps(odd)
    block = b"\n".join(lines) + b"\n"
    fast = parse_jsonl(
        block, source="s.jsonl", first_line=0, kind=None, received_at=RECEIVED, enricher=ENRICHER
    )
    generic = parse_items(
        read_stream(io.BytesIO(block), "s.jsonl", 1 << 20),
        kind=None, received_at=RECEIVED, enricher=ENRICHER, keep_models=False,
    )  # fmt: skip
    assert len(fast.sign_in_rows) == 20
    assert _comparable(fast) == _comparable(generic)
    assert _comparable(fast)["raw_sign_ins"][7]["extra"] == {"cred": {name: "[redacted]"}}


def _fields(item: Any) -> dict[str, Any]:
    return {name: getattr(item, name) for name in item.__slots__}


def test_parsed_survives_pickling_with_packed_rows() -> None:
    import pickle

    block = _mixed_file()
    p = parse_jsonl(
        block, source="m", first_line=0, kind=None, received_at=RECEIVED, enricher=ENRICHER
    )
    back = pickle.loads(pickle.dumps(p))
    assert _comparable(back) == _comparable(p)
    assert all(type(r) is tuple for r in back.sign_in_rows)


@pytest.mark.parametrize("ending", [b"\n", b""])
@pytest.mark.parametrize("crlf", [False, True])
def test_a_piece_of_sign_ins_keeps_each_line_byte_for_byte(
    tmp_path: Path, ending: bytes, crlf: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pieces whose every line is a fast-path sign-in are compressed as they are (no join):
    the raw records must still be the lines exactly, ``\\r`` removed, and ``lines`` the count."""
    import vigil.ingest.parse as parse_module

    path = tmp_path / "s.jsonl"
    write_signins(path, 300, seed=5, principals=10)
    lines = path.read_bytes().splitlines()
    block = (b"\r\n" if crlf else b"\n").join(lines) + (b"\r" if crlf and ending else b"") + ending
    joined: list[bytes] = []
    real = parse_module.compress_joined

    def spy(data: bytes | memoryview) -> bytes:
        joined.append(bytes(data))
        return real(data)

    monkeypatch.setattr(parse_module, "compress_joined", spy)
    p = parse_jsonl(
        block, source="s", first_line=0, kind=None, received_at=RECEIVED, enricher=ENRICHER
    )
    # the block itself is compressed when no line needs changing (no \r to strip)
    assert joined == ([] if crlf else [block.removesuffix(b"\n")])
    assert p.lines == len(lines) and len(p.sign_in_rows) == len(lines)
    assert [n for n, _ in p.sign_in_blocks] == [len(lines)]
    assert decompress(p.sign_in_blocks[0][1]).split(b"\n") == lines


def test_lines_counts_every_line_of_a_piece() -> None:
    for block, lines in ((b"", 0), (b"\n", 1), (b"x", 1), (b"x\n", 1), (b"x\n\ny", 3)):
        p = parse_jsonl(
            block, source="s", first_line=0, kind=None, received_at=RECEIVED, enricher=ENRICHER
        )
        assert p.lines == lines, block


@pytest.mark.parametrize(
    ("key_id", "ip"),
    [
        ("{BF46B7A1-7AEC-4674-8857-FD6C721F0CD3}", "40.74.9.229"),  # braces dropped: 36 chars
        ("bf46b7a1-7aec-4674-8857-fd6c721f0cd3-and-more", "40.74.9.229"),  # too long: rejected
        ("bf46b7a1-7aec-4674-8857-fd6c721f0cd3", "::ffff:40.74.9.229"),  # stored as IPv4
    ],
)
def test_key_ids_and_widths_agree_with_the_generic_path(key_id: str, ip: str) -> None:
    fast_one = next(r for r in GOLDEN if signin_from_line(orjson.dumps(r)) is not None)
    record = dict(fast_one, servicePrincipalCredentialKeyId=key_id, ipAddress=ip)
    line = orjson.dumps(record)
    generic = normalize(record)
    fast = signin_from_line(line)
    if isinstance(generic, Rejected):
        assert fast is None and enriched_values_from_line(line, ENRICHER.ip_facts) is None
    else:
        assert fast == generic


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        ({"errorCode": 0, "failureReason": "Other."}, None),  # Graph's filler on a success
        ({"errorCode": 7000215, "failureReason": "Invalid client secret."}, "Invalid client secret."),
        ({"errorCode": 7000215, "failureReason": ""}, None),
    ],
)
def test_a_success_has_no_failure_reason_on_either_path(status: dict, reason: str | None) -> None:
    """As in the Log Analytics shapes (ResultDescription only with an error), so the same sign-in
    stores the same values whichever shape arrives first."""
    record = {**copy.deepcopy(next(r for r in SIGNINS if "signInEventTypes" in r)), "status": status}
    fast, generic = signin_from_line(orjson.dumps(record)), normalize(record)
    assert fast == generic
    assert generic.failure_reason == reason


SECRET = "zzz8Q~zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzblP"  # client-secret-shaped: kept as its hint


def _both(block: bytes, max_line: int) -> tuple[Parsed, Parsed]:
    fast = parse_jsonl(
        block, source="s.jsonl", first_line=0, kind=None, received_at=RECEIVED,
        enricher=ENRICHER, max_line=max_line,
    )  # fmt: skip
    generic = parse_items(
        read_stream(io.BytesIO(block), "s.jsonl", max_line),
        kind=None, received_at=RECEIVED, enricher=ENRICHER, keep_models=False,
    )  # fmt: skip
    return fast, generic


def _rejects(p: Parsed) -> list[tuple[Any, ...]]:
    return [(r.line, r.reason, r.kind, r.raw) for r in p.rejects]


@pytest.mark.parametrize("secret", [f'"userAgent":"{SECRET}"', '"secretText":"hunter2-old-style"'])
def test_a_line_with_a_secret_is_measured_and_rejected_as_read(
    tmp_path: Path, secret: str
) -> None:
    """Redacting a piece before reading its lines must not change what the limit lets through
    or where a broken line's reject points: the generic path judges each line as read."""
    path = tmp_path / "s.jsonl"
    write_signins(path, 12, seed=6, principals=2)
    lines = path.read_bytes().splitlines()
    longest = max(range(len(lines)), key=lambda n: len(lines[n]))
    lines[3], lines[longest] = lines[longest], lines[3]
    with_secret = lines[3][:-1] + b"," + secret.replace("userAgent", "extra").encode() + b"}"
    limit = len(with_secret) - 1  # over the limit as read, under it once redacted
    assert all(len(line) <= limit for line in lines)
    broken = lines[5][:40] + secret.encode() + b', "x": ]'
    lines[3], lines[5] = with_secret, broken
    for ending in (b"\n", b""):
        for last in (False, True):  # the broken line in the middle, or last
            order = [*lines[:5], *lines[6:], broken] if last else lines
            fast, generic = _both(b"\n".join(order) + ending, limit)
            assert _comparable(fast) == _comparable(generic)
            assert _rejects(fast) == _rejects(generic)
            reasons = sorted(r.reason for r in fast.rejects)
            assert reasons[-1] == f"line longer than {limit} bytes" and len(reasons) == 2
            assert len(fast.sign_in_rows) == 10
            for r in fast.rejects:
                assert b"hunter2" not in (r.raw or b"") and SECRET.encode() not in (r.raw or b"")


@pytest.mark.parametrize("ending", [b"\n", b""])
def test_a_broken_last_line_is_rejected_as_the_reader_rejects_it(
    tmp_path: Path, ending: bytes
) -> None:
    """Without a final newline, a broken last line keeps its reason and text: no newline is
    added to it (an open string would end in a control character instead of the data)."""
    path = tmp_path / "s.jsonl"
    write_signins(path, 5, seed=7, principals=2)
    lines = path.read_bytes().splitlines()
    for broken in (b'{"id": "open string', b'{"id": "x", ', lines[0][:-9]):
        fast, generic = _both(b"\n".join([*lines, broken]) + ending, 1 << 20)
        assert _rejects(fast) == _rejects(generic) and len(fast.rejects) == 1
        raw = fast.rejects[0].raw or b""
        assert (broken + ending).startswith(raw) and fast.lines == 6
        assert raw == broken + ending or len(broken) > 200  # a long line's excerpt: its start
        if not ending:  # with one, an open string does hold a control character: the newline
            assert "control character" not in fast.rejects[0].reason


@pytest.mark.parametrize("value", [b'"a\tb"', b'"\\x"', b'"\xff"'])
def test_a_sign_in_line_whose_secret_value_is_broken_is_rejected_as_read(
    tmp_path: Path, value: bytes
) -> None:
    """Redacted, the line would be valid JSON: it must be judged as read, as the generic path
    does (found by a reviewer: the fast path stored it)."""
    path = tmp_path / "s.jsonl"
    write_signins(path, 3, seed=8, principals=1)
    lines = path.read_bytes().splitlines()
    lines[1] = lines[1][:-1] + b',"secretText":' + value + b"}"
    fast, generic = _both(b"\n".join(lines) + b"\n", 1 << 20)
    assert _rejects(fast) == _rejects(generic) and [r.line for r in fast.rejects] == [2]
    assert len(fast.sign_in_rows) == 2 and _comparable(fast) == _comparable(generic)


CUT = b"zzz8Q~" + b"a" * 14  # a client secret (SECRET's shape) that a line break cuts
SPLIT_SECRETS = [  # a secret that line breaks split, each a run of broken lines
    [b'{"appId": "a", "SecretText" : ', b'  "hunter2-plain-old-secret", "x": 1}'],
    [b'{"appId": "a", "secretText":', b"   ", b'"hunter2-plain-old-secret"}'],
    [b'{"appId": "a", "secretText"', b': "hunter2-plain-old-secret"}'],
    [b'{"secretText": "abc', b"hunter2-plain-old-secret", b'still-hunter2"}'],
    [b'{"a": "' + CUT, b"a" * 20 + b'hunter2"}'],
]


@pytest.mark.parametrize("crlf", [False, True])
@pytest.mark.parametrize("split", SPLIT_SECRETS)
def test_a_secret_split_over_lines_is_not_kept_in_a_reject(
    tmp_path: Path, crlf: bool, split: list[bytes]
) -> None:
    """Each line of a value split over lines is broken: a reject of one line alone does not see
    the secret's name or its whole shape, so rejects after such a line keep only [redacted], on
    either path (found by reviewers: they kept the value)."""
    path = tmp_path / "s.jsonl"
    write_signins(path, 3, seed=8, principals=1)
    lines = path.read_bytes().splitlines()
    lines[1:1] = split
    end = b"\r\n" if crlf else b"\n"
    fast, generic = _both(end.join(lines) + end, 1 << 20)
    assert _rejects(fast) == _rejects(generic)
    assert len(fast.sign_in_rows) == 3
    for r in fast.rejects:
        assert b"hunter2" not in (r.raw or b"") and CUT[6:] not in (r.raw or b"")
    assert fast.rejects[-1].raw == b"[redacted]"


@pytest.mark.parametrize("workers", [0, 1])
def test_a_run_of_broken_lines_is_followed_across_a_piece_start(tmp_path: Path, workers: int) -> None:
    """Pieces of a file go to parse_jsonl apart: the line before a piece tells its first line
    whether it follows a secret (found by a reviewer: a value line that began a piece was kept)."""
    from vigil.ingest.parallel import EnrichConfig, ParallelParser, parse_in_process

    head = b'{"a": 0}\n' * 10
    data = head + b'{"a": 1, "secretText":\n"hunter2-secret"}\n{"a": 2}\n'
    for name, content in (("plain.jsonl", data), ("packed.jsonl.gz", gzip.compress(data))):
        path = tmp_path / name
        path.write_bytes(content)
        cut = len(head) + len(b'{"a": 1, "secretText":\n')  # the value line starts the piece
        if workers and name == "plain.jsonl":  # workers read ranges: cut after the next newline
            cut -= 1
        if workers:
            parser = ParallelParser(workers, EnrichConfig(), block_bytes=cut)
            try:
                parts = list(parser.parse(path, None, RECEIVED))
            finally:
                parser.close()
        else:
            parts = list(parse_in_process(path, None, RECEIVED, ENRICHER, block_bytes=cut))
        rejects = [r for p in parts for r in p.rejects if r.reason.startswith("invalid JSON")]
        assert [r.line for r in rejects] == [11, 12], name
        assert rejects[1].raw == b"[redacted]", name


def test_a_secret_member_whose_name_is_escaped_is_redacted_on_either_path(tmp_path: Path) -> None:
    """"secret\\u0054ext" is valid JSON for secretText that byte patterns do not see (found by a
    reviewer: the value was kept in the raw record on both paths)."""
    path = tmp_path / "s.jsonl"
    write_signins(path, 3, seed=8, principals=1)
    lines = path.read_bytes().splitlines()
    lines[1] = lines[1][:-1] + b',"extra":{"SECRET\\u0074ext":"hunter2-escaped"}}'
    lines.append(b'{"broken": 1, "secret\\u0054ext": "hunter2-in-a-reject"')
    fast, generic = _both(b"\n".join(lines) + b"\n", 1 << 20)
    assert _comparable(fast) == _comparable(generic) and _rejects(fast) == _rejects(generic)
    assert len(fast.sign_in_rows) == 3
    assert _comparable(fast)["raw_sign_ins"][1]["extra"] == {"SECRETtext": "[redacted]"}
    assert fast.rejects[-1].raw == b"[redacted]"
    for part in (fast, generic):
        raws = b"".join(decompress(f) for _, f in part.sign_in_blocks)
        assert b"hunter2" not in raws


@pytest.mark.parametrize("spaces", [0, 60, 5000])
def test_an_escaped_secret_member_name_far_from_its_colon_is_still_found(spaces: int) -> None:
    """JSON allows any whitespace before a member's colon; the search for an escaped name looked
    for the colon within its window only, and 60 spaces kept the secret in the raw record on
    both paths (found by a reviewer)."""
    path_lines = [orjson.dumps(r) for r in SIGNINS if "signInEventTypes" in r][:2]
    pad = b" " * spaces
    path_lines[1] = path_lines[1][:-1] + b',"extra":{"secret\\u0054ext"' + pad + b':"hunter2-far"}}'
    fast, generic = _both(b"\n".join(path_lines) + b"\n", 1 << 20)
    assert _comparable(fast) == _comparable(generic)
    for part in (fast, generic):
        raws = b"".join(decompress(f) for _, f in part.sign_in_blocks)
        assert len(part.sign_in_rows) == 2 and b"hunter2" not in raws
