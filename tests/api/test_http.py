"""HTTP behaviour: OData options, paging, errors, headers, enums, versions and CSV (real server)."""

from __future__ import annotations

import base64
import csv
import dataclasses
import io
from urllib.parse import parse_qs, urlsplit

import pytest
from tests_api_support import Served, detection, seed, sp_id  # type: ignore[import-not-found]

from vigil.auth import Role
from vigil.model import RiskLevel, ServicePrincipal

RISKY = "/v1.0/identityProtection/riskyServicePrincipals"
BETA_RISKY = "/beta/identityProtection/riskyServicePrincipals"
DETECTIONS = "/v1.0/identityProtection/servicePrincipalRiskDetections"
N = 30


@pytest.fixture
def api(served: Served) -> Served:
    seed(served.app, N)
    return served


def _token(text: str) -> str:
    """A hand-made ``$skiptoken`` (what a client that tampers with the nextLink would send)."""
    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


def error_of(resp) -> dict:
    body = resp.json()
    assert set(body) == {"error"}
    error = body["error"]
    inner = error["innerError"]
    assert inner["request-id"] == resp.headers["request-id"]
    assert inner["client-request-id"] == resp.headers["client-request-id"]
    assert len(inner["date"]) == 19
    return error


def test_paging_with_next_links_and_count_on_the_first_page(api):
    with api.client() as c:
        resp = c.get(RISKY, params={"$top": "7", "$count": "true", "$filter": "riskLevel ne 'low'"})
        pages, ids = [resp.json()], []
        while "@odata.nextLink" in pages[-1]:
            link = pages[-1]["@odata.nextLink"]
            assert link.startswith(api.base + RISKY + "?")
            assert parse_qs(urlsplit(link).query)["$filter"] == ["riskLevel ne 'low'"]
            pages.append(c.get(link).json())
    for page in pages:
        ids += [item["id"] for item in page["value"]]
    expected = [p.id for p in api.app.store.risk.list_risky() if p.risk_level is not RiskLevel.low]
    assert ids == expected and len(ids) == 20
    assert [len(p["value"]) for p in pages] == [7, 7, 6]
    assert pages[0]["@odata.count"] == 20 and all("@odata.count" not in p for p in pages[1:])
    assert (
        pages[0]["@odata.context"]
        == f"{api.base}/v1.0/$metadata#identityProtection/riskyServicePrincipals"
    )


def test_select_orderby_and_beta_options_without_dollar(api):
    with api.client() as c:
        v1 = c.get(
            RISKY,
            params={
                "$select": "displayName,riskLevel",
                "$orderby": "displayName desc",
                "$top": "3",
            },
        )
        beta = c.get(
            BETA_RISKY, params={"select": "displayName", "orderby": "displayName desc", "top": "3"}
        )
        ignored = c.get(RISKY, params={"top": "3", "filter": "nonsense"})
    assert v1.status_code == beta.status_code == ignored.status_code == 200
    names = [f"App {n:05d}" for n in range(N - 1, N - 4, -1)]
    assert [(i["displayName"], list(i)) for i in v1.json()["value"]] == [
        (name, ["id", "displayName", "riskLevel"]) for name in names
    ]
    assert [i["displayName"] for i in beta.json()["value"]] == names
    assert v1.json()["@odata.context"].endswith("riskyServicePrincipals(displayName,riskLevel)")
    assert len(ignored.json()["value"]) == N  # v1.0 needs the $: bare names are not options


def test_versions_differ_in_enabled_property_and_mitre_field(api):
    with api.client() as c:
        v1 = c.get(f"{RISKY}/{sp_id(1)}").json()
        beta = c.get(f"{BETA_RISKY}/{sp_id(1)}").json()
        det_v1 = c.get(DETECTIONS, params={"$top": "1"}).json()["value"][0]
        det_beta = c.get(
            "/beta/identityProtection/servicePrincipalRiskDetections", params={"$top": "1"}
        ).json()["value"][0]
    assert "accountEnabled" not in v1 and v1["isEnabled"] is True
    assert beta["accountEnabled"] is True
    assert "mitreTechniqueId" not in det_v1 and "mitreTechniqueId" in det_beta
    assert v1["@odata.context"].endswith("riskyServicePrincipals/$entity")


def test_evolvable_enums_need_the_prefer_header(api):
    api.app.risk.dismiss([sp_id(3)], "someone")
    with api.client() as c:
        plain = c.get(f"{RISKY}/{sp_id(3)}")
        preferred = c.get(
            f"{RISKY}/{sp_id(3)}",
            headers={"Prefer": "odata.maxpagesize=5, include-unknown-enum-members"},
        )
    assert plain.json()["riskDetail"] == "unknownFutureValue"
    assert "preference-applied" not in plain.headers
    assert preferred.json()["riskDetail"] == "adminDismissedAllRiskForServicePrincipal"
    assert preferred.headers["preference-applied"] == "include-unknown-enum-members"


def test_count_segment_is_a_bare_integer(api):
    with api.client() as c:
        resp = c.get(f"{RISKY}/$count", params={"$filter": "riskLevel eq 'high'"})
        det = c.get(
            "/beta/identityProtection/servicePrincipalRiskDetections/$count",
            params={"filter": "riskEventType eq 'leakedCredentials'"},
        )
    assert resp.headers["content-type"].startswith("text/plain")
    assert resp.text == str(N // 3)
    assert det.text == str(
        sum(d.risk_event_type == "leakedCredentials" for d in api.app.store.risk.list_detections())
    )


def test_request_ids_are_echoed(api):
    with api.client() as c:
        mine = c.get(RISKY, headers={"client-request-id": "abc-123"})
        fresh = c.get(RISKY)
    assert mine.headers["client-request-id"] == "abc-123"
    assert mine.headers["request-id"] != fresh.headers["request-id"]
    assert fresh.headers["client-request-id"] == fresh.headers["request-id"]


@pytest.mark.parametrize(
    ("path", "params", "code"),
    [
        (RISKY, {"$filter": "riskLevel eq"}, "invalidRequest"),
        (RISKY, {"$filter": "riskLevel eq 'bad'"}, "invalidRequest"),
        (RISKY, {"$filter": "nosuch eq 'x'"}, "invalidRequest"),
        (RISKY, {"$top": "0"}, "invalidRequest"),
        (RISKY, {"$top": "abc"}, "invalidRequest"),
        (RISKY, {"$orderby": "riskLevel sideways"}, "invalidRequest"),
        (RISKY, {"$select": "password"}, "invalidRequest"),
        (RISKY, {"$count": "maybe"}, "invalidRequest"),
        (RISKY, {"$skiptoken": "garbage!"}, "invalidRequest"),
        (RISKY, {"$skiptoken": _token('v2.{"a":1}')}, "invalidRequest"),
        (RISKY, {"$skiptoken": _token("v2.[null]")}, "invalidRequest"),
        (RISKY, {"$skiptoken": _token('v2.[1,"x"]')}, "invalidRequest"),
        (
            RISKY,
            {"$orderby": "isEnabled", "$skiptoken": _token('v2.["yes","x"]')},
            "invalidRequest",
        ),
        (
            RISKY,
            {"$orderby": "riskLevel", "$skiptoken": _token('v2.["huge","x"]')},
            "invalidRequest",
        ),
        (
            RISKY,
            {"$orderby": "riskLastUpdatedDateTime", "$skiptoken": _token('v2.["2025-01-01","x"]')},
            "invalidRequest",
        ),
        (f"{RISKY}/{sp_id(1)}/history", {"$skiptoken": _token('v2.["x"]')}, "invalidRequest"),
        (RISKY, {"$bogus": "1"}, "invalidRequest"),
        (RISKY, {"$expand": "history"}, "notSupported"),
        (RISKY, {"$format": "xml"}, "notSupported"),
        (RISKY, {"$filter": "displayName eq 'a\x00b'"}, "invalidRequest"),
        (f"{RISKY}/{sp_id(1)}", {"$filter": "riskLevel eq 'high'"}, "notSupported"),
        (f"{RISKY}/{sp_id(1)}/history", {"$filter": "riskLevel eq 'high'"}, "notSupported"),
        (f"{RISKY}/$count", {"$top": "3"}, "notSupported"),
    ],
)
def test_bad_queries_are_400_in_graph_shape(api, path, params, code):
    with api.client() as c:
        resp = c.get(path, params=params)
    assert resp.status_code == 400, resp.text
    assert error_of(resp)["code"] == code


def test_repeated_option_is_400(api):
    with api.client() as c:
        resp = c.get(f"{RISKY}?$top=1&$top=2")
        beta = c.get(f"{BETA_RISKY}?$top=1&top=2")
    assert resp.status_code == beta.status_code == 400


def test_not_found_and_method_errors(api):
    with api.client() as c:
        missing = c.get(f"{RISKY}/no-such-sp")
        history = c.get(f"{RISKY}/no-such-sp/history")
        detection = c.get(f"{DETECTIONS}/nope")
        route = c.get("/v1.0/nothingHere")
        method = c.delete(RISKY)
        nul = c.get(f"{RISKY}/a%00b")
    assert [r.status_code for r in (missing, history, detection, route, method, nul)] == [
        404,
        404,
        404,
        404,
        405,
        400,
    ]
    assert [error_of(r)["code"] for r in (missing, route, method)] == [
        "itemNotFound",
        "itemNotFound",
        "notAllowed",
    ]


def test_actions_validate_their_body_and_change_nothing_on_error(api):
    before = api.app.store.risk.list_risky()
    ids = [sp_id(n) for n in range(N)]
    with api.client(Role.security_operator) as c:
        too_many = c.post(
            f"{RISKY}/dismiss",
            json={"servicePrincipalIds": ids + [sp_id(n) for n in range(100, 131)]},
        )
        unknown = c.post(f"{RISKY}/dismiss", json={"servicePrincipalIds": [*ids[:5], "nope"]})
        empty = c.post(f"{RISKY}/confirmCompromised", json={"servicePrincipalIds": []})
        extra = c.post(f"{RISKY}/confirmCompromised", json={"servicePrincipalIds": ids[:1], "x": 1})
        not_json = c.post(
            f"{RISKY}/confirmCompromised",
            content=b"{",
            headers={"content-type": "application/json"},
        )
        wrong_type = c.post(f"{RISKY}/confirmCompromised", json={"servicePrincipalIds": [1, 2]})
        nul = c.post(f"{RISKY}/confirmCompromised", json={"servicePrincipalIds": ["a\x00"]})
    assert [
        r.status_code for r in (too_many, unknown, empty, extra, not_json, wrong_type, nul)
    ] == [400, 404, 400, 400, 400, 400, 400]
    assert "nope" in error_of(unknown)["message"]
    assert "60" in error_of(too_many)["message"]
    assert api.app.store.risk.list_risky() == before
    with api.client(Role.security_operator) as c:
        ok = c.post(f"{RISKY}/dismiss", json={"servicePrincipalIds": ids[:60]})
    assert ok.status_code == 204 and ok.content == b""


def test_patch_service_principal(api):
    with api.client() as c:
        bad = [
            c.patch(f"/v1.0/servicePrincipals/{sp_id(2)}", json={"displayName": "x"}),
            c.patch(f"/v1.0/servicePrincipals/{sp_id(2)}", json={"accountEnabled": "false"}),
            c.patch(f"/v1.0/servicePrincipals/{sp_id(2)}", json={}),
        ]
        missing = c.patch("/v1.0/servicePrincipals/nope", json={"accountEnabled": False})
        ok = c.patch(
            f"/beta/servicePrincipals/{sp_id(2)}",
            json={"@odata.type": "#microsoft.graph.servicePrincipal", "accountEnabled": False},
        )
        again = c.patch(f"/beta/servicePrincipals/{sp_id(2)}", json={"accountEnabled": True})
    assert [r.status_code for r in bad] == [400, 400, 400]
    assert (missing.status_code, ok.status_code, again.status_code) == (404, 204, 204)
    history = api.app.store.risk.history(sp_id(2))
    assert [h.principal.is_enabled for h in history[-2:]] == [False, True]
    assert api.app.store.inventory.service_principal(sp_id(2)).account_enabled is True


def test_csv_download_honours_filters_both_ways(api):
    api.app.store.inventory  # noqa: B018 - the same data as JSON
    with api.client() as c:
        by_format = c.get(
            RISKY, params={"$format": "csv", "$filter": "riskLevel eq 'medium'", "$top": "2"}
        )
        by_accept = c.get(
            DETECTIONS,
            params={"$filter": f"servicePrincipalId eq '{sp_id(4)}'"},
            headers={"Accept": "text/csv"},
        )
        selected = c.get(RISKY, params={"$format": "csv", "$select": "displayName,riskLevel"})
    assert by_format.headers["content-type"].startswith("text/csv")
    assert "attachment" in by_format.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(by_format.text)))
    assert [r["id"] for r in rows] == [
        p.id for p in api.app.store.risk.list_risky() if p.risk_level is RiskLevel.medium
    ]
    assert rows[0]["isEnabled"] == "true" and "@odata.type" not in rows[0]
    det_rows = list(csv.DictReader(io.StringIO(by_accept.text)))
    assert [r["servicePrincipalId"] for r in det_rows] == [sp_id(4)]
    assert det_rows[0]["keyIds"] == '["9d9fea30-d8e3-481b-b57c-0ef569a989e5"]'
    assert selected.text.splitlines()[0] == "displayName,riskLevel"
    assert len(selected.text.splitlines()) == N + 1


def test_csv_neutralises_formulas(api):
    from vigil.api.csv_format import cell

    assert [cell("=HYPERLINK(1)"), cell("-1"), cell("App"), cell(None), cell(False), cell(1.5)] == [
        "'=HYPERLINK(1)",
        "'-1",
        "App",
        "",
        "false",
        "1.5",
    ]


def test_unexpected_errors_are_500_in_graph_shape(api, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(api.app.store.risk, "risky", boom)
    with api.client() as c:
        resp = c.get(f"{RISKY}/{sp_id(1)}", headers={"client-request-id": "cid-1"})
    assert resp.status_code == 500
    error = error_of(resp)
    assert error["code"] == "generalException" and "bug" not in resp.text
    assert error["innerError"]["client-request-id"] == "cid-1"


def _dismiss_behind_a_writer(store, clock, monkeypatch, wait: float, cid: str):
    """A dismiss through the API while another connection holds the store's write lock, the
    API's wait cut to ``wait`` seconds, then one more once it is free: the two responses and
    how long the first took."""
    import time

    import httpx
    from tests_api_support import ServerThread, add_token, make_app  # type: ignore[import-not-found]

    from vigil.api import server as api_server
    from vigil.store.database import IMMEDIATE, connect

    monkeypatch.setattr(api_server, "API_WRITE_LOCK_TIMEOUT", wait, raising=False)
    app = make_app(store, clock)
    seed(app, 2)
    token = add_token(store, Role.security_operator, "operator", clock())
    other = connect(store.engine.url.render_as_string(hide_password=False))
    headers = {"Authorization": f"Bearer {token}", "client-request-id": cid}
    body = {"servicePrincipalIds": [sp_id(1)]}
    with ServerThread(api_server.create_api(app)) as server, httpx.Client(
        base_url=server.base, timeout=10
    ) as c:
        with other.connect().execution_options(**{IMMEDIATE: True}) as writer, writer.begin():
            writer.exec_driver_sql("SELECT 1")
            started = time.monotonic()
            locked = c.post(f"{RISKY}/dismiss", json=body, headers=headers)
            waited = time.monotonic() - started
        after = c.post(f"{RISKY}/dismiss", json=body, headers=headers)
    other.dispose()
    return locked, waited, after


def test_an_action_on_a_store_locked_too_long_is_503_with_retry_after(
    sqlite_store, clock, monkeypatch
):
    """A dismiss while another process holds SQLite's write lock past the API's wait (a
    rebuild of a large store, an index build after a bulk load) is no bug: 503 with Retry-After,
    not the 500 it was. The wait, ``API_WRITE_LOCK_TIMEOUT``, is cut to 0.2 s here (30 s in
    Vigil, SQLite's busy timeout before the CLI's writers learned to wait longer)."""
    locked, waited, after = _dismiss_behind_a_writer(sqlite_store, clock, monkeypatch, 0.2, "cid-2")
    assert locked.status_code == 503 and locked.headers["Retry-After"] == "30"
    error = error_of(locked)
    assert error["code"] == "serviceNotAvailable" and "busy" in error["message"]
    assert error["innerError"]["client-request-id"] == "cid-2"
    assert 0.2 <= waited < 10
    assert after.status_code == 204


@pytest.mark.postgres
def test_an_action_behind_a_long_writer_on_postgresql_is_503_not_a_hang(pg_url, clock, monkeypatch):
    """PostgreSQL's write lock (an advisory lock) waits without limit: a dismiss while a rebuild
    held it hung the request. The API waits ``API_WRITE_LOCK_TIMEOUT`` (cut to 0.3 s here), then
    answers 503 as on SQLite; the lock's holder (an ingest, a rebuild) still waits as long as it
    takes."""
    from vigil.store import Store

    pg_store = Store.open(pg_url, migrate=True)
    try:
        locked, waited, after = _dismiss_behind_a_writer(pg_store, clock, monkeypatch, 0.3, "cid-3")
    finally:
        pg_store.close()
    assert locked.status_code == 503 and locked.headers["Retry-After"] == "30"
    assert error_of(locked)["code"] == "serviceNotAvailable"
    assert 0.3 <= waited < 10
    assert after.status_code == 204


def test_other_database_errors_stay_500(api, monkeypatch):
    import sqlalchemy as sa

    def broken(*args, **kwargs):
        raise sa.exc.OperationalError("SELECT 1", {}, RuntimeError("disk I/O error"))

    monkeypatch.setattr(api.app.store.risk, "risky", broken)
    with api.client() as c:
        resp = c.get(f"{RISKY}/{sp_id(1)}")
    assert resp.status_code == 500 and error_of(resp)["code"] == "generalException"


def test_public_url_is_used_in_next_links(store, clock):
    from tests_api_support import ServerThread, add_token, make_app  # type: ignore[import-not-found]

    from vigil.api.server import create_api

    app = make_app(store, clock, api={"public_url": "https://vigil.example.com/"})
    seed(app, 3)
    token = add_token(store, Role.security_reader, "reader", clock())
    import httpx

    with ServerThread(create_api(app)) as server, httpx.Client(base_url=server.base) as c:
        page = c.get(
            RISKY, params={"$top": "1"}, headers={"Authorization": f"Bearer {token}"}
        ).json()
    assert page["@odata.nextLink"].startswith("https://vigil.example.com/v1.0/identityProtection/")


def test_guid_keys_and_filters_ignore_case(api):
    """Graph matches GUIDs case-insensitively: a principal stored (lower-case) as ingest writes
    it is found by its upper-case id, in the path and in ``$filter`` ``eq`` / ``in``."""
    sp = "5b3a9c1e-7f2d-4e8a-b6c4-1d9e0f2a3b4c"
    app = "0c4e8b2a-6d1f-4a3e-9b7c-2e5f8a1d4c6b"
    api.app.store.inventory.upsert_service_principals(
        [(ServicePrincipal(id=sp, app_id=app, display_name="billing-sync"), None)],
        api.app.store.risk.list_risky()[0].risk_last_updated_date_time,
    )
    base = detection(1)
    api.app.risk.record_detection(
        dataclasses.replace(base, id=base.id[:-4] + "beef", service_principal_id=sp, app_id=app)
    )
    with api.client() as c:
        one = c.get(f"{RISKY}/{sp.upper()}")
        history = c.get(f"{RISKY}/{sp.upper()}/history")
        by_id = c.get(RISKY, params={"$filter": f"id eq '{sp.upper()}'"})
        by_app = c.get(RISKY, params={"$filter": f"appId in ('{app.upper()}')"})
        detections = c.get(DETECTIONS, params={"$filter": f"servicePrincipalId eq '{sp.upper()}'"})
    assert one.status_code == 200 and one.json()["id"] == sp
    assert history.status_code == 200 and len(history.json()["value"]) == 1
    assert [p["id"] for p in by_id.json()["value"]] == [sp]
    assert [p["id"] for p in by_app.json()["value"]] == [sp]
    assert [d["servicePrincipalId"] for d in detections.json()["value"]] == [sp]
