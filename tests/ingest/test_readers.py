"""Streaming readers: formats, locations (file, line) and bad input that never raises."""

from __future__ import annotations

import gzip
import io
import json
import logging
import random
import zlib
from pathlib import Path

import orjson
import pytest

from vigil.ingest.gzip_stream import GzipStream
from vigil.ingest.readers import (
    HINT_CSV,
    HINT_DIAGNOSTIC,
    STDIN,
    RawRecord,
    ReadError,
    detect_format,
    expand,
    iter_records,
    read_line,
    read_lines,
    read_stream,
)

DATA = Path(__file__).resolve().parents[1] / "data"


def _read(path: Path | str, **kw) -> tuple[list[RawRecord], list[ReadError]]:
    items = list(iter_records(str(path), **kw))
    return (
        [i for i in items if isinstance(i, RawRecord)],
        [i for i in items if isinstance(i, ReadError)],
    )


def _locs(records: list[RawRecord]) -> list[tuple[int, str | None]]:
    return [(r.line, r.data.get("id") or r.data.get("Id")) for r in records]


# --- format detection -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"", "empty"),
        (b"  \n\r\n\t", "empty"),
        (b"\xef\xbb\xbf[1]", "json"),
        (b'[{"a":1}]\n', "json"),
        (b'[{"a":1},\n{"a":2}]\n', "json"),  # an array, a record a line
        (b'[\n  {"a":1}\n]\n', "json"),
        (b'[{"a":1}]\n[{"a":2}]\n', "jsonl"),  # JSON Lines of arrays (jq -c .value per page)
        (b'{"a":1}\n{"a":2}\n', "jsonl"),
        (b'{"a":1}', "jsonl"),
        (b'{"a":\n  1}\n', "json"),
        (b'{\n  "value": []\n}\n', "json"),
        (b'{"a": 1, "b":\n{"c": 1}}', "json"),  # the first line starts a value: one document
        (b'{"value":[\n{"id":"1"},\n{"id":"2"}\n]}\n', "json"),  # a page, a record a line
        (b'{"records": [\r\n{"id":"1"}\r\n]}', "json"),
        (b'{"a":1}}\n{"a":2}\n', "jsonl"),  # broken before its end: no document starts so
        (b'{"a":1,}\n{"a":2}\n', "jsonl"),
        (b'{"a":"\xff"\n{"a":2}\n', "jsonl"),
        (b'{"a":1}\r\n{"a":2}\r\n', "jsonl"),
        (b'{"a":"x' + b"y" * 70_000, "jsonl"),  # first line longer than the head
        (b"TimeGenerated [UTC],Id\n1,2\n", "csv"),
        (b"\xef\xbb\xbfOperationName,Id\r\n", "csv"),
        (b"\x00\x01\x02\xff\xfe", "unknown"),
        (b"hello world\n", "unknown"),
    ],
)
def test_detect_format(head: bytes, expected: str) -> None:
    assert detect_format(head) == expected


# --- shapes -----------------------------------------------------------------------------------


def test_graph_page_items_carry_index_lines_and_entity_hint() -> None:
    records, errors = _read(DATA / "graph" / "signins_sp.page.json")
    assert errors == []
    assert _locs(records) == [
        (1, "66ea54eb-6301-4ee5-be62-ff5a759b0100"),
        (2, "0b7c9d1e-2f3a-4b5c-8d6e-7f8091a2b3c4"),
        (3, "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"),
    ]
    assert {r.shape_hint for r in records} == {"graph:auditLogs/signIns"}
    assert {r.source for r in records} == {str(DATA / "graph" / "signins_sp.page.json")}


def test_jsonl_lines_are_physical_lines() -> None:
    records, errors = _read(DATA / "graph" / "signins.jsonl")
    assert errors == []
    assert [r.line for r in records] == [1, 2, 3, 4, 5, 6, 7]
    assert {r.shape_hint for r in records} == {None}


def test_a_line_holding_one_object_is_kept_as_read_for_the_raw_record() -> None:
    lines = [
        b'\xef\xbb\xbf{ "id" : "a",  "n": 1 }\r',  # BOM, spaces, CRLF
        b'{"value": [{"id": "b"}]}',  # a page: its items have no line of their own
        b'{"id":"c"}',
        b"[1]",
        b'{"id": ',
        b"",
    ]
    items = list(read_lines(io.BytesIO(b"\n".join(lines)), "s.jsonl", 1000))
    records = [i for i in items if isinstance(i, RawRecord)]
    assert [(r.line, r.data["id"], r.raw) for r in records] == [
        (1, "a", b'{ "id" : "a",  "n": 1 }'),
        (2, "b", None),
        (3, "c", b'{"id":"c"}'),
    ]
    # read_line, the one-line form parse_jsonl uses, agrees, and leaves the rest to read_lines
    one = [read_line(line, "s.jsonl", n, bom=n == 1) for n, line in enumerate(lines, 1)]
    assert one[0] == records[0] and one[2] == records[2]
    assert one[1] is None and one[3:] == [None, None, None]


def test_records_wrapper_plain_and_gzip_give_the_same_records() -> None:
    plain, e1 = _read(DATA / "diagnostic" / "PT1H.json")
    packed, e2 = _read(DATA / "diagnostic" / "PT1H.json.gz")
    assert e1 == e2 == []
    assert [(r.line, r.data, r.shape_hint) for r in plain] == [
        (r.line, r.data, r.shape_hint) for r in packed
    ]
    assert [r.data["category"] for r in plain] == [
        "ServicePrincipalSignInLogs",
        "ServicePrincipalSignInLogs",
        "ManagedIdentitySignInLogs",
        "AuditLogs",
        "MicrosoftGraphActivityLogs",
    ]
    assert {r.shape_hint for r in plain} == {HINT_DIAGNOSTIC}


def test_gzip_is_recognised_by_magic_bytes_not_suffix(tmp_path: Path) -> None:
    target = tmp_path / "export.dat"
    target.write_bytes(gzip.compress(b'{"id": "a"}\n{"id": "b"}\n'))
    records, errors = _read(target)
    assert errors == []
    assert _locs(records) == [(1, "a"), (2, "b")]


def test_json_array_document(tmp_path: Path) -> None:
    target = tmp_path / "rows.json"
    target.write_text(json.dumps([{"Id": "x"}, 5, {"Id": "y"}], indent=2))
    records, errors = _read(target)
    assert _locs(records) == [(1, "x"), (3, "y")]
    assert [(e.line, e.reason) for e in errors] == [(2, "expected a JSON object, got int")]


def test_single_pretty_printed_object(tmp_path: Path) -> None:
    target = tmp_path / "one.json"
    target.write_text(json.dumps({"id": "only", "nested": {"a": [1, 2]}}, indent=4))
    records, errors = _read(target)
    assert (errors, _locs(records)) == ([], [(1, "only")])


def test_jsonl_line_holding_a_page_yields_its_items_on_that_line(tmp_path: Path) -> None:
    target = tmp_path / "pages.jsonl"
    page = {"@odata.context": "x#servicePrincipals", "value": [{"id": "a"}, {"id": "b"}]}
    target.write_text(json.dumps({"id": "first"}) + "\n" + json.dumps(page) + "\n")
    records, errors = _read(target)
    assert errors == []
    assert [(r.line, r.data["id"], r.shape_hint) for r in records] == [
        (1, "first", None),
        (2, "a", "graph:servicePrincipals"),
        (2, "b", "graph:servicePrincipals"),
    ]


def test_a_record_with_a_value_field_is_not_a_page(tmp_path: Path) -> None:
    target = tmp_path / "kv.jsonl"
    target.write_text('{"key": "k", "value": [1, 2]}\n')
    records, _ = _read(target)
    assert [r.data for r in records] == [{"key": "k", "value": [1, 2]}]


def test_portal_csv_rows_start_lines_and_header_suffix() -> None:
    records, errors = _read(DATA / "la" / "AADServicePrincipalSignInLogs.portal.csv")
    assert errors == []
    # Row 2 has a multi-line ResultDescription cell, so row 3 starts on physical line 5.
    assert _locs(records) == [
        (2, "66ea54eb-6301-4ee5-be62-ff5a759b0100"),
        (3, "0b7c9d1e-2f3a-4b5c-8d6e-7f8091a2b3c4"),
        (5, "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"),
    ]
    first = records[0].data
    assert first["TimeGenerated"] == "5/14/2024, 9:21:07.123 AM"
    assert first["LocationDetails"].startswith('{"city":"Amsterdam"')  # JSON text stays a string
    assert {r.shape_hint for r in records} == {HINT_CSV}


def test_portal_csv_in_local_time_is_rejected_row_by_row(tmp_path: Path) -> None:
    """`[Local Time]` columns hold times of a zone the file does not name: not stored hours off."""
    portal = (DATA / "la" / "AADServicePrincipalSignInLogs.portal.csv").read_text()
    local = tmp_path / "local.csv"
    local.write_text(portal.replace("TimeGenerated [UTC]", "TimeGenerated [Local Time]"))
    records, errors = _read(local)
    assert records == []
    assert [e.line for e in errors] == [2, 3, 5]
    assert all("'TimeGenerated [Local Time]'" in e.reason for e in errors)
    assert all("display time zone set to UTC" in e.reason for e in errors)
    assert errors[0].text is not None and b"5/14/2024, 9:21:07.123 AM" in errors[0].text


_ONE_PER_LINE = [
    b'{"id":"p-%d","createdDateTime":"2026-10-25T00:14:52Z","servicePrincipalId":"sp",'
    b'"signInEventTypes":["servicePrincipal"]}' % i
    for i in (1, 2, 3)
]
_PAGE_ONE_PER_LINE = b'{"value":[\n' + b",\n".join(_ONE_PER_LINE) + b"\n]}\n"
_RECORDS_ONE_PER_LINE = b'{"records": [\r\n' + b",\r\n".join(_ONE_PER_LINE) + b"\r\n]}"


@pytest.mark.parametrize(
    ("payload", "hint"),
    [(_PAGE_ONE_PER_LINE, "graph"), (_RECORDS_ONE_PER_LINE, HINT_DIAGNOSTIC)],
)
@pytest.mark.parametrize("how", ["file", "gzip", "stdin", "stdin gzip"])
def test_a_document_with_one_record_per_line_is_one_document(
    tmp_path: Path, payload: bytes, hint: str, how: str
) -> None:
    """Its first line (``{"value":[``) is no JSON value, so it is not read as JSON Lines."""
    data = gzip.compress(payload) if how.endswith("gzip") else payload
    if how.startswith("stdin"):
        items = list(iter_records("-", stdin=io.BytesIO(data)))
        records = [i for i in items if isinstance(i, RawRecord)]
        errors = [i for i in items if isinstance(i, ReadError)]
    else:
        target = tmp_path / "page.json"
        target.write_bytes(data)
        records, errors = _read(target)
    assert errors == []
    assert _locs(records) == [(1, "p-1"), (2, "p-2"), (3, "p-3")]
    assert {r.shape_hint for r in records} == {hint}


def test_json_lines_whose_first_line_is_cut_short_keep_the_lines_after_it(tmp_path: Path) -> None:
    """The cut first line looks like the start of a document; the document breaks right there,
    so the file is read as lines after all."""
    for cut, reason in ((b'{"id": "1", "tru', "invalid JSON"), (b'{"id": "1",', "invalid JSON")):
        target = tmp_path / "cut.jsonl"
        target.write_bytes(cut + b'\n\n  {"id": "2"}\n{"id": "3"}\n')
        records, errors = _read(target)
        assert _locs(records) == [(3, "2"), (4, "3")]
        assert [(e.line, e.reason.split(":")[0]) for e in errors] == [(1, reason)]


def test_a_page_with_one_record_per_line_broken_further_on_is_one_error(tmp_path: Path) -> None:
    target = tmp_path / "broken.json"
    target.write_bytes(b'{"value":[\n{"id":"1"},\n{"id":"2"}\n{"id":"3"}\n]}\n')  # no comma
    records, errors = _read(target)
    assert records == []
    assert [(e.line, e.reason.split(":")[0]) for e in errors] == [(4, "invalid JSON")]


def test_whole_values_one_after_another_are_read_one_by_one(tmp_path: Path) -> None:
    """``jq '.value[]'`` (pretty-printed records in a row) and appended ``az rest`` pages were one
    "unexpected content after document" reject; each value now starts on its own line."""
    first = json.dumps(
        {"id": "a", "name": "caf\u00e9 \u20ac \U0001f600"}, ensure_ascii=False, indent=2
    )
    page = json.dumps(
        {"@odata.context": "x#servicePrincipals", "value": [{"id": "b"}, {"id": "c"}]}, indent=2
    )
    target = tmp_path / "jq.json"
    target.write_text(first + "\n" + page + "\n\n" + json.dumps({"id": "d"}), encoding="utf-8")
    records, errors = _read(target)
    b_line = first.count("\n") + 2
    d_line = b_line + page.count("\n") + 2
    assert errors == []
    assert [(r.line, r.data["id"], r.shape_hint) for r in records] == [
        (1, "a", None),
        (b_line, "b", "graph:servicePrincipals"),
        (b_line, "c", "graph:servicePrincipals"),
        (d_line, "d", None),
    ]


def test_a_broken_value_in_a_row_of_values_loses_only_itself(tmp_path: Path) -> None:
    values = [
        json.dumps({"id": str(i), "n": "\u00e9" * i}, ensure_ascii=False, indent=2)
        for i in range(4)
    ]
    values[1] = values[1].replace('",\n', '"\n', 1)  # a comma missing inside the second
    target = tmp_path / "broken.json"
    target.write_text("\n".join(values) + "\n", encoding="utf-8")
    records, errors = _read(target)
    assert [r.data["id"] for r in records] == ["0", "2", "3"]
    assert [(e.line, e.reason.split(":")[0]) for e in errors] == [(7, "invalid JSON")]  # at "n"


def test_a_page_followed_by_stray_content_keeps_the_page(tmp_path: Path) -> None:
    target = tmp_path / "page.json"
    target.write_text(json.dumps({"value": [{"id": "a"}, {"id": "b"}]}, indent=2) + "\n]\n")
    records, errors = _read(target)
    assert [r.data["id"] for r in records] == ["a", "b"]
    assert [(e.line, e.reason.split(":")[0]) for e in errors] == [(11, "invalid JSON")]


def test_stdin(tmp_path: Path) -> None:
    stream = io.BytesIO(b'{"id": "s1"}\n\n{"id": "s2"}')
    items = list(iter_records("-", stdin=stream))
    assert [(i.source, i.line, i.data["id"]) for i in items] == [(STDIN, 1, "s1"), (STDIN, 3, "s2")]


# --- paths ------------------------------------------------------------------------------------


def test_folder_walk_is_recursive_sorted_and_skips_hidden_and_other_files(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "deep").mkdir(parents=True)
    (tmp_path / ".hidden").mkdir()
    for rel in ("b/2.jsonl", "a/deep/1.json", "a/0.csv.gz", ".hidden/x.json", "a/README.md"):
        (tmp_path / rel).write_bytes(b'{"id": "x"}\n')
    found = [p.relative_to(tmp_path).as_posix() for p in expand(str(tmp_path))]
    assert found == ["a/0.csv.gz", "a/deep/1.json", "b/2.jsonl"]


def test_folder_walk_keeps_symlinked_files_not_symlinked_folders_and_sorts_by_parts(
    tmp_path: Path,
) -> None:
    root, elsewhere = tmp_path / "root", tmp_path / "elsewhere"
    for folder in (root / "a", root / "a-b", elsewhere):
        folder.mkdir(parents=True)
    for rel in ("a/x.json", "a-b/y.json"):
        (root / rel).write_bytes(b'{"id": "x"}\n')
    (elsewhere / "z.json").write_bytes(b'{"id": "z"}\n')
    (root / "a" / "link.json").symlink_to(elsewhere / "z.json")
    (root / "a" / "broken.json").symlink_to(elsewhere / "gone.json")
    (root / "dir-link").symlink_to(elsewhere, target_is_directory=True)
    found = [p.relative_to(root).as_posix() for p in expand(str(root))]
    assert found == ["a/link.json", "a/x.json", "a-b/y.json"]


def test_glob_and_missing_paths(tmp_path: Path) -> None:
    for name in ("y.jsonl", "x.jsonl", "z.txt"):
        (tmp_path / name).write_text(json.dumps({"id": name}) + "\n")
    records, errors = _read(tmp_path / "*.jsonl")
    assert [r.data["id"] for r in records] == ["x.jsonl", "y.jsonl"]
    assert errors == []
    _, errors = _read(tmp_path / "nope.json")
    assert [(e.line, e.reason) for e in errors] == [(0, "no such file or directory")]
    _, errors = _read(tmp_path / "*.parquet")
    assert [e.reason for e in errors] == ["no file matches this pattern"]


def test_empty_file_yields_nothing(tmp_path: Path) -> None:
    (tmp_path / "empty.jsonl").write_bytes(b"")
    (tmp_path / "blank.jsonl").write_bytes(b"\n \n\r\n")
    assert list(iter_records(str(tmp_path))) == []


# --- corrupt input ----------------------------------------------------------------------------


def test_bad_lines_are_reported_and_good_lines_around_them_survive(tmp_path: Path) -> None:
    target = tmp_path / "mixed.jsonl"
    target.write_bytes(
        b'{"id": "1"}\n'
        b'{"id": "2", "trunc\n'  # truncated line
        b"\x00\x9f\x92\x96garbage\xff\n"  # binary garbage
        b'{"id": "\xff\xfe"}\n'  # invalid UTF-8 inside a string
        b"[1, 2]\n"  # an array of non-objects
        b'"just a string"\n'
        b'{"id": "7"}'  # last line without newline
    )
    records, errors = _read(target)
    assert _locs(records) == [(1, "1"), (7, "7")]
    assert [(e.line, e.reason.split(":")[0]) for e in errors] == [
        (2, "invalid JSON"),
        (3, "invalid UTF-8 at byte 1"),
        (4, "invalid UTF-8 at byte 8"),
        (5, "expected a JSON object, got int"),
        (5, "expected a JSON object, got int"),
        (6, "expected a JSON object, got str"),
    ]
    assert errors[0].text == b'{"id": "2", "trunc\n'
    assert all(e.source == str(target) for e in errors)


def test_binary_file_is_one_error(tmp_path: Path) -> None:
    target = tmp_path / "blob.bin"
    target.write_bytes(bytes(range(256)) * 10)
    records, errors = _read(target)
    assert records == []
    assert [(e.line, e.reason) for e in errors] == [(1, "not JSON, JSON Lines or CSV")]
    assert len(errors[0].text) == 200


def truncated_gzip(data: bytes) -> tuple[bytes, int, bytes]:
    """``data`` gzip-compressed and cut in half: (the half, the whole lines it holds, the partial
    line after them), the last two as zlib decompresses them without complaint."""
    half = gzip.compress(data)
    half = half[: len(half) // 2]
    readable = zlib.decompressobj(wbits=31).decompress(half)
    whole = readable.count(b"\n")
    assert 0 < whole < data.count(b"\n"), "the cut must fall after some lines"
    return half, whole, readable[readable.rfind(b"\n") + 1 :]


def sign_in_lines(count: int) -> bytes:
    """``count`` service-principal sign-ins (ids ``t-00000``...) as JSON Lines; a random user
    agent each, so that they do not compress to nothing and a cut falls mid-file."""
    rng = random.Random(0)
    return b"".join(
        orjson.dumps(
            {
                "id": f"t-{n:05d}",
                "createdDateTime": "2026-10-25T00:14:52Z",
                "servicePrincipalId": "sp1",
                "signInEventTypes": ["servicePrincipal"],
                "userAgent": f"{rng.getrandbits(128):032x}",
            }
        )
        + b"\n"
        for n in range(count)
    )


TRUNCATED = (
    "the compressed data ended early"
    " (Compressed file ended before the end-of-stream marker was reached)"
)


def test_truncated_gzip_reports_and_keeps_what_was_read(tmp_path: Path) -> None:
    cut, whole, partial = truncated_gzip(sign_in_lines(2000))
    target = tmp_path / "cut.jsonl.gz"
    target.write_bytes(cut)
    for source, items in [
        (str(target), list(iter_records(str(target)))),
        (STDIN, list(iter_records("-", stdin=io.BytesIO(cut)))),
    ]:
        records = [i for i in items if isinstance(i, RawRecord)]
        assert [r.line for r in records] == list(range(1, whole + 1))  # every whole line
        assert [(e.source, e.line, e.reason, e.text) for e in items[whole:]] == [
            (source, whole + 1, f"cannot read further after line {whole}: {TRUNCATED}", partial)
        ]


def test_a_gzip_stream_hands_out_whole_lines_and_keeps_them_on_an_error() -> None:
    data = b"".join(b"line %d %s\n" % (n, b"x" * (n % 300)) for n in range(3000))
    cut, whole, partial = truncated_gzip(data)
    stream = GzipStream(io.BytesIO(cut))
    pieces = list(iter(lambda: stream.read(1000), b""))
    assert all(p.endswith(b"\n") for p in pieces)
    assert b"".join(pieces) == data[: len(b"".join(pieces))]
    assert (b"".join(pieces).count(b"\n"), stream.tail) == (whole, partial)
    assert isinstance(stream.error, EOFError)
    assert stream.read(1000) == b""
    whole_file = GzipStream(io.BytesIO(gzip.compress(data + b"no newline")))
    assert whole_file.read() == data + b"no newline" and whole_file.error is None


def test_broken_document_points_at_the_physical_line(tmp_path: Path) -> None:
    target = tmp_path / "broken.json"
    target.write_text('{\n  "value": [\n    {"id": "a"},\n    {"id": }\n  ]\n}\n')
    records, errors = _read(target)
    assert records == []
    assert [(e.line, e.reason.split(":")[0]) for e in errors] == [(4, "invalid JSON")]


def test_document_size_limit(tmp_path: Path) -> None:
    target = tmp_path / "big.json"
    target.write_text(json.dumps([{"id": str(i)} for i in range(100)]))
    records, errors = _read(target, max_document_bytes=500)
    assert records == []
    assert [e.reason for e in errors] == ["JSON document larger than 500 bytes"]


def test_csv_with_bad_rows(tmp_path: Path) -> None:
    target = tmp_path / "rows.csv"
    target.write_bytes(
        b"Id,OperationName\r\n"
        b"a,A\xc3\xb1adir\r\n"  # UTF-8 (so the file is UTF-8, not Excel's Windows-1252)
        b'b,"multi\r\nline"\r\n'
        b"c\r\n"  # too few cells
        b"d,\xff\xfebad\r\n"  # invalid UTF-8
        b"e,Update\r\n"
    )
    records, errors = _read(target)
    assert [(r.line, r.data) for r in records] == [
        (2, {"Id": "a", "OperationName": "Añadir"}),
        (3, {"Id": "b", "OperationName": "multi\r\nline"}),
        (7, {"Id": "e", "OperationName": "Update"}),
    ]
    assert [(e.line, e.reason) for e in errors] == [
        (5, "row has 1 cells, the header has 2"),
        (6, "invalid UTF-8 near character 2"),
    ]


def test_an_excel_csv_in_windows_1252_is_read_as_such_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Excel's "CSV (Comma delimited)" is in the ANSI code page: every row holding a name with
    an umlaut was rejected as invalid UTF-8. ASCII rows, then a row that is not UTF-8: the
    file is Windows-1252 from there, a byte that looks like UTF-8 included (``Ã¼`` stays
    ``Ã¼``); a byte Windows-1252 leaves undefined (0x81) still rejects its row."""
    target = tmp_path / "excel.csv"
    target.write_bytes(
        "Id,ServicePrincipalName\r\na,Payroll\r\nb,Zahlungsdienst Müller\r\nc,Café\r\n"
        "d,Ã¼ber\r\n".encode("cp1252") + b"e,bad\x81\r\nf,Ok\r\n"
    )
    with caplog.at_level(logging.WARNING, logger="vigil.ingest.csv_reader"):
        records, errors = _read(target)
    assert [(r.line, r.data["ServicePrincipalName"]) for r in records] == [
        (2, "Payroll"), (3, "Zahlungsdienst Müller"), (4, "Café"), (5, "Ã¼ber"), (7, "Ok")]
    assert [(e.line, e.reason) for e in errors] == [
        (6, "not Windows-1252 (the file's encoding) near byte 5")]
    (warning,) = caplog.records
    assert "excel.csv: line 3 is not UTF-8: the file is read as Windows-1252" in warning.getMessage()


def test_windows_1252_rows_that_are_not_1252_or_a_bom_file_are_rejected_row_by_row(
    tmp_path: Path,
) -> None:
    """After the switch, a row whose bytes hold one Windows-1252 leaves undefined (UTF-8 ``Á``
    is C3 81) is rejected, naming it; the ingest died with "generator raised StopIteration".
    A file with a UTF-8 byte-order mark (Excel's "CSV UTF-8") is UTF-8 throughout: a row not
    UTF-8 there is rejected as such, not read as Windows-1252."""
    mixed = tmp_path / "mixed.csv"
    mixed.write_bytes(b"Id,Name\r\na,Caf\xe9\r\nb,\xc3\x81lvaro\r\nc,ok\r\n")
    records, errors = _read(mixed)
    assert [(r.line, r.data["Name"]) for r in records] == [(2, "Café"), (4, "ok")]
    assert [(e.line, e.reason) for e in errors] == [
        (3, "not Windows-1252 (the file's encoding) near byte 3")]
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbfId,Name\r\na,ok\r\nb,Caf\xe9\r\nc,M\xc3\xbcller\r\n")
    records, errors = _read(bom)
    assert [(r.line, r.data["Name"]) for r in records] == [(2, "ok"), (4, "Müller")]
    assert [(e.line, e.reason) for e in errors] == [(3, "invalid UTF-8 near character 5")]


def test_50mb_single_line(tmp_path: Path) -> None:
    """A huge valid line is a record; a huge invalid one is an error; neighbours survive."""
    big = b"x" * (50 * 1024 * 1024)
    target = tmp_path / "huge.jsonl"
    with target.open("wb") as f:
        f.write(b'{"id": "before"}\n')
        f.write(b'{"id": "big", "blob": "' + big + b'"}\n')
        f.write(b'{"id": "broken", "blob": "' + big + b"\n")
        f.write(b'{"id": "after"}\n')
    items = list(iter_records(str(target)))
    summary = [
        (i.line, i.data["id"]) if isinstance(i, RawRecord) else (i.line, i.reason.split(":")[0])
        for i in items
    ]
    assert summary == [(1, "before"), (2, "big"), (3, "invalid JSON"), (4, "after")]
    assert len(items[1].data["blob"]) == len(big)
    assert len(items[2].text) == 200


def test_line_longer_than_the_limit_is_skipped_not_loaded(tmp_path: Path) -> None:
    target = tmp_path / "long.jsonl"
    target.write_bytes(b'{"id": "a"}\n' + b'{"id": "' + b"y" * 5000 + b'"}\n{"id": "c"}\n')
    items = list(iter_records(str(target), max_document_bytes=1000))
    summary = [(i.line, getattr(i, "reason", None) or i.data["id"]) for i in items]
    assert summary == [(1, "a"), (2, "line longer than 1000 bytes"), (3, "c")]


def test_utf16_powershell_export(tmp_path: Path) -> None:
    """Windows PowerShell 5.1 ``Out-File`` writes UTF-16LE with a BOM."""
    target = tmp_path / "signins.json"
    text = json.dumps({"value": [{"id": "é1"}, {"id": "2"}]}, indent=2, ensure_ascii=False)
    target.write_bytes(text.encode("utf-16"))
    records, errors = _read(target)
    assert (errors, _locs(records)) == ([], [(1, "é1"), (2, "2")])
    jsonl = tmp_path / "rows.jsonl"
    jsonl.write_bytes('{"id": "a"}\r\n{"id": "b"}\r\n'.encode("utf-16-le").join([b"\xff\xfe", b""]))
    records, errors = _read(jsonl)
    assert (errors, _locs(records)) == ([], [(1, "a"), (2, "b")])


def test_oversized_file_is_refused_before_reading(tmp_path: Path) -> None:
    target = tmp_path / "big.json"
    target.write_text("[" + " " * 5000 + "{}]")
    items = list(iter_records(str(target), max_document_bytes=1000))
    assert [(i.line, i.reason, i.text) for i in items] == [
        (0, "JSON document larger than 1000 bytes", b"")
    ]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b'{"bad"\n', "invalid JSON: unexpected end of data (column 7)"),
        (b'{"id": 1,\r\n', "invalid JSON: unexpected end of data (column 10)"),
    ],
)
def test_a_json_line_that_ends_early_is_reported_where_it_ends(line: bytes, reason: str) -> None:
    items = list(read_lines(io.BytesIO(line), "x.jsonl", 1000))
    assert [(i.line, i.reason) for i in items] == [(1, reason)]


@pytest.mark.parametrize(
    ("data", "lines"),
    [
        # a bare CR inside a quoted cell: not a line of its own
        (b'Id,UserAgent\nc-1,"agent\rv2"\nc-2,x\n', [2, 3]),
        (b'Id,UserAgent\r\nc-1,"agent\rv2"\r\nc-2,x\r\n', [2, 3]),
        # a CR-only file (classic Mac): its lines end at CR
        (b"Id,UserAgent\rc-1,a\rc-2,x\r", [2, 3]),
        # LF inside a quoted cell: the row after it starts two lines on
        (b'Id,UserAgent\nc-1,"agent\nv2"\nc-2,x\n', [2, 4]),
    ],
)
def test_csv_rows_start_at_their_physical_line(data: bytes, lines: list[int]) -> None:
    items = list(read_stream(io.BytesIO(data), "x.csv", 1 << 20))
    assert [i.line for i in items] == lines, items


def test_an_array_of_query_responses_rejects_a_bad_row_with_its_reason(tmp_path: Path) -> None:
    """A short row of a Log Analytics query response inside an array of responses is rejected
    for its length, like one in a response alone (it was 'expected a JSON object, got BadRow',
    with the internal BadRow serialized as the record)."""
    columns = [{"name": "Id", "type": "string"}, {"name": "ResultType", "type": "string"}]
    response = {"tables": [{"name": "PrimaryResult", "columns": columns,
                            "rows": [["a", "0"], ["short"], ["b", "0"]]}]}  # fmt: skip
    src = tmp_path / "responses.json"
    src.write_text(json.dumps([response, response], indent=2))
    records, errors = _read(src)
    assert [r.data["Id"] for r in records] == ["a", "b", "a", "b"]
    assert [(e.line, e.reason, e.text) for e in errors] == [
        (n, "row has 1 cells, its table 2 columns", b'["short"]') for n in (1, 2)
    ]


def test_json_lines_of_arrays_with_a_first_line_longer_than_the_head_are_lines(
    tmp_path: Path,
) -> None:
    """``jq -c '.value'`` of pages of a thousand records: each line is megabytes, more than
    detect_format looks at, so the file was taken for one document and rejected whole ('unexpected
    content after document'); it is read line by line."""
    pages = [[{"id": f"r{p}-{i}", "pad": "x" * 100} for i in range(1000)] for p in range(3)]
    src = tmp_path / "pages.jsonl"
    src.write_text("".join(json.dumps(page) + "\n" for page in pages))
    assert len(src.read_text().split("\n", 1)[0]) > 65_536
    records, errors = _read(src)
    assert errors == []
    assert [(r.line, r.data["id"]) for r in records] == [
        (p + 1, f"r{p}-{i}") for p in range(3) for i in range(1000)
    ]


def test_values_one_after_another_are_parsed_in_linear_time(monkeypatch) -> None:
    """Each value is parsed from a window around it, not from it to the end of the data (that
    made 8,000 pretty-printed sign-ins take a minute): orjson is given a few times the data."""
    from vigil.ingest import json_sequence

    given: list[int] = []
    loads = json_sequence.orjson.loads

    class Counting:
        JSONDecodeError = orjson.JSONDecodeError

        @staticmethod
        def loads(data: memoryview) -> object:
            given.append(len(data))
            return loads(data)

    monkeypatch.setattr(json_sequence, "orjson", Counting)
    one = json.dumps({"id": "x", "pad": "p" * 300, "nested": {"a": [1, 2, 3]}}, indent=2) + "\n"
    data = (one * 3000).encode()
    assert sum(1 for _ in json_sequence.values(data, "x")) == 3000
    assert sum(given) < 20 * len(data)
