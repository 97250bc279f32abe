"""Rejected records are named where people look: the ingest summary, and `vigil rejects`."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from vigil.cli.main import cli

DATA = Path(__file__).resolve().parents[1] / "data"


def invoke(db: str, *args: str, exit_code: int = 0) -> Result:
    result = CliRunner().invoke(cli, ["--db", db, *args], catch_exceptions=False)
    assert result.exit_code == exit_code, result.output
    return result


def mixed_file(tmp_path: Path) -> tuple[Path, int]:
    """Good sign-ins with seven bad lines between them; the number of good ones."""
    good = (DATA / "graph" / "signins.jsonl").read_text().splitlines()
    bad_time = {**json.loads(good[1]), "id": "bad-time", "createdDateTime": "yesterday"}
    bad = [good[0][:40], "not json", '{"id": 1}', "[1, 2", json.dumps(bad_time), '"text"', "\x01"]
    lines = [good[0], *bad, *good[1:]]
    src = tmp_path / "mixed.jsonl"
    src.write_text("\n".join(lines) + "\n")
    return src, len(good)


def test_the_summary_names_the_first_rejects_with_file_and_line(tmp_path):
    src, good = mixed_file(tmp_path)
    db = f"sqlite:///{tmp_path / 'v.db'}"
    missing = tmp_path / "no-such.json"
    rejects_file = tmp_path / "rejects.jsonl"
    args = ["ingest", "--rejects", str(rejects_file), str(missing), str(src)]
    result = invoke(db, *args)
    written = [json.loads(x) for x in rejects_file.read_text().splitlines()]
    assert len(written) == 8
    lines = result.stderr.splitlines()
    start = lines.index("rejected (first 5 of 8):")
    named = lines[start + 1 : start + 6]
    assert named[0] == f"  {missing}: no such file or directory"
    assert named[1:] == [f"  {src}:{w['line']}: {w['reason']}" for w in written[1:5]]
    assert [w["line"] for w in written[1:5]] == [2, 3, 4, 5]
    assert "`vigil rejects` lists them" in result.stderr

    again = json.loads(invoke(db, "ingest", "--format", "json", str(src)).stdout)
    assert again["total"] == {"read": good + 7, "stored": 0, "duplicate": good, "rejected": 7}
    expected = [{k: w[k] for k in ("source", "line", "kind", "reason")} for w in written[1:6]]
    assert again["firstRejects"] == expected


def test_vigil_rejects_lists_what_the_store_keeps(tmp_path, db_url):
    src, _ = mixed_file(tmp_path)
    other = tmp_path / "other.json"
    other.write_text('{"value": [{"id": "x"}]}')
    db = db_url
    invoke(db, "migrate")
    rejects_file = tmp_path / "rejects.jsonl"
    invoke(db, "ingest", "--rejects", str(rejects_file), str(src), str(other))
    written = [json.loads(x) for x in rejects_file.read_text().splitlines()]
    assert len(written) == 8

    listed = [json.loads(x) for x in invoke(db, "rejects", "--format", "jsonl").stdout.splitlines()]
    assert [{k: v for k, v in r.items() if k != "rejectedAt"} for r in listed] == written
    assert all(r["rejectedAt"].endswith("Z") for r in listed)

    last_two = json.loads(invoke(db, "rejects", "--format", "json", "--limit", "2").stdout)
    assert last_two["count"] == 8
    assert [(r["source"], r["line"]) for r in last_two["value"]] == [
        (w["source"], w["line"]) for w in written[-2:]
    ]
    only_other = json.loads(invoke(db, "rejects", "--format", "json", "--source", "other").stdout)
    assert [r["source"] for r in only_other["value"]] == [str(other)]
    assert only_other["count"] == 1
    by_kind = json.loads(invoke(db, "rejects", "--format", "json", "--kind", "signins").stdout)
    assert by_kind["count"] == sum(w["kind"] == "signins" for w in written) > 0
    assert {r["kind"] for r in by_kind["value"]} == {"signins"}

    table = invoke(db, "rejects", "--limit", "3")
    rows = table.stdout.splitlines()
    assert rows[0].split() == ["source", "line", "kind", "reason"]
    assert len(rows) == 2 + 3
    assert rows[-1].startswith(str(other)) and "3 of 8 shown" in table.stderr

    assert (
        "deleted 1 rejected record(s)"
        in invoke(db, "rejects", "--delete", "--source", "other").stderr
    )
    assert json.loads(invoke(db, "rejects", "--format", "json").stdout)["count"] == 7
    assert json.loads(invoke(db, "rejects", "--delete", "--format", "json").stdout) == {
        "deleted": 7
    }
    assert json.loads(invoke(db, "stats", "--format", "json").stdout)["rejected"] == 0
    invoke(db, "ingest", str(other), exit_code=1)  # still bad: kept again
    assert json.loads(invoke(db, "rejects", "--format", "json").stdout)["count"] == 1


def test_no_rejects(db_url):
    db = db_url
    invoke(db, "migrate")
    assert json.loads(invoke(db, "rejects", "--format", "json").stdout) == {"value": [], "count": 0}
    assert invoke(db, "rejects", "--format", "jsonl").stdout == ""
