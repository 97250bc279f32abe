"""Benchmark: list riskyServicePrincipals with 100,000 principals in SQLite, over loopback HTTP.

Prints figures; asserts nothing. The server (`vigil serve`) and the load generator each run in a
process of their own; the load is a closed loop of keep-alive HTTP/1.1 connections written on raw
asyncio streams (light enough to leave the server most of the CPU on a 2-core machine).

    .venv/bin/python bench/api.py                      # 100,000 SPs, $top=100, riskLevel eq 'high'
    .venv/bin/python bench/api.py --sps 20000 --duration 5 --concurrency 4

The database is built once (through RiskService, about 3 minutes for 100,000) and kept at --db for
later runs. Target (issue 7): p99 <= 50 ms and >= 500 requests/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.server import free_port, serve, wait_healthy

DEFAULT_DB = Path(os.environ.get("TMPDIR", "/tmp")) / "vigil-bench-api.db"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def build_db(path: Path, count: int) -> str:
    """A migrated SQLite DB with ``count`` risky principals and a reader token; returns the token."""
    from vigil.auth import ApiToken, Role, new_token, token_hash, token_hint
    from vigil.model import RiskDetection, RiskEventType, RiskLevel, RiskState, detection_id
    from vigil.services.risk import RiskService
    from vigil.store import Store

    store = Store.open(f"sqlite:///{path}", migrate=True)
    risk = RiskService(store, lambda: T0 + timedelta(days=1))
    have = store.risk.count_risky()
    if have < count:
        print(f"building {path}: {count - have} risky service principals ...", file=sys.stderr)
        started = time.perf_counter()
        levels = (RiskLevel.low, RiskLevel.medium, RiskLevel.high)
        for n in range(have, count):
            sp = str(uuid.UUID(int=n + 1))
            kind = RiskEventType.suspiciousSignins
            at = T0 + timedelta(seconds=n)
            risk.record_detection(
                RiskDetection(
                    id=detection_id(kind, sp, "bench"),
                    service_principal_id=sp,
                    risk_event_type=kind,
                    risk_level=levels[n % 3],
                    risk_state=RiskState.atRisk,
                    activity_date_time=at,
                    detected_date_time=at,
                    last_updated_date_time=at,
                    app_id=str(uuid.UUID(int=10**9 + n)),
                    service_principal_display_name=f"Bench app {n:06d}",
                )
            )
        print(f"built in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    secret = new_token()
    record = ApiToken(str(uuid.uuid4()), "bench", Role.security_reader, token_hint(secret), T0)
    store.tokens.add(record, token_hash(secret))
    store.close()
    return secret


def cpu_seconds(root: int) -> float:
    """User + system CPU time of ``root`` and its descendants (Linux ``/proc``; 0 elsewhere)."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    stats: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = entry.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(entry.parent.name)] = (
            int(fields[1]),
            (int(fields[11]) + int(fields[12])) / ticks,
        )
    tree, total, grew = {root}, 0.0, True
    while grew:
        grew = False
        for pid, (ppid, _) in stats.items():
            if ppid in tree and pid not in tree:
                tree.add(pid)
                grew = True
    for pid in tree:
        total += stats.get(pid, (0, 0.0))[1]
    return total


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


# -- load generator (runs in its own process: `bench/api.py --load ...`) ----------------------------


async def _client(
    host: str, port: int, request: bytes, stop: float, out: list[float], errors: list[int]
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < stop:
            began = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            out.append(time.perf_counter() - began)
            if status != 200:
                errors.append(status)
    finally:
        writer.close()


async def _load(
    url: str, token: str, duration: float, concurrency: int, warmup: float
) -> dict[str, float]:
    parts = urllib.parse.urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    target = parts.path + ("?" + parts.query if parts.query else "")
    request = (
        f"GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
        "Accept: application/json\r\n\r\n"
    ).encode()
    scratch: list[float] = []
    await asyncio.gather(
        *(
            _client(host, port, request, time.perf_counter() + warmup, scratch, [])
            for _ in range(concurrency)
        )
    )
    latencies: list[float] = []
    errors: list[int] = []
    began = time.perf_counter()
    await asyncio.gather(
        *(
            _client(host, port, request, began + duration, latencies, errors)
            for _ in range(concurrency)
        )
    )
    elapsed = time.perf_counter() - began
    q = statistics.quantiles(latencies, n=100, method="inclusive")
    return {
        "requests": len(latencies),
        "errors": len(errors),
        "seconds": elapsed,
        "rps": len(latencies) / elapsed,
        "p50_ms": q[49] * 1000,
        "p90_ms": q[89] * 1000,
        "p99_ms": q[98] * 1000,
        "max_ms": max(latencies) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--sps", type=int, default=100_000)
    parser.add_argument("--top", type=int, default=100)
    parser.add_argument("--filter", default="riskLevel eq 'high'")
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--workers", type=int, default=2, help="server processes (vigil serve --workers)"
    )
    parser.add_argument("--load", nargs=2, metavar=("URL", "TOKEN"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.load:
        result = asyncio.run(
            _load(args.load[0], args.load[1], args.duration, args.concurrency, args.warmup)
        )
        print(json.dumps(result))
        return

    token = build_db(args.db, args.sps)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = serve(args.db, port, "--workers", str(args.workers))
    try:
        wait_healthy(base)
        query = urllib.parse.urlencode(
            {"$top": args.top, "$filter": args.filter}, quote_via=urllib.parse.quote, safe="$"
        )
        url = f"{base}/v1.0/identityProtection/riskyServicePrincipals?{query}"
        with urllib.request.urlopen(
            urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
        ) as r:
            page = json.load(r)
        cpu_before, load_before = cpu_seconds(server.pid), load_average()
        load = subprocess.run(
            [
                sys.executable,
                __file__,
                "--load",
                url,
                token,
                "--duration",
                str(args.duration),
                "--warmup",
                str(args.warmup),
                "--concurrency",
                str(args.concurrency),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        result = json.loads(load.stdout)
        cpu = cpu_seconds(server.pid) - cpu_before
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(
        f"GET /v1.0/identityProtection/riskyServicePrincipals?$top={args.top}&$filter={args.filter}"
    )
    print(
        f"  {args.sps} risky SPs in SQLite; {len(page['value'])} items per page; "
        f"{args.concurrency} keep-alive connections from a separate process, {args.duration:.0f} s; "
        f"{args.workers} server process(es)"
    )
    print(
        f"  requests {result['requests']}  errors {result['errors']}  "
        f"throughput {result['rps']:.0f} req/s"
    )
    print(
        f"  latency p50 {result['p50_ms']:.1f} ms  p90 {result['p90_ms']:.1f} ms  "
        f"p99 {result['p99_ms']:.1f} ms  max {result['max_ms']:.1f} ms"
    )
    # The load run includes the warm-up; CPU per request is robust to other load on the machine.
    served = result["requests"] * (args.duration + args.warmup) / args.duration
    per_request = cpu / served * 1000 if served else float("nan")
    print(
        f"  server CPU {per_request:.2f} ms per request (capacity ~{1000 / per_request:.0f} req/s "
        f"per core); load average before: {load_before}, after: {load_average()}"
    )
    ok = result["p99_ms"] <= 50 and result["rps"] >= 500 and result["errors"] == 0
    print(f"  target p99 <= 50 ms and >= 500 req/s: {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
