"""`vigil ingest` end to end: every shape, re-runs, bad input, stats, rejects file."""

from __future__ import annotations

import csv
import gzip
import json
import os
import re
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from tests.ingest.test_readers import TRUNCATED, sign_in_lines, truncated_gzip

from vigil.cli.main import cli
from vigil.store.database import normalize_url
from vigil.store.tables import sign_ins

DATA = Path(__file__).resolve().parents[1] / "data"
SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "samples" / "public"


def run(db: str, *args: str, exit_code: int = 0) -> str:
    result = CliRunner().invoke(cli, ["--db", db, *args], catch_exceptions=False)
    assert result.exit_code == exit_code, result.output
    return result.stdout


def ingest_json(db: str, *args: str, exit_code: int = 0) -> dict:
    return json.loads(run(db, "ingest", "--format", "json", *args, exit_code=exit_code))


def stats(db: str) -> dict:
    return json.loads(run(db, "stats", "--format", "json"))


def test_every_golden_shape_ingests_without_rejects_and_reruns_add_nothing(db_url):
    run(db_url, "migrate")
    first = ingest_json(db_url, str(DATA))
    assert first["total"]["rejected"] == 0, first
    assert first["total"]["stored"] > 0
    assert set(first["kinds"]) == {"signins", "audit", "graphactivity", "directory"}
    counts = stats(db_url)
    second = ingest_json(db_url, str(DATA))
    assert second["total"]["stored"] == 0
    assert second["total"]["duplicate"] == second["total"]["read"] == first["total"]["read"]
    assert stats(db_url) == counts


@pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"public samples not found at {SAMPLES}")
def test_public_samples_ingest_with_zero_rejects(tmp_path):
    db = f"sqlite:///{tmp_path / 'v.db'}"
    summary = ingest_json(db, str(SAMPLES))
    assert summary["total"]["rejected"] == 0, summary
    counts = stats(db)
    # 7 + 1 SP sign-ins (elastic), 6 Graph activity rows (one RequestId appears twice), audit rows:
    # 3 elastic + 4 OTRF (two identical) + 5 Sentinel.
    assert counts["signIns"] == 8
    assert counts["graphActivities"] == summary["kinds"]["graphactivity"]["stored"]
    assert counts["directoryAudits"] == summary["kinds"]["audit"]["stored"]
    assert summary["kinds"]["audit"]["read"] == 12


def test_stats_match_the_records_given(tmp_path):
    lines = [json.loads(x) for x in (DATA / "graph" / "signins.jsonl").read_text().splitlines()]
    db = f"sqlite:///{tmp_path / 'v.db'}"
    ingest_json(db, str(DATA / "graph" / "signins.jsonl"))

    def is_mi(x: dict) -> bool:
        msi = (x.get("managedServiceIdentity") or {}).get("msiType")
        return "managedIdentity" in (x.get("signInEventTypes") or []) or msi in (
            "userAssigned",
            "systemAssigned",
        )

    sp = sum(not is_mi(x) for x in lines)
    assert 0 < sp < len(lines)
    counts = stats(db)
    assert counts["signIns"] + counts["managedIdentitySignIns"] == len({x["id"] for x in lines})
    assert counts["signIns"] == sp


def test_bad_input_is_rejected_with_location_and_the_rest_goes_on(tmp_path):
    good = (DATA / "graph" / "signins.jsonl").read_text().splitlines()
    bad_type = json.loads(good[0])
    bad_type["id"] = "bad-type"
    bad_type["createdDateTime"] = ["not", "a", "time"]
    missing = json.loads(good[1])
    missing["id"] = "missing-sp"
    del missing["servicePrincipalId"]
    lines = [
        good[0],
        good[1][: len(good[1]) // 2],  # truncated
        json.dumps(bad_type),
        "\x00\x01\x02garbage\xff",
        json.dumps(missing),
        *good[2:],
    ]
    src = tmp_path / "mixed.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogateescape")
    rejects = tmp_path / "rejects.jsonl"
    db = f"sqlite:///{tmp_path / 'v.db'}"
    summary = ingest_json(db, str(src), "--rejects", str(rejects))
    assert summary["total"]["rejected"] == 4
    assert summary["total"]["stored"] == len(good) - 1  # good[1] was cut in half
    found = [json.loads(x) for x in rejects.read_text().splitlines()]
    assert [(r["source"], r["line"]) for r in found] == [(str(src), n) for n in (2, 3, 4, 5)]
    assert "createdDateTime" in found[1]["reason"]
    assert "servicePrincipalId" in found[3]["reason"]
    assert stats(db)["rejected"] == 4
    # Re-running keeps one copy of each reject.
    ingest_json(db, str(src))
    assert stats(db)["rejected"] == 4


def test_gzip_stdin_and_globs(tmp_path):
    src = DATA / "graph" / "signins.jsonl"
    gz = tmp_path / "dump.bin"  # recognised by its magic bytes, not its name
    gz.write_bytes(gzip.compress(src.read_bytes()))
    db = f"sqlite:///{tmp_path / 'v.db'}"
    first = ingest_json(db, str(gz))
    assert first["total"]["rejected"] == 0 and first["total"]["stored"] > 0
    result = CliRunner().invoke(
        cli, ["--db", db, "ingest", "--format", "json", "-"], input=src.read_bytes()
    )
    assert json.loads(result.stdout)["total"]["duplicate"] == first["total"]["read"]
    copy = tmp_path / "logs" / "a" / "x.json"
    copy.parent.mkdir(parents=True)
    shutil.copy(DATA / "graph" / "directory_audits.page.json", copy)
    globbed = ingest_json(db, str(tmp_path / "logs" / "**" / "*.json"))
    assert globbed["kinds"]["audit"]["stored"] > 0


def _read_error(source: str, whole: int, partial: bytes) -> dict:
    reason = f"cannot read further after line {whole}: {TRUNCATED}"
    return {
        "source": source,
        "line": whole + 1,
        "kind": "unknown",
        "reason": reason,
        "record": partial[:200].decode(),
    }


@pytest.mark.parametrize("workers", ["0", "2"])
def test_a_truncated_gzip_keeps_every_whole_line_and_names_the_line_reached(tmp_path, workers):
    cut, whole, partial = truncated_gzip(sign_in_lines(2000))  # the cut falls in line whole + 1
    src = tmp_path / "cut.jsonl.gz"
    src.write_bytes(cut)
    rejects = tmp_path / "rejects.jsonl"
    db = f"sqlite:///{tmp_path / 'v.db'}"
    summary = ingest_json(db, "--workers", workers, "--rejects", str(rejects), str(src))
    assert summary["total"] == {"read": whole + 1, "stored": whole, "duplicate": 0, "rejected": 1}
    assert stats(db)["signIns"] == whole
    assert [json.loads(x) for x in rejects.read_text().splitlines()] == [
        _read_error(str(src), whole, partial)
    ]


def test_a_truncated_gzip_on_stdin_keeps_every_whole_line(tmp_path):
    cut, whole, partial = truncated_gzip(sign_in_lines(2000))
    rejects = tmp_path / "rejects.jsonl"
    db = f"sqlite:///{tmp_path / 'v.db'}"
    result = CliRunner().invoke(
        cli, ["--db", db, "ingest", "--format", "json", "--rejects", str(rejects), "-"], input=cut
    )
    summary = json.loads(result.stdout)
    assert summary["total"] == {"read": whole + 1, "stored": whole, "duplicate": 0, "rejected": 1}
    assert [json.loads(x) for x in rejects.read_text().splitlines()] == [
        _read_error("<stdin>", whole, partial)
    ]


def test_a_truncated_csv_gzip_keeps_every_whole_row(tmp_path):
    header, row = (
        (DATA / "la" / "AADServicePrincipalSignInLogs.portal.csv").read_bytes().split(b"\n")[:2]
    )
    old_id = next(csv.reader([row.decode()]))[21].encode()
    assert header.split(b",")[21] == b"Id" and row.count(old_id) == 1
    rows = [row.replace(old_id, b"%036d" % n) for n in range(600)]
    cut, whole, partial = truncated_gzip(b"\n".join([header, *rows]) + b"\n")
    src = tmp_path / "cut.csv.gz"
    src.write_bytes(cut)
    rejects = tmp_path / "rejects.jsonl"
    db = f"sqlite:///{tmp_path / 'v.db'}"
    summary = ingest_json(db, "--rejects", str(rejects), str(src))
    rows_read = whole - 1  # the header is a line too
    assert summary["total"] == {
        "read": rows_read + 1,
        "stored": rows_read,
        "duplicate": 0,
        "rejected": 1,
    }
    assert stats(db)["signIns"] == rows_read
    assert [json.loads(x) for x in rejects.read_text().splitlines()] == [
        _read_error(str(src), whole, partial)
    ]


def test_nothing_readable_exits_1(tmp_path):
    junk = tmp_path / "junk.jsonl"
    junk.write_bytes(b"\x00\xff\xfe not json at all\n")
    summary = ingest_json(f"sqlite:///{tmp_path / 'v.db'}", str(junk), exit_code=1)
    assert summary["total"] == {"read": 1, "stored": 0, "duplicate": 0, "rejected": 1}
    missing = ingest_json(
        f"sqlite:///{tmp_path / 'v.db'}", str(tmp_path / "nope.json"), exit_code=1
    )
    assert missing["total"]["rejected"] == 1


def test_forced_kind_rejects_other_kinds(tmp_path):
    db = f"sqlite:///{tmp_path / 'v.db'}"
    summary = ingest_json(
        db, "--kind", "audit", str(DATA / "graph" / "signins.jsonl"), exit_code=1
    )  # nothing usable was read
    assert summary["total"]["stored"] == 0
    assert summary["total"]["rejected"] == summary["total"]["read"] > 0


def _signin(sid: str, **extra: str) -> dict:
    return {
        "id": sid,
        "createdDateTime": "2026-10-25T00:14:52Z",
        "servicePrincipalId": "sp",
        "signInEventTypes": ["servicePrincipal"],
        **extra,
    }


@pytest.mark.parametrize("layout", ["jsonl", "page"])
def test_values_longer_than_their_columns_are_rejected_alike_on_every_database(
    db_url, tmp_path, layout
):
    """PostgreSQL refuses a value longer than its varchar(n) (the whole run used to abort with
    StringDataRightTruncation) where SQLite stores it: both reject that record and go on."""
    records = [
        _signin("w-1"),
        _signin("w-2", servicePrincipalCredentialKeyId="{BF46B7A1-7aec-4674-8857-fd6c721f0cd3}"),
        _signin("w-3", servicePrincipalCredentialKeyId="bf46b7a1-7aec-4674-8857-fd6c721f0cd3-x"),
        _signin("w-4", ipAddress="fe80::1%" + "z" * 50),  # the zone id is dropped
        _signin("w-5", correlationId="c" * 65),
        _signin("w-6", ipAddress="::ffff:40.74.9.229"),
    ]
    src = tmp_path / "signins.json"
    if layout == "jsonl":
        src.write_text("".join(json.dumps(r) + "\n" for r in records))
    else:
        src.write_text(json.dumps({"value": records}, indent=1))
    rejects = tmp_path / "rejects.jsonl"
    run(db_url, "migrate")
    summary = ingest_json(db_url, str(src), "--rejects", str(rejects), "--workers", "0")
    assert summary["total"] == {"read": 6, "stored": 4, "duplicate": 0, "rejected": 2}
    found = [json.loads(x) for x in rejects.read_text().splitlines()]
    assert [(r["line"], r["reason"]) for r in found] == [
        (3, "servicePrincipalCredentialKeyId: longer than 36 characters"),
        (5, "correlationId: longer than 64 characters"),
    ]
    engine = sa.create_engine(normalize_url(db_url))
    try:
        with engine.connect() as conn:
            rows = set(
                conn.execute(
                    sa.select(sign_ins.c.id, sign_ins.c.credential_key_id, sign_ins.c.ip_address)
                ).all()
            )
    finally:
        engine.dispose()
    assert rows == {
        ("w-1", None, None),
        ("w-2", "bf46b7a1-7aec-4674-8857-fd6c721f0cd3", None),
        ("w-4", None, "fe80::1"),
        ("w-6", None, "40.74.9.229"),
    }


@pytest.mark.parametrize("workers", ["0", "2"])
def test_nul_characters_are_rejected_alike_on_every_database(db_url, tmp_path, workers):
    """PostgreSQL's text columns refuse a NUL character (U+0000), which SQLite stores: the whole
    ingest died with "PostgreSQL text fields cannot contain NUL (0x00) bytes", again on every
    re-run. A record keeping one is rejected, naming it, on both; a NUL in a field that is not
    kept, or the text ``\\u0000`` (a backslash, then ``u0000``), is stored."""
    audit = json.loads((DATA / "graph" / "directory_audits.page.json").read_text())["value"][0]
    lines = [
        json.dumps(_signin("n-1")),
        json.dumps(_signin("n-2", userAgent="@")).replace('"@"', '"curl\\u0000/8"'),
        json.dumps(_signin("n-3", appDisplayName="@")).replace('"@"', '"a\\u0000b"'),
        json.dumps(_signin("n-4", userAgent="x\\u0000y")),
        json.dumps(_signin("@")).replace('"@"', '"n-5\\u0000"'),
        json.dumps(dict(audit, id="n-6", activityDisplayName="@")).replace(
            '"@"', '"Add\\u0000owner"'
        ),
    ]
    src = tmp_path / "mixed.jsonl"
    src.write_text("".join(line + "\n" for line in lines))
    rejects = tmp_path / "rejects.jsonl"
    run(db_url, "migrate")
    summary = ingest_json(db_url, str(src), "--rejects", str(rejects), "--workers", workers)
    assert summary["total"] == {"read": 6, "stored": 3, "duplicate": 0, "rejected": 3}
    found = [json.loads(x) for x in rejects.read_text().splitlines()]
    assert [(r["line"], r["reason"]) for r in found] == [
        (2, "user_agent: holds a NUL character, which the store cannot keep"),
        (5, "id: holds a NUL character, which the store cannot keep"),
        (6, "activity_display_name: holds a NUL character, which the store cannot keep"),
    ]
    engine = sa.create_engine(normalize_url(db_url))
    try:
        with engine.connect() as conn:
            rows = set(conn.execute(sa.select(sign_ins.c.id, sign_ins.c.user_agent)).all())
    finally:
        engine.dispose()
    assert rows == {("n-1", None), ("n-3", None), ("n-4", "x\\u0000y")}
    again = ingest_json(db_url, str(src), "--workers", workers)
    assert again["total"] == {"read": 6, "stored": 0, "duplicate": 3, "rejected": 3}


@pytest.mark.parametrize("workers", ["0", "2"])
def test_json_lines_of_arrays_are_read_line_by_line(tmp_path, workers):
    """``jq -c '.value'`` of each page gives a line per page holding an array of records: the
    file starts with ``[`` but is JSON Lines (it was read as one document and rejected whole)."""
    good = [json.loads(x) for x in (DATA / "graph" / "signins.jsonl").read_text().splitlines()]
    broken = dict(good[3], id="bad-time", createdDateTime="garbage")
    src = tmp_path / "pages.jsonl"
    src.write_text(
        json.dumps(good[:2]) + "\n" + json.dumps([good[2], broken]) + "\n"
        + json.dumps(good[3:]) + "\n"
    )  # fmt: skip
    rejects = tmp_path / "rejects.jsonl"
    db = f"sqlite:///{tmp_path / 'v.db'}"
    summary = ingest_json(db, str(src), "--workers", workers, "--rejects", str(rejects))
    assert summary["kinds"]["signins"] == {
        "read": len(good) + 1, "stored": len(good), "duplicate": 0, "rejected": 1,
    }  # fmt: skip
    found = [json.loads(x) for x in rejects.read_text().splitlines()]
    assert [(r["line"], "createdDateTime" in r["reason"]) for r in found] == [(2, True)]


def _as_query_response(rows: list[dict]) -> dict:
    """Log Analytics rows (objects) as the query API answers them: columns and arrays."""
    names = list(dict.fromkeys(k for r in rows for k in r))
    columns = [{"name": n, "type": "string"} for n in names]
    return {"tables": [{"name": "PrimaryResult", "columns": columns,
                        "rows": [[r.get(n) for n in names] for r in rows]}]}  # fmt: skip


def test_log_analytics_query_responses_read_like_their_rows(tmp_path):
    """``{"tables": [{"columns", "rows"}]}`` (the query API's body) gives the records the same
    rows as objects give, and a row of the wrong length is rejected at its position."""
    by_rows, by_tables = f"sqlite:///{tmp_path / 'rows.db'}", f"sqlite:///{tmp_path / 'tables.db'}"
    for name in ("AADServicePrincipalSignInLogs", "AuditLogs", "MicrosoftGraphActivityLogs"):
        rows = json.loads((DATA / "la" / f"{name}.json").read_text())
        response = _as_query_response(rows)
        indent = None  # one line: JSON Lines, whose unwrapped items share the line's number
        if name == "AuditLogs":
            response["tables"][0]["rows"].insert(1, ["too", "short"])
            indent = 2  # a document: an item's line is its position
        (tmp_path / f"{name}.json").write_text(json.dumps(response, indent=indent))
        expected = ingest_json(by_rows, str(DATA / "la" / f"{name}.json"))
        rejects = tmp_path / f"{name}.rejects.jsonl"
        got = ingest_json(by_tables, str(tmp_path / f"{name}.json"), "--rejects", str(rejects))
        bad = [json.loads(x) for x in rejects.read_text().splitlines()]
        if name == "AuditLogs":
            assert [(r["line"], r["reason"]) for r in bad] == [
                (2, f"row has 2 cells, its table {len(response['tables'][0]['columns'])} columns")
            ]
            assert got["total"]["stored"] == expected["total"]["stored"]
        else:
            del got["seconds"], expected["seconds"]
            assert (got, bad) == (expected, [])
    tables = ("sign_ins", "graph_activities", "audit_events")
    dumps = []
    for db in (by_rows, by_tables):
        engine = sa.create_engine(normalize_url(db))
        with engine.connect() as conn:
            dumps.append(
                {t: sorted(map(tuple, conn.execute(sa.text(f"SELECT * FROM {t}")))) for t in tables}
            )
    assert dumps[0] == dumps[1] and all(dumps[0].values())


def test_a_file_named_in_other_spellings_adds_no_rejects(tmp_path, monkeypatch):
    """A cron job naming ``/var/log/...`` and a person typing ``./...`` read one file: its rejects
    are kept once (they were keyed by the path as given, so each spelling added them again)."""
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "s.jsonl").write_text('{"id": "x", "createdDateTime": 5}\n{"broken\n')
    (tmp_path / "link").symlink_to(tmp_path / "logs")
    monkeypatch.chdir(tmp_path)
    db = f"sqlite:///{tmp_path / 'v.db'}"
    for spelling in (
        "logs/s.jsonl",
        "./logs/s.jsonl",
        str(tmp_path / "logs" / "s.jsonl"),
        "link/s.jsonl",
        "logs",
    ):
        ingest_json(db, spelling, exit_code=1)
    assert stats(db)["rejected"] == 2


def test_the_same_records_with_upper_case_guids_add_nothing(tmp_path):
    """Every golden file again with its GUIDs upper-cased (a KQL ``toupper()``, a spreadsheet, a
    PowerShell object): the same sign-ins, audits, requests and principals, none stored twice.
    (Not after ``=``: a certificate named ``CN=<appId>`` is another name, so another snapshot.)"""
    guid = re.compile(
        r"(?<![0-9A-Za-z_=])[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?![0-9A-Za-z_])"
    )
    shouted = tmp_path / "shouted"
    for path in DATA.rglob("*"):
        if path.suffix in (".json", ".jsonl", ".csv"):
            out = shouted / path.relative_to(DATA)
            out.parent.mkdir(parents=True, exist_ok=True)
            text = path.read_bytes().decode("utf-8-sig")
            out.write_text(guid.sub(lambda m: m.group(0).upper(), text), encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'vigil.db'}"
    run(db, "migrate")
    first = ingest_json(db, str(DATA))
    counts = stats(db)
    second = ingest_json(db, str(shouted))
    assert second["total"]["read"] > 0
    assert (second["total"]["stored"], second["total"]["rejected"]) == (0, 0), second
    assert stats(db) == counts, first


@pytest.mark.parametrize("workers", ["0", "2"])
def test_a_file_whose_name_is_not_utf8_is_ingested_and_named(tmp_path, workers):
    """A folder holding ``caf\\xe9.jsonl`` (a Latin-1 name): Python reads the name with a lone
    surrogate, which the store's hash and columns refused, and the ingest died with a traceback.
    Its records are stored and its rejects name it ``caf\\xe9.jsonl``, in the store, the rejects
    file and the summary; a re-run adds nothing."""
    folder = tmp_path / "logs"
    folder.mkdir()
    lines = [json.dumps(_signin("l-1")), "{broken", json.dumps(_signin("l-2"))]
    (folder / os.fsdecode(b"caf\xe9.jsonl")).write_text("".join(line + "\n" for line in lines))
    db = f"sqlite:///{tmp_path / 'v.db'}"
    rejects = tmp_path / "rejects.jsonl"
    name = f"{folder}/caf\\xe9.jsonl"
    summary = ingest_json(db, str(folder), "--rejects", str(rejects), "--workers", workers)
    assert summary["total"] == {"read": 3, "stored": 2, "duplicate": 0, "rejected": 1}
    assert [r["source"] for r in summary["firstRejects"]] == [name]
    assert [json.loads(x)["source"] for x in rejects.read_text().splitlines()] == [name]
    again = ingest_json(db, str(folder), "--workers", workers)
    assert again["total"] == {"read": 3, "stored": 0, "duplicate": 2, "rejected": 1}
    assert stats(db)["rejected"] == 1


def _table_rows(db: str, table: str, columns: str) -> list[tuple]:
    engine = sa.create_engine(normalize_url(db))
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(f"SELECT {columns} FROM {table} ORDER BY 1").all()
    engine.dispose()
    return [tuple(r) for r in rows]


def test_a_folder_of_documents_and_csv_ingests_alike_with_and_without_workers(tmp_path):
    """Workers parse documents and CSV files too (vigil.ingest.prefetch): the same store and
    summary as the writer parsing them itself, and a second run adds nothing."""
    folder = tmp_path / "export"
    shutil.copytree(DATA, folder, ignore=shutil.ignore_patterns("*.md"))
    good = [json.loads(x) for x in (DATA / "graph" / "signins.jsonl").read_text().splitlines()]
    page = {"@odata.context": "https://graph.microsoft.com/beta/$metadata#auditLogs/signIns"}
    (folder / "graph" / "pretty.page.json").write_text(
        json.dumps(
            {**page, "value": [*good, dict(good[0], id="bad", createdDateTime="x")]}, indent=2
        )
    )
    summaries, contents = [], []
    for workers in ("0", "2"):
        db = f"sqlite:///{tmp_path / f'w{workers}.db'}"
        rejects = tmp_path / f"rejects-{workers}.jsonl"
        summary = ingest_json(db, str(folder), "--workers", workers, "--rejects", str(rejects))
        summary.pop("seconds", None)
        summary.pop("records_per_second", None)
        summaries.append(summary)
        contents.append(
            (
                _table_rows(
                    db, "sign_ins", "id, service_principal_id, created_at, ip_address, asn, data"
                ),
                _table_rows(db, "audit_events", "id, activity_at, data"),
                _table_rows(db, "graph_activities", "id, time, data"),
                _table_rows(db, "service_principals", "id, data"),
                sorted(rejects.read_text().splitlines()),
                stats(db),
            )
        )
        again = ingest_json(db, str(folder), "--workers", workers)
        assert again["total"]["stored"] == 0 and again["total"]["duplicate"] > 0
    assert summaries[0] == summaries[1]
    assert contents[0] == contents[1]
    total = summaries[0]["total"]
    assert total["read"] > 60 and total["stored"] > 15 and total["rejected"] == 1, total
