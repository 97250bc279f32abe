"""Benchmark: the Graph activity fast path against the generic path, on the same rows.

Prints figures; asserts nothing but that both paths give the same rows.

    .venv/bin/python bench/graph_activity.py                   # the bench/detect.py tenant's rows
    .venv/bin/python bench/graph_activity.py --rows 50000

``MicrosoftGraphActivityLogs`` rows of a simulated tenant (``vigil simulate``, written once under
--workdir as bench/detect.py does) are parsed in this process, in the three forms Vigil reads
them most: Log Analytics rows as JSON Lines, the storage archive's diagnostic-settings records
as JSON Lines, and one JSON array of rows (read as spans). Each form is parsed with the fast path
(``vigil.normalize.graph_activity_wire``) and with it switched off, alternately, three times;
the fastest CPU time of each is printed per row, with their ratio. This is the parse a worker
process does (normalize, build the row, compress the raw records); ``vigil ingest`` adds the
hand-off and SQLite (end-to-end figures: the README).
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from pathlib import Path
from typing import Any

import orjson

DEFAULT_WORKDIR = Path(os.environ.get("TMPDIR", "/tmp")) / "vigil-bench-detect"


def rows_of(workdir: Path, seed: int, sps: int, days: int, count: int) -> list[dict[str, Any]]:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from detect import simulate

    tenant = simulate(workdir, seed, sps, days)
    rows: list[dict[str, Any]] = []
    for path in sorted((tenant / "graph").iterdir()):
        for line in path.read_bytes().splitlines():
            if line.strip():
                rows.append(orjson.loads(line))
                if len(rows) >= count:
                    return rows
    return rows


def as_record(row: dict[str, Any]) -> dict[str, Any]:
    """A Log Analytics row as the diagnostic-settings archive writes the same request."""
    skip = ("Type", "TenantId", "SourceSystem")
    props = {k[0].lower() + k[1:]: v for k, v in row.items() if k not in skip}
    props["ipAddress"] = props.pop("iPAddress", None)
    props["tenantId"] = props.pop("aadTenantId", None)
    props["atContent"] = props.pop("aTContent", None)
    return {
        "time": row["TimeGenerated"], "resourceId": "/TENANTS/X/PROVIDERS/MICROSOFT.AADIAM",
        "operationName": "Microsoft Graph Activity", "operationVersion": "v1.0",
        "category": "MicrosoftGraphActivityLogs", "tenantId": row.get("AadTenantId"),
        "correlationId": row.get("RequestId"), "Level": 4, "properties": props,
    }  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--sps", type=int, default=500)
    ap.add_argument("--days", type=int, default=45)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)

    from vigil.enrich import Enricher, GeoIP, HostingClassifier
    from vigil.ingest import parse
    from vigil.ingest.readers import read_stream

    rows = rows_of(args.workdir, args.seed, args.sps, args.days, args.rows)
    enricher = Enricher(GeoIP(), HostingClassifier())
    forms = {
        "Log Analytics rows, JSON Lines": b"\n".join(orjson.dumps(r) for r in rows) + b"\n",
        "archive records, JSON Lines": b"\n".join(orjson.dumps(as_record(r)) for r in rows) + b"\n",
        "one JSON array of rows": orjson.dumps(rows),
    }
    fast_path = parse.activity_from_line

    def run(name: str, data: bytes, fast: bool) -> tuple[float, list[Any]]:
        parse.activity_from_line = fast_path if fast else (lambda line, *, checked=False: None)
        try:
            started = time.process_time()
            if name.startswith("one JSON array"):
                items = list(read_stream(io.BytesIO(data), "rows.json", 1 << 30, True))
                out = parse.parse_items(
                    items, kind=None, received_at="2026-01-01T00:00:00Z", enricher=enricher,
                    keep_models=False,
                )  # fmt: skip
            else:
                out = parse.parse_jsonl(
                    data, source="rows.jsonl", first_line=0, kind=None,
                    received_at="2026-01-01T00:00:00Z", enricher=enricher, max_line=1 << 24,
                )  # fmt: skip
            return time.process_time() - started, out.graph_rows
        finally:
            parse.activity_from_line = fast_path

    print(
        f"{len(rows):,} MicrosoftGraphActivityLogs rows of {args.workdir} (CPU time, the "
        "fastest of 3 alternating runs)"
    )
    for name, data in forms.items():
        best = {True: float("inf"), False: float("inf")}
        for _ in range(3):
            for fast in (False, True):
                seconds, out = run(name, data, fast)
                best[fast] = min(best[fast], seconds)
                assert len(out) == len(rows), (name, fast, len(out))
        same = run(name, data, True)[1] == run(name, data, False)[1]
        n = len(rows)
        print(
            f"  {name:32s} generic {best[False] / n * 1e6:6.2f} us/row   fast "
            f"{best[True] / n * 1e6:6.2f} us/row   {best[False] / best[True]:4.2f}x   "
            f"same rows: {same}"
        )


if __name__ == "__main__":
    main()
