"""`vigil ingest` of PowerShell exports: every container stores what the Graph JSON stores."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from tests.ingest.test_pipeline import ingest_json
from tests.powershell_export import dumps, graph_items, ms_precision, to_powershell

from vigil.store.database import normalize_url
from vigil.store.tables import (
    applications,
    audit_events,
    audit_targets,
    service_principals,
    sign_ins,
)

GRAPH_PAGES = (
    "graph/signins_sp.page.json",
    "graph/signins_mi.page.json",
    "graph/directory_audits.page.json",
    "graph/service_principals.page.json",
    "graph/applications.page.json",
)
#: Columns that say where or when a record was stored, not what it holds.
_BOOKKEEPING = {"pk", "raw", "raw_block", "raw_line", "updated_at"}


def _records(style: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(Graph records, what PowerShell writes for them); 5.1's Graph side cut to milliseconds."""
    graph = [item for page in GRAPH_PAGES for item in graph_items(page)]
    if style == "ps51":
        graph = ms_precision(graph)
    return graph, [to_powershell(item, style) for item in graph]


def _stored(db: str) -> dict[str, set[tuple[Any, ...]]]:
    engine = sa.create_engine(normalize_url(db))
    out: dict[str, set[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for table in (sign_ins, audit_events, service_principals, applications):
            columns = [c for c in table.c if c.name not in _BOOKKEEPING]
            out[table.name] = {_row(row) for row in conn.execute(sa.select(*columns))}
        targets = sa.select(
            audit_events.c.id,
            audit_targets.c.target_id,
            audit_targets.c.target_type,
            audit_targets.c.activity_at,
        ).join(audit_events, audit_events.c.pk == audit_targets.c.audit_pk)
        out["audit_targets"] = {tuple(row) for row in conn.execute(targets)}
    engine.dispose()
    return out


def _row(row: Any) -> tuple[Any, ...]:
    """A stored row, its JSON documents as canonical text (so rows can be compared as sets)."""
    return tuple(json.dumps(v, sort_keys=True) if isinstance(v, (dict, list)) else v for v in row)


def _graph_store(tmp_path: Path, graph: list[dict[str, Any]]) -> dict[str, set[tuple[Any, ...]]]:
    path = tmp_path / "graph.json"
    path.write_text(json.dumps(graph))
    db = f"sqlite:///{tmp_path / 'graph.db'}"
    assert ingest_json(db, str(path))["total"]["rejected"] == 0
    return _stored(db)


def _write(folder: Path, container: str, records: list[dict[str, Any]]) -> None:
    """The files ``ConvertTo-Json`` gives for ``records``, in one of its containers."""
    folder.mkdir()
    if container == "array":  # Get-Mg... -All | ConvertTo-Json -Depth 10 > x.json (PowerShell 7)
        (folder / "all.json").write_text(dumps(records, "ps7"))
    elif container == "objects":  # one object per file: ConvertTo-Json of a single object
        for i, record in enumerate(records):
            (folder / f"{i:03}.json").write_text(json.dumps(record, indent=2))
    elif container == "compress-lines":  # ForEach-Object { $_ | ConvertTo-Json -Compress }
        lines = (json.dumps(r, separators=(",", ":"), ensure_ascii=False) for r in records)
        (folder / "all.jsonl").write_text("\n".join(lines) + "\n")
    elif container == "compress-array":  # ConvertTo-Json -Compress of the whole collection
        (folder / "all.json").write_text(json.dumps(records, separators=(",", ":")))
    elif container == "utf16":  # Windows PowerShell 5.1: ConvertTo-Json ... > x.json
        text = dumps(records, "ps51").replace("\n", "\r\n")
        (folder / "all.json").write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))


@pytest.mark.parametrize(
    ("container", "style"),
    [
        ("array", "ps7"),
        ("objects", "ps7"),
        ("compress-lines", "ps7"),
        ("compress-array", "ps7"),
        ("compress-lines", "ps51"),
        ("utf16", "ps51"),
    ],
)
@pytest.mark.parametrize("workers", [None, "0"])
def test_every_container_stores_what_the_graph_json_stores(
    tmp_path: Path, container: str, style: str, workers: str | None
) -> None:
    graph, powershell = _records(style)
    want = _graph_store(tmp_path, graph)
    assert all(want.values()), want
    _write(tmp_path / "ps", container, powershell)
    db = f"sqlite:///{tmp_path / 'ps.db'}"
    args = ["--kind", "auto"] if workers is None else ["--workers", workers]
    summary = ingest_json(db, *args, str(tmp_path / "ps"))
    assert summary["total"]["rejected"] == 0, summary
    assert summary["total"]["stored"] == len(graph)
    got = _stored(db)
    for table in want:
        assert got[table] == want[table], table


def test_bad_powershell_records_are_rejected_naming_the_field(tmp_path: Path) -> None:
    _, powershell = _records("ps7")
    good = powershell[0]
    bad = [
        {**good, "Id": "bad-1", "Status": {"ErrorCode": "x", "AdditionalProperties": {}}},
        {**good, "Id": "bad-2", "Location": "Microsoft.Graph.Beta.PowerShell.Models.X"},
    ]
    path = tmp_path / "signins.json"
    path.write_text(dumps([good, *bad], "ps7"))
    rejects = tmp_path / "rejects.jsonl"
    db = f"sqlite:///{tmp_path / 'v.db'}"
    summary = ingest_json(db, "--rejects", str(rejects), str(path))
    assert summary["kinds"]["signins"]["stored"] == 1
    reasons = [json.loads(line)["reason"] for line in rejects.read_text().splitlines()]
    assert len(reasons) == 2
    assert reasons[0].startswith("Status.ErrorCode: ")
    assert reasons[1].startswith("Location: expected an object")
    assert "-Depth" in reasons[1]
