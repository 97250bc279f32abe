"""Benchmark: the web console's server time with 100,000 service principals in SQLite.

Prints p50 / p99 per request a console page makes (the HTML and assets, and each JSON endpoint the
page calls), measured from a client on loopback with a keep-alive connection to `vigil serve`
running in a process of its own. Asserts nothing. Target (issue 8): every page under 300 ms.

    .venv/bin/python bench/console.py                       # 100,000 SPs, 50 requests per endpoint
    .venv/bin/python bench/console.py --sps 20000 --requests 20

The database is built once with bulk inserts (inventory through the store; risk rows with the
store's own row builders) and kept at --db: 100,000 inventoried and risky principals, 130,000
detections of five types over the last 30 days, and one busy principal with 5,000 sign-ins and
200 audit events.
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import sys
import time
import urllib.parse
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.server import free_port, serve, wait_healthy

DEFAULT_DB = Path(os.environ.get("TMPDIR", "/tmp")) / "vigil-bench-console.db"
HOT = str(uuid.UUID(int=7))
TYPES = (
    "suspiciousSignins",
    "leakedCredentials",
    "anomalousServicePrincipalActivity",
    "investigationsThreatIntelligence",
    "suspiciousAPITraffic",
)


def build_db(path: Path, count: int, now: datetime) -> None:
    from vigil.model import (
        AuditEvent,
        AuditTarget,
        ClientCredentialType,
        Initiator,
        PasswordCredential,
        RiskDetail,
        RiskDetection,
        RiskHistoryItem,
        RiskLevel,
        RiskState,
        RiskyServicePrincipal,
        ServicePrincipal,
        ServicePrincipalType,
        SignIn,
        SignInKind,
        detection_id,
    )
    from vigil.store import Store
    from vigil.store.codec import to_doc
    from vigil.store.risk import _detection_row, _risky_row
    from vigil.store.tables import risk_detections, risk_history, risky_service_principals

    store = Store.open(f"sqlite:///{path}", migrate=True)
    if store.risk.count_risky() >= count:
        store.close()
        return
    print(f"building {path} with {count} service principals ...", file=sys.stderr)
    started = time.perf_counter()
    levels = (RiskLevel.low, RiskLevel.medium, RiskLevel.high)
    key = "5e0c5c5a-1d51-4e0e-9d5c-000000000001"
    batch = 10_000
    for lo in range(0, count, batch):
        sps, risky, detections, history = [], [], [], []
        for n in range(lo, min(count, lo + batch)):
            sp_id = str(uuid.UUID(int=n + 1))
            name = f"Bench app {n:06d}"
            kind = ServicePrincipalType.ManagedIdentity if n % 10 == 0 else None
            sps.append(
                ServicePrincipal(
                    id=sp_id,
                    app_id=str(uuid.UUID(int=10**9 + n)),
                    display_name=name,
                    service_principal_type=kind or ServicePrincipalType.Application,
                    password_credentials=(PasswordCredential(key, "secret", "Ab1"),)
                    if n + 1 == 7
                    else (),
                )
            )
            updated = now - timedelta(minutes=n % 43_200)
            p = RiskyServicePrincipal(
                id=sp_id,
                display_name=name,
                app_id=sps[-1].app_id,
                service_principal_type=sps[-1].service_principal_type.value,
                is_enabled=True,
                risk_level=levels[n % 3],
                risk_state=RiskState.atRisk,
                risk_detail=RiskDetail.none,
                risk_last_updated_date_time=updated,
            )
            risky.append(_risky_row(p, 1))
            for k in range(1 + (n % 10 == 0) * 3):
                kind_ = TYPES[(n + k) % len(TYPES)]
                at = now - timedelta(days=(n + k) % 30, minutes=n % 1440)
                detections.append(
                    _detection_row(
                        RiskDetection(
                            id=detection_id(kind_, sp_id, f"bench{k}"),
                            service_principal_id=sp_id,
                            risk_event_type=kind_,
                            risk_level=levels[(n + k) % 3],
                            risk_state=RiskState.atRisk,
                            activity_date_time=at,
                            detected_date_time=at,
                            last_updated_date_time=at,
                            app_id=sps[-1].app_id,
                            service_principal_display_name=name,
                            ip_address="20.1.2.3",
                        )
                    )
                )
            h = RiskHistoryItem(
                id=str(uuid.UUID(int=2 * 10**9 + n)),
                sequence=1,
                principal=p,
                initiated_by=None,
                activity_detail=p.risk_detail,
                activity_risk_event_types=(TYPES[n % len(TYPES)],),
            )
            history.append(
                {
                    "id": h.id,
                    "service_principal_id": sp_id,
                    "sequence": 1,
                    "recorded_at": updated,
                    "initiated_by": None,
                    "activity_detail": h.activity_detail.value,
                    "activity_risk_event_types": list(h.activity_risk_event_types),
                    "principal": to_doc(p),
                }
            )
        store.inventory.upsert_service_principals([(sp, None) for sp in sps], now)
        with store.engine.begin() as conn:
            conn.execute(risky_service_principals.insert(), risky)
            conn.execute(risk_detections.insert(), detections)
            conn.execute(risk_history.insert(), history)
    sign_ins = [
        (
            SignIn(
                id=f"bench-signin-{i}",
                created_date_time=now - timedelta(minutes=10 * i),
                kind=SignInKind.servicePrincipal,
                service_principal_id=HOT,
                ip_address=f"10.0.{i % 200}.{i % 250}",
                client_credential_type=ClientCredentialType.clientSecret,
                credential_key_id=key,
            ),
            None,
        )
        for i in range(5000)
    ]
    store.activity.add_sign_ins(sign_ins)
    audits = [
        (
            AuditEvent(
                id=f"bench-audit-{i}",
                activity_date_time=now - timedelta(hours=i),
                activity_display_name="Update application",
                initiated_by=Initiator("app", service_principal_id=HOT, display_name="hot"),
                targets=(AuditTarget(str(uuid.UUID(int=100 + i)), "Application", "x"),),
            ),
            None,
        )
        for i in range(200)
    ]
    store.activity.add_audit_events(audits)
    print(f"built in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    store.close()


def add_token(path: Path) -> str:
    from vigil.auth import ApiToken, Role, new_token, token_hash, token_hint
    from vigil.store import Store

    store = Store.open(f"sqlite:///{path}")
    secret = new_token()
    record = ApiToken(
        str(uuid.uuid4()),
        "bench",
        Role.security_administrator,
        token_hint(secret),
        datetime.now(UTC),
    )
    store.tokens.add(record, token_hash(secret))
    store.close()
    return secret


def cpu_ms(pid: int) -> float:
    """User + system CPU time of process ``pid`` in ms (Linux ``/proc``; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def endpoints(detection: str) -> list[tuple[str, str]]:
    q = urllib.parse.quote
    return [
        ("page: /", "/"),
        ("asset: console.js", "/console/static/console.js"),
        ("asset: console.css", "/console/static/console.css"),
        ("login: /console/api/me", "/console/api/me"),
        ("overview", "/console/api/overview"),
        ("risky: default page", "/console/api/risky"),
        ("risky: level=high", "/console/api/risky?level=high"),
        (
            "risky: state+type, sort name",
            "/console/api/risky?state=atRisk&type=ManagedIdentity&sort=displayName&dir=asc",
        ),
        ("risky: date range", "/console/api/risky?from=2026-01-01&to=2026-12-31&level=medium"),
        ("risky: search 'app 0123'", f"/console/api/risky?q={q('app 0123')}"),
        ("risky: page 1000 of 50", "/console/api/risky?page=1000&size=50"),
        ("risky: sort by type", "/console/api/risky?sort=servicePrincipalType"),
        ("risky: sort by enabled, 200 rows", "/console/api/risky?sort=isEnabled&size=200"),
        ("risky: sort by level, asc", "/console/api/risky?sort=riskLevel&dir=asc"),
        ("risky: CSV of a search", f"/console/api/risky?q={q('app 01234')}&format=csv"),
        ("detections: default page", "/console/api/detections"),
        ("detections: type+level", "/console/api/detections?type=leakedCredentials&level=high"),
        (
            "detections: sort by detected, asc",
            "/console/api/detections?sort=detectedDateTime&dir=asc",
        ),
        ("detection detail", f"/console/api/detections/{detection}"),
        ("detail: busy SP (5k sign-ins)", f"/console/api/service-principals/{HOT}"),
        ("detail: plain SP", f"/console/api/service-principals/{uuid.UUID(int=54321)}"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--sps", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=50, help="requests per endpoint")
    args = parser.parse_args()
    now = datetime.now(UTC)
    build_db(args.db, args.sps, now)
    token = add_token(args.db)
    from vigil.model import detection_id

    detection = detection_id(TYPES[(54321 - 1) % len(TYPES)], str(uuid.UUID(int=54321)), "bench0")
    port = free_port()
    server = serve(args.db, port)
    try:
        wait_healthy(f"http://127.0.0.1:{port}")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Authorization": f"Bearer {token}"}
        print(
            f"{args.sps} service principals, {args.requests} sequential requests per endpoint "
            "(keep-alive, loopback; wall times include the client's read of the whole body; "
            "cpu ms = the server process's CPU time per request); "
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
        )
        print(
            f"{'request':<36} {'status':>6} {'bytes':>9} {'p50 ms':>8} {'p99 ms':>8} "
            f"{'max ms':>8} {'cpu ms':>8}"
        )
        worst = 0.0
        for name, path in endpoints(detection):
            times = []
            status = size = 0
            cpu = 0.0
            for i in range(args.requests + 2):
                if i == 2:
                    cpu = cpu_ms(server.pid)
                started = time.perf_counter()
                conn.request("GET", path, headers=headers)
                resp = conn.getresponse()
                body = resp.read()
                elapsed = (time.perf_counter() - started) * 1000
                status, size = resp.status, len(body)
                if i >= 2:  # two warm-up requests
                    times.append(elapsed)
            cpu = (cpu_ms(server.pid) - cpu) / args.requests
            times.sort()
            p50 = statistics.median(times)
            p99 = times[min(len(times) - 1, round(0.99 * (len(times) - 1)))]
            worst = max(worst, p99)
            print(
                f"{name:<36} {status:>6} {size:>9} {p50:>8.1f} {p99:>8.1f} {times[-1]:>8.1f} "
                f"{cpu:>8.1f}"
            )
        print(f"worst p99: {worst:.1f} ms (target: < 300 ms)")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
