"""The console in headless Debian chromium: log in, filter, open a detail pane, act, download CSV.

Each test drives a real ``vigil`` server (uvicorn on loopback) over a seeded tenant and saves a
screenshot of every page it visits (``browser_support.SHOTS``).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from tests.console.browser_support import shot
from tests.console.console_support import PARTNER, PAYROLL, Console

from vigil.auth import Role

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def page(chromium: Any) -> Any:
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    outside: list[str] = []
    pg.on(
        "request",
        lambda r: (
            None
            if r.url.startswith(("http://127.0.0.1", "blob:", "data:"))
            else outside.append(r.url)
        ),
    )
    yield pg
    context.close()
    assert not errors, f"JavaScript errors: {errors}"
    assert not outside, f"requests left the machine: {outside}"


def login(page: Any, console: Console, role: Role) -> None:
    page.goto(console.base + "/")
    page.get_by_label("Access token").fill(console.tokens[role])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Overview").wait_for()


def csv_rows(download: Any) -> list[dict[str, str]]:
    text = Path(download.path()).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def test_login_rejects_a_bad_token(page: Any, console: Console) -> None:
    page.goto(console.base + "/")
    page.get_by_label("Access token").fill("vgl_not-a-real-token")
    page.get_by_role("button", name="Sign in").click()
    page.locator("#login-error", has_text="not accepted").wait_for()
    shot(page, "login")


def test_overview_counts_and_chart(page: Any, console: Console) -> None:
    login(page, console, Role.security_reader)
    main = page.locator("main")
    assert main.locator(".big").first.inner_text() == "33"
    types = page.locator("table").first
    assert types.get_by_role("link", name="leakedCredentials").is_visible()
    # One bar segment per (day, type); their tooltips add up to every detection (all are recent).
    titles = page.locator("svg rect title").all_text_contents()
    assert len(titles) >= 20
    assert sum(int(t.rsplit(": ", 1)[1]) for t in titles) == 33
    assert any("leakedCredentials" in t for t in titles)
    shot(page, "overview")


def test_filter_detail_confirm_and_csv(page: Any, console: Console) -> None:
    login(page, console, Role.security_administrator)
    page.get_by_role("link", name="Risky workload identities").click()
    page.get_by_role("heading", name="Risky workload identities").wait_for()
    assert page.locator("#total").inner_text() == "33 risky workload identities"

    # Filter: high risk, name search.
    page.get_by_label("Risk level").select_option("high")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_function(
        "() => (document.querySelector('#total')?.textContent ?? '').startsWith('12 ')"
    )
    page.get_by_label("Search").fill("payroll")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_function(
        "() => (document.querySelector('#total')?.textContent ?? '').startsWith('1 ')"
    )
    rows = page.locator("#risky-table tbody tr")
    assert rows.count() == 1
    shot(page, "risky-filtered")

    # Detail pane: kind, explanation, suspicious sign-in, credentials with last use, audits.
    page.get_by_role("button", name="Payroll Sync").click()
    pane = page.locator("#pane")
    pane.get_by_role("heading", name="Payroll Sync").wait_for()
    assert page.evaluate("document.activeElement.id") == "pane-title"
    assert "Single-tenant application" in pane.inner_text()
    assert "country NG: never in 41 days" in pane.inner_text()
    suspicious = pane.locator("#signins-table tr.suspicious")
    assert suspicious.count() == 1
    assert "203.0.113.9" in suspicious.inner_text()
    creds = pane.locator("#credentials-table tbody").inner_text()
    assert "Xy7" in creds and "Expired" in creds and "2026-01-01 07:00 UTC" in creds
    assert "Add service principal credentials" in pane.locator("#audits-by-table").inner_text()
    assert "Update service principal" in pane.locator("#audits-on-table").inner_text()
    assert pane.locator("#history-table tbody tr").count() == 1
    shot(page, "detail-pane", tall=True)

    # Confirm compromised (after its confirmation): state and history change, page and store.
    pane.get_by_role("button", name="Confirm compromised").click()
    page.locator("#confirm-ok").click()
    page.wait_for_function(
        "() => document.querySelectorAll('#history-table tbody tr').length === 2"
    )
    first = pane.locator("#history-table tbody tr").first.inner_text()
    assert "Confirmed compromised" in first and "Security Administrator token" in first
    assert "Confirmed compromised" in page.locator("#risky-table tbody tr").first.inner_text()
    stored = console.app.store.risk.risky(PAYROLL)
    assert stored is not None and stored.risk_state.value == "confirmedCompromised"
    shot(page, "detail-confirmed", tall=True)

    # Escape closes the pane and focus returns to the row's button.
    page.keyboard.press("Escape")
    page.locator("#pane").wait_for(state="detached")
    assert page.evaluate("document.activeElement.textContent") == "Payroll Sync"

    # CSV of the current view (high, "payroll"): the API's columns, the new state.
    with page.expect_download() as info:
        page.locator("#csv").click()
    rows_csv = csv_rows(info.value)
    assert [r["displayName"] for r in rows_csv] == ["Payroll Sync"]
    assert rows_csv[0]["riskState"] == "confirmedCompromised"
    assert rows_csv[0]["riskLevel"] == "high"
    assert info.value.suggested_filename == "riskyServicePrincipals.csv"

    # Disable, with a confirmation step; cancelling changes nothing.
    page.get_by_role("button", name="Payroll Sync").click()
    pane.get_by_role("heading", name="Payroll Sync").wait_for()
    pane.get_by_role("button", name="Disable service principal").click()
    dialog = page.locator("#confirm-dialog")
    assert dialog.is_visible()
    shot(page, "disable-confirmation")
    page.locator("#confirm-cancel").click()
    assert console.app.store.risk.risky(PAYROLL).is_enabled  # type: ignore[union-attr]
    pane.get_by_role("button", name="Disable service principal").click()
    page.locator("#confirm-ok").click()
    page.wait_for_function(
        "() => document.querySelectorAll('#history-table tbody tr').length === 3"
    )
    assert console.app.store.risk.risky(PAYROLL).is_enabled is False  # type: ignore[union-attr]
    assert not pane.get_by_role("button", name="Disable service principal").count()
    assert "Disabled" in page.locator("#risky-table tbody tr").first.inner_text()

    # ...and undone from the same pane, with its own confirmation.
    pane.get_by_role("button", name="Enable service principal").click()
    assert "enabled again" in page.locator("#confirm-text").inner_text()
    page.locator("#confirm-cancel").click()
    assert console.app.store.risk.risky(PAYROLL).is_enabled is False  # type: ignore[union-attr]
    pane.get_by_role("button", name="Enable service principal").click()
    page.locator("#confirm-ok").click()
    page.wait_for_function(
        "() => document.querySelectorAll('#history-table tbody tr').length === 4"
    )
    assert console.app.store.risk.risky(PAYROLL).is_enabled is True  # type: ignore[union-attr]
    pane.get_by_role("button", name="Disable service principal").wait_for()


def test_bulk_dismiss(page: Any, console: Console) -> None:
    login(page, console, Role.security_operator)
    page.goto(console.base + "/#/risky?level=medium")
    page.wait_for_function(
        "() => (document.querySelector('#total')?.textContent ?? '').startsWith('11 ')"
    )
    boxes = page.locator("#risky-table tbody input[type=checkbox]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    assert page.locator("#sel-count").inner_text() == "2 selected"
    ids = [page.locator("#risky-table tbody tr").nth(i).get_attribute("data-id") for i in (0, 1)]
    page.get_by_role("button", name="Dismiss").click()
    assert "Dismiss the risk of 2 service principals" in page.locator("#confirm-text").inner_text()
    page.locator("#confirm-ok").click()
    # Dismissed risk drops to level none: both leave the "medium" view.
    page.wait_for_function(
        "() => (document.querySelector('#total')?.textContent ?? '').startsWith('9 ')"
    )
    assert page.locator("#sel-count").inner_text() == ""
    for sp in ids:
        assert console.app.store.risk.risky(sp).risk_state.value == "dismissed"  # type: ignore[union-attr]
    # An operator may not disable: no such button.
    page.locator("#risky-table tbody tr").first.get_by_role("button").first.click()
    page.locator("#pane").wait_for()
    assert page.locator("#act-confirm").is_visible()
    assert page.locator("#act-disable").count() == 0


def test_confirm_compromised_asks_first_naming_whom(page: Any, console: Console) -> None:
    """Bulk and pane Confirm compromised open a dialog naming the count and the principals; Cancel
    and Escape send nothing and change nothing, OK applies it."""
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    login(page, console, Role.security_operator)
    page.goto(console.base + "/#/risky?level=medium&sort=displayName&dir=asc")
    page.wait_for_function(
        "() => (document.querySelector('#total')?.textContent ?? '').startsWith('11 ')"
    )
    rows = page.locator("#risky-table tbody tr")
    ids = [rows.nth(i).get_attribute("data-id") for i in range(3)]
    names = [rows.nth(i).locator("button.open-sp").inner_text() for i in range(3)]
    for i in range(3):
        rows.nth(i).locator("input[type=checkbox]").check()

    def state() -> set[tuple[str, str, str]]:
        found = [console.app.store.risk.risky(sp) for sp in ids]
        return {(p.id, p.risk_state.value, p.risk_level.value) for p in found if p is not None}

    before = state()
    assert {s for _, s, _ in before} == {"atRisk"}
    dialog = page.get_by_role("dialog", name="Confirm compromised?")
    bulk = page.locator("[data-bulk=confirm]")

    bulk.click()
    dialog.wait_for()
    text = page.locator("#confirm-text").inner_text()
    assert f"Confirm 3 service principals compromised: {', '.join(names)}?" in text
    assert "risk to high" in text
    assert page.evaluate("document.activeElement.id") == "confirm-cancel"
    shot(page, "confirm-compromised-confirmation")
    page.locator("#confirm-cancel").click()
    dialog.wait_for(state="hidden")
    bulk.click()
    dialog.wait_for()
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    assert not posts
    assert state() == before
    assert page.locator("#sel-count").inner_text() == "3 selected"

    bulk.click()
    page.locator("#confirm-ok").click()
    # Confirmed principals are high now: they leave the "medium" view.
    page.wait_for_function(
        "() => (document.querySelector('#total')?.textContent ?? '').startsWith('8 ')"
    )
    assert state() == {(sp, "confirmedCompromised", "high") for sp in ids}  # type: ignore[misc]

    # The pane's button asks too, naming the one principal.
    posts.clear()
    page.goto(console.base + f"/#/risky?sp={PAYROLL}")
    pane = page.locator("#pane")
    pane.get_by_role("heading", name="Payroll Sync").wait_for()
    pane.locator("#act-confirm").click()
    dialog.wait_for()
    assert (
        "Confirm 1 service principal compromised: Payroll Sync?"
        in page.locator("#confirm-text").inner_text()
    )
    page.locator("#confirm-cancel").click()
    dialog.wait_for(state="hidden")
    assert not posts
    assert console.app.store.risk.risky(PAYROLL).risk_state.value == "atRisk"  # type: ignore[union-attr]
    assert page.evaluate("document.activeElement.id") == "act-confirm"


def test_sort_headers_match_a_typed_url_without_dir(page: Any, console: Console) -> None:
    """``#/risky?sort=riskLevel`` sorts highest first and the header says so; clicking it flips to
    ascending, and another column's first click asks for that column's default direction."""
    login(page, console, Role.security_reader)
    page.goto(console.base + "/#/risky?sort=riskLevel")
    level = page.locator("#risky-table th", has_text="Risk level")
    page.wait_for_function("() => document.querySelector('#risky-table') !== null")
    assert level.get_attribute("aria-sort") == "descending"
    first = page.locator("#risky-table tbody tr").first.inner_text()
    assert "high" in first
    level.get_by_role("button").click()
    page.wait_for_function("() => location.hash.includes('dir=asc')")
    page.wait_for_function(
        "() => document.querySelector('#risky-table th[aria-sort=ascending]')?.textContent"
        " === 'Risk level'"
    )
    page.locator("#risky-table th", has_text="Last updated").get_by_role("button").click()
    page.wait_for_function(
        "() => location.hash.includes('sort=riskLastUpdatedDateTime')"
        " && location.hash.includes('dir=desc')"
    )
    page.locator("#risky-table th", has_text="Name").get_by_role("button").click()
    page.wait_for_function(
        "() => location.hash.includes('sort=displayName') && location.hash.includes('dir=asc')"
    )
    page.wait_for_function(
        "() => document.querySelector('#risky-table th[aria-sort=ascending]')?.textContent"
        " === 'Name'"
    )


def test_detections_page_filter_detail_csv(page: Any, console: Console) -> None:
    login(page, console, Role.global_reader)
    page.get_by_role("link", name="Workload identity detections").click()
    page.get_by_role("heading", name="Workload identity detections").wait_for()
    assert page.locator("#total").inner_text() == "33 detections"
    assert "null" not in page.locator("main").inner_text()
    assert "undefined" not in page.locator("main").inner_text()
    page.get_by_label("Detection type").select_option("leakedCredentials")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_function(
        "() => (document.querySelector('#total')?.textContent ?? '') === '9 detections'"
    )
    shot(page, "detections")
    page.get_by_role("button", name="Contoso Partner Connector").click()
    pane = page.locator("#pane")
    pane.get_by_role("heading").first.wait_for()
    assert "Multi-tenant application" in pane.inner_text()
    page.keyboard.press("Escape")
    page.locator("#pane").wait_for(state="detached")
    page.locator("#detections-table tbody tr").filter(has_text="Contoso").locator(
        "button.open-detection"
    ).click()
    pane.get_by_role("heading", name="leakedCredentials detection").wait_for()
    text = pane.inner_text()
    assert "Where it was found" in text and "deploy/.env" in text
    assert "githubSecretScanning" in text
    shot(page, "detection-detail", tall=True)
    page.get_by_role("button", name="Close").click()
    page.locator("#pane").wait_for(state="detached")
    with page.expect_download() as info:
        page.locator("#csv").click()
    rows = csv_rows(info.value)
    assert len(rows) == 9
    assert {r["riskEventType"] for r in rows} == {"leakedCredentials"}
    assert PARTNER in {r["servicePrincipalId"] for r in rows}


def test_reader_sees_no_actions_and_server_refuses(page: Any, console: Console) -> None:
    login(page, console, Role.security_reader)
    page.goto(console.base + f"/#/risky?sp={PAYROLL}")
    page.locator("#pane").get_by_role("heading", name="Payroll Sync").wait_for()
    assert page.locator("#risky-table input[type=checkbox]").count() == 0
    for name in ("Confirm compromised", "Dismiss", "Disable service principal"):
        assert page.get_by_role("button", name=name).count() == 0
    shot(page, "reader-detail", tall=True)
    status = page.evaluate(
        """async (id) => (await fetch('/v1.0/identityProtection/riskyServicePrincipals/confirmCompromised', {
            method: 'POST',
            headers: {'Authorization': 'Bearer ' + sessionStorage.getItem('vigil.token'),
                      'Content-Type': 'application/json'},
            body: JSON.stringify({servicePrincipalIds: [id]})})).status""",
        PAYROLL,
    )
    assert status == 403
    assert console.app.store.risk.risky(PAYROLL).risk_state.value == "atRisk"  # type: ignore[union-attr]


def test_narrow_screen(chromium: Any, console: Console) -> None:
    context = chromium.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        login(page, console, Role.security_operator)
        shot(page, "narrow-overview")
        page.goto(console.base + "/#/risky")
        page.locator("#risky-table").wait_for()
        # Nothing is wider than the screen except inside the scrolling table wrapper.
        assert "null" not in page.locator("main").inner_text()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390
        shot(page, "narrow-risky")
        page.goto(console.base + f"/#/risky?sp={PAYROLL}")
        page.locator("#pane").get_by_role("heading", name="Payroll Sync").wait_for()
        box = page.locator("#pane").bounding_box()
        assert box is not None and box["width"] <= 390
        shot(page, "narrow-detail", tall=True)
    finally:
        context.close()


def test_keyboard_only(page: Any, console: Console) -> None:
    login(page, console, Role.security_operator)
    page.goto(console.base + "/#/risky?q=Payroll")
    page.wait_for_function(
        "() => (document.querySelector('#total')?.textContent ?? '').startsWith('1 ')"
    )
    page.locator("#risky-table button.open-sp").focus()
    page.keyboard.press("Enter")
    page.locator("#pane").wait_for()
    assert page.evaluate("document.activeElement.id") == "pane-title"
    page.keyboard.press("Escape")
    page.locator("#pane").wait_for(state="detached")
    assert page.evaluate("document.activeElement.textContent") == "Payroll Sync"


def test_oidc_login_and_action_recorded_with_the_callers_name(
    page: Any, console_oidc: Console
) -> None:
    assert console_oidc.keys is not None
    jwt = console_oidc.keys.mint(
        console_oidc.app.clock(), sub="alice@contoso.test", roles=["SecurityOperator"]
    )
    page.goto(console_oidc.base + "/")
    page.get_by_label("Access token").fill(jwt)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Overview").wait_for()
    assert "alice@contoso.test · Security Operator" in page.locator("#who").inner_text()
    page.goto(console_oidc.base + f"/#/risky?sp={PARTNER}")
    page.locator("#pane").get_by_role("heading", name="Contoso Partner Connector").wait_for()
    page.locator("#act-dismiss").click()
    page.locator("#confirm-ok").click()
    page.wait_for_function(
        "() => document.querySelectorAll('#history-table tbody tr').length === 2"
    )
    [latest, *_] = reversed(console_oidc.app.store.risk.history(PARTNER))
    assert latest.initiated_by == "alice@contoso.test"
    assert latest.principal.risk_state.value == "dismissed"


def test_a_bulk_action_failing_part_way_says_what_was_applied(page: Any, console: Console) -> None:
    """Bulk actions go to the Graph route 60 ids at a time; when a later batch fails, the page
    says how many were applied, shows them applied and keeps only the rest selected."""
    from datetime import timedelta

    from tests.console.console_support import _detection

    from vigil.model import RiskLevel

    now = console.app.clock()
    for n in range(40):  # 73 risky principals in all: two batches
        sp = f"cccccccc-0000-4000-8000-{n:012d}"
        console.app.risk.record_detection(
            _detection(
                sp,
                f"Extra App {n:03d}",
                "suspiciousSignins",
                RiskLevel.low,
                now - timedelta(hours=n + 1),
            )
        )
    login(page, console, Role.security_operator)
    page.goto(console.base + "/#/risky?size=100")
    page.wait_for_function(
        "() => (document.querySelector('#total')?.textContent ?? '').startsWith('73 ')"
    )
    posts: list[str] = []

    def second_fails(route: Any) -> None:
        posts.append(route.request.url)
        if len(posts) == 2:
            route.fulfill(
                status=503,
                content_type="application/json",
                body='{"error": {"code": "serviceUnavailable", "message": "busy"}}',
            )
        else:
            route.continue_()

    page.route("**/riskyServicePrincipals/dismiss", second_fails)
    page.locator("#select-all").check()
    assert page.locator("#sel-count").inner_text() == "73 selected"
    page.get_by_role("button", name="Dismiss").click()
    page.locator("#confirm-ok").click()
    page.get_by_text("Dismiss failed after 60 of 73 were applied").wait_for()
    page.wait_for_function(
        "() => document.querySelector('#sel-count')?.textContent === '13 selected'"
    )
    states = [p.risk_state.value for p in console.app.store.risk.list_risky()]
    assert (states.count("dismissed"), len(posts)) == (60, 2)
