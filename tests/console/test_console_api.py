"""The console's JSON endpoints, page and assets over real HTTP (no browser)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from tests.console.console_support import (
    CERT_KEY,
    EVIL_SIGN_IN,
    MI,
    PARTNER,
    PAYROLL,
    SECRET_KEY,
    Console,
    _detection,
)

from vigil.auth import Role
from vigil.console import routes
from vigil.console.listing import DETECTIONS_TABLE, RISKY_TABLE, parse
from vigil.model import RiskEventType, RiskLevel


def client(console: Console, role: Role | None = Role.security_reader) -> httpx.Client:
    headers = {} if role is None else {"Authorization": f"Bearer {console.tokens[role]}"}
    return httpx.Client(base_url=console.base, headers=headers, timeout=30)


def test_page_and_assets_need_no_token_and_allow_only_this_origin(console_db: Console) -> None:
    with client(console_db, None) as c:
        page = c.get("/")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        csp = page.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp
        assert "http" not in page.text.replace('content="width', "")  # no absolute URLs at all
        js = c.get("/console/static/console.js")
        assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
        urls = js.text.replace('"http://www.w3.org/2000/svg"', "")  # the SVG namespace name
        assert "http://" not in urls and "https://" not in urls
        assert c.get("/console/static/../server.py").status_code == 404
        assert c.get("/console/static/missing.js").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/console/api/me",
        "/console/api/risky",
        "/console/api/detections",
        "/console/api/overview",
        f"/console/api/service-principals/{PAYROLL}",
    ],
)
def test_every_console_endpoint_needs_a_token(console_db: Console, path: str) -> None:
    with client(console_db, None) as c:
        r = c.get(path)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "unauthenticated"


def test_me_tells_the_page_what_to_offer(console_db: Console) -> None:
    expected = {
        Role.security_reader: (False, False),
        Role.global_reader: (False, False),
        Role.security_operator: (True, False),
        Role.security_administrator: (True, True),
    }
    for role, (act, disable) in expected.items():
        with client(console_db, role) as c:
            me = c.get("/console/api/me").json()
        assert me["roles"] == [role.value]
        assert (me["can"]["act"], me["can"]["disable"]) == (act, disable)


def test_risky_filters_sort_and_paging(console_db: Console) -> None:
    with client(console_db) as c:
        everything = c.get("/console/api/risky").json()
        assert everything["total"] == 33 and len(everything["value"]) == 33
        high = c.get("/console/api/risky", params={"level": "high", "size": 5}).json()
        assert high["total"] == 12 and len(high["value"]) == 5
        assert high["graphFilter"] == "riskLevel eq 'high'"
        assert {r["riskLevel"] for r in high["value"]} == {"high"}
        page3 = c.get("/console/api/risky", params={"level": "high", "size": 5, "page": 3}).json()
        assert len(page3["value"]) == 2
        mi = c.get("/console/api/risky", params={"type": "ManagedIdentity"}).json()
        assert [r["id"] for r in mi["value"]] == [MI]
        search = c.get("/console/api/risky", params={"q": "PARTNER con"}).json()
        assert [r["id"] for r in search["value"]] == [PARTNER]
        by_app = c.get("/console/api/risky", params={"q": "app-payroll"}).json()
        assert [r["id"] for r in by_app["value"]] == [PAYROLL]
        names = c.get("/console/api/risky", params={"sort": "displayName", "dir": "asc"}).json()
        shown = [r["displayName"] for r in names["value"]]
        assert shown == sorted(shown)
        empty = c.get("/console/api/risky", params={"from": "2026-02-01"}).json()
        assert empty["total"] == 0
        assert c.get("/console/api/risky", params={"level": "severe"}).status_code == 400
        assert c.get("/console/api/risky", params={"from": "yesterday"}).status_code == 400
        assert c.get("/console/api/risky", params={"size": "0"}).status_code == 400
        assert c.get("/console/api/risky", params={"q": "%"}).json()["total"] == 0


@pytest.mark.parametrize(
    ("path", "sort", "default"),
    [
        ("/console/api/risky", "riskLevel", "desc"),
        ("/console/api/risky", "riskLastUpdatedDateTime", "desc"),
        ("/console/api/risky", "displayName", "asc"),
        ("/console/api/risky", "riskState", "asc"),
        ("/console/api/detections", "detectedDateTime", "desc"),
    ],
)
def test_sort_without_dir_takes_the_columns_default_direction(
    console_db: Console, path: str, sort: str, default: str
) -> None:
    """A hand-typed ``?sort=riskLevel`` (no ``dir``) sorts as the header's first click does and
    says so; before, every column fell back to descending while the header showed ascending."""
    with client(console_db) as c:
        bare = c.get(path, params={"sort": sort}).json()
        explicit = c.get(path, params={"sort": sort, "dir": default}).json()
    assert [r["id"] for r in bare["value"]] == [r["id"] for r in explicit["value"]]
    assert bare["graphOrderBy"] == f"{sort} {default}"
    assert (bare["sort"], bare["dir"]) == (sort, default)
    assert bare["sortDirections"][sort] == default


def test_sort_directions_of_the_tables() -> None:
    """Risk level highest first and times newest first; the default sort is one of those."""
    for spec in (RISKY_TABLE, DETECTIONS_TABLE):
        bare = parse(spec, {})
        assert (bare.sort, bare.direction) == (spec.default_sort, "desc")
    risky = parse(RISKY_TABLE, {"sort": "riskLevel"})
    assert risky.directions == {
        "displayName": "asc",
        "appId": "asc",
        "servicePrincipalType": "asc",
        "riskState": "asc",
        "riskLevel": "desc",
        "riskLastUpdatedDateTime": "desc",
        "isEnabled": "asc",
    }
    assert parse(RISKY_TABLE, {"sort": "riskLevel", "dir": "ASC"}).graph_orderby == "riskLevel asc"
    assert parse(RISKY_TABLE, {"dir": "asc"}).graph_orderby == "riskLastUpdatedDateTime asc"


def test_search_folds_non_ascii_letters(console_db: Console) -> None:
    """SQLite's lower() folds ASCII only: 'Évil' and 'évil' found nothing for 'Évil Ünicode App'."""
    app = console_db.app
    app.risk.record_detection(
        _detection(
            "cccccccc-0000-4000-8000-000000000001",
            "Évil Ünicode App",
            RiskEventType.leakedCredentials,
            RiskLevel.high,
            app.clock() - timedelta(hours=1),
            app_id="app-evil",
        )
    )
    with client(console_db) as c:
        for q in ("Évil", "évil", "ÉVIL ü", "vil ünicode"):
            found = c.get("/console/api/risky", params={"q": q}).json()
            assert [r["displayName"] for r in found["value"]] == ["Évil Ünicode App"], q
            found = c.get("/console/api/detections", params={"q": q}).json()
            assert found["total"] == 1, q


def test_csv_is_the_apis_csv_of_the_current_view(console_db: Console) -> None:
    with client(console_db) as c:
        mine = c.get("/console/api/risky", params={"level": "high", "format": "csv"})
        graph = c.get(
            "/v1.0/identityProtection/riskyServicePrincipals",
            params={
                "$filter": "riskLevel eq 'high'",
                "$format": "csv",
                "$orderby": "riskLastUpdatedDateTime desc",
            },
        )
    assert mine.status_code == 200 and mine.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(mine.text)))
    assert len(rows) == 12 and {r["riskLevel"] for r in rows} == {"high"}
    assert mine.text == graph.text  # same columns, escaping and order


def test_detections_filters_and_detail(console_db: Console) -> None:
    with client(console_db) as c:
        leaked = c.get("/console/api/detections", params={"type": "leakedCredentials"}).json()
        assert leaked["total"] == 9
        times = [d["activityDateTime"] for d in leaked["value"]]
        assert times == sorted(times, reverse=True)
        one = next(d for d in leaked["value"] if d["servicePrincipalId"] == PARTNER)
        detail = c.get(f"/console/api/detections/{one['id']}").json()
        facts = {f["key"]: f for f in detail["explanation"]["facts"]}
        assert facts["location"]["label"] == "Where it was found"
        assert facts["location"]["value"]["path"] == "deploy/.env"
        assert "exposed" in detail["explanation"]["description"]
        rows = list(
            csv.DictReader(
                io.StringIO(
                    c.get("/console/api/detections", params={"sp": PAYROLL, "format": "csv"}).text
                )
            )
        )
        assert [r["requestId"] for r in rows] == [EVIL_SIGN_IN]
        assert c.get("/console/api/detections/nope").status_code == 404


def test_service_principal_detail(console_db: Console) -> None:
    with client(console_db) as c:
        doc = c.get(f"/console/api/service-principals/{PAYROLL}").json()
        kinds = {
            sp: c.get(f"/console/api/service-principals/{sp}").json()["principal"]["kind"]
            for sp in (PAYROLL, PARTNER, MI)
        }
        assert c.get("/console/api/service-principals/unknown-sp").status_code == 404
    assert kinds == {PAYROLL: "singleTenant", PARTNER: "multiTenant", MI: "managedIdentity"}
    assert doc["risk"]["riskLevel"] == "high"
    assert [h["activity"]["riskEventTypes"] for h in doc["history"]] == [["suspiciousSignins"]]
    [detection] = doc["detections"]
    assert detection["explanation"]["facts"][0]["value"][0].startswith("country NG")
    marked = {s["id"]: s["suspicious"] for s in doc["signIns"]}
    assert len(marked) == 9
    assert marked[EVIL_SIGN_IN]["detectionId"] == detection["id"]
    assert [i for i, why in marked.items() if why] == [EVIL_SIGN_IN]
    creds = {c["keyId"]: c for c in doc["credentials"]}
    assert creds[SECRET_KEY]["hint"] == "Xy7" and not creds[SECRET_KEY]["expired"]
    assert creds[SECRET_KEY]["lastUsedDateTime"] == "2026-01-01T07:00:00Z"
    assert creds[CERT_KEY]["expired"] and creds[CERT_KEY]["lastUsedDateTime"] is None
    assert [a["id"] for a in doc["auditsBy"]] == ["audit-0001"]
    assert [a["id"] for a in doc["auditsOn"]] == ["audit-0002"]


def test_overview_counts(console_db: Console) -> None:
    with client(console_db) as c:
        doc = c.get("/console/api/overview").json()
    assert doc["riskyServicePrincipals"]["byLevel"] == {"high": 12, "medium": 11, "low": 10}
    assert doc["riskyServicePrincipals"]["byState"] == {"atRisk": 33}
    assert doc["detections"]["byType"] == {
        "anomalousServicePrincipalActivity": 7,
        "investigationsThreatIntelligence": 8,
        "leakedCredentials": 9,
        "suspiciousSignins": 9,
    }
    assert doc["perDay"]["totals"] == doc["detections"]["byType"]  # all of them are recent
    per_day = doc["perDay"]
    assert len(per_day["days"]) == 30 and per_day["days"][-1] == "2026-01-01"
    assert sum(sum(v) for v in per_day["series"].values()) == 33


def test_actions_the_console_calls_enforce_roles(console_db: Console) -> None:
    body = {"servicePrincipalIds": [PAYROLL]}
    confirm = "/v1.0/identityProtection/riskyServicePrincipals/confirmCompromised"
    with client(console_db, Role.security_reader) as c:
        assert c.post(confirm, json=body).status_code == 403
    with client(console_db, Role.security_operator) as c:
        patch = c.patch(f"/v1.0/servicePrincipals/{PAYROLL}", json={"accountEnabled": False})
        assert patch.status_code == 403
        assert c.post(confirm, json=body).status_code == 204
        doc = c.get(f"/console/api/service-principals/{PAYROLL}").json()
    assert doc["risk"]["riskState"] == "confirmedCompromised"
    assert doc["history"][0]["initiatedBy"] == "Security Operator token"


def test_console_routes_stay_out_of_the_openapi_document(console_db: Console) -> None:
    with client(console_db, None) as c:
        paths = c.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if p == "/" or p.startswith("/console")]


def test_the_asset_list_names_every_static_file() -> None:
    static = Path(routes.__file__).parent / "static"
    assert {p.name for p in static.iterdir()} == routes.ASSETS
