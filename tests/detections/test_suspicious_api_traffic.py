"""suspiciousAPITraffic on hand-built Graph activity: payload table, learning, episodes."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from behaviour_sim import T0, MemoryContext, batches, run

from vigil.detections.graph_requests import endpoint, recon_tool
from vigil.detections.suspicious_api_traffic import Params, SuspiciousAPITraffic
from vigil.model import ActivityType, GraphActivity, RiskState

SP = "d4d4d4d4-0000-4000-8000-000000000004"
GRAPH = "https://graph.microsoft.com/v1.0"
USER = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
_n = [0]


def call(at, path: str = "/users/delta?$select=id", status: int = 200, size: int = 20_000,
         ua: str | None = "azsdk-python-identity/1.17.1", sp: str | None = SP,
         method: str = "GET") -> GraphActivity:
    _n[0] += 1
    return GraphActivity(id=f"00000000-0000-4000-9000-{_n[0]:012d}", time=at,
                         request_method=method, request_uri=GRAPH + path,
                         response_status_code=status, service_principal_id=sp, app_id="app-d4",
                         ip_address="20.61.3.4", user_agent=ua, response_size_bytes=size)


def routine(days: int = 14) -> list[GraphActivity]:
    out = []
    for h in range(days * 24):
        at = T0 + timedelta(hours=h)
        out += [call(at + timedelta(minutes=5)),
                call(at + timedelta(minutes=25), "/groups/delta?$select=id"),
                call(at + timedelta(minutes=45), f"/users/{USER}?$select=id")]
    return out


HOUR = T0 + timedelta(days=14, hours=2)


def burst(n: int, **kw: Any) -> list[GraphActivity]:
    return [call(HOUR + timedelta(seconds=2 * i), **kw) for i in range(n)]


ENUM = ["/organization", "/domains", "/devices?$top=999", "/servicePrincipals?$top=999",
        "/applications?$top=999", "/directoryRoles?$expand=members"]


def enumeration(paged: bool = False, ua: str | None = "azsdk-python-identity/1.17.1"):
    out = [call(HOUR + timedelta(seconds=i), p, ua=ua) for i, p in enumerate(ENUM)]
    if paged:
        out += [call(HOUR + timedelta(seconds=60 + i),
                     f"/users?$top=999&$skiptoken=RFNwdAIA{i}", ua=ua) for i in range(4)]
    return out


def detect(records, params: Params | None = None, size: int = 400, ctx=None):
    return run(SuspiciousAPITraffic(params), batches(records, size), ctx or MemoryContext())


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda: burst(3), None),
        (lambda: burst(1, ua="azurehound/v2.2.1"), "medium"),
        (lambda: burst(1, ua="ROADtools roadrecon/1.4.1"), "medium"),
        (lambda: enumeration(), "medium"),
        (lambda: enumeration(paged=True), "high"),  # + the first use of /directoryRoles
        (lambda: enumeration(paged=True, ua="GraphRunner/1.0 PowerShell/7.4.3"), "high"),
        (lambda: burst(150), "low"),  # 150 requests against a usual 3 an hour
        (lambda: burst(600), "medium"),  # four times the limit
        (lambda: burst(30, size=40_000_000), "medium"),  # 1.2 GB: ten times the byte limit
        (lambda: burst(30, status=403, path="/users/delta"), "low"),
        (lambda: burst(1, path="/roleManagement/directory/roleAssignments"), "low"),
        (lambda: burst(1, path=f"/users/{USER}/authentication/methods"), "low"),
        (lambda: [*burst(1, path="/auditLogs/directoryAudits"),
                  *burst(1, path="/identity/conditionalAccess/policies")], "low"),
        (lambda: burst(5, ua="azurehound/v2.2.1", sp=None), None),  # delegated traffic
    ],
)
def test_payload_table(make, expected):
    found = detect([*routine(), *make()])
    assert [d.risk_level.value for d in found.values()] == ([expected] if expected else [])


def test_detection_fields():
    attack = enumeration(paged=True, ua="azurehound/v2.2.1")
    (d,) = detect([*routine(), *attack]).values()
    info = {e.key: e.value for e in d.additional_info}
    assert d.activity == ActivityType.servicePrincipal
    assert d.activity_date_time == attack[0].time
    assert (d.request_id, d.ip_address) == (attack[0].id, "20.61.3.4")
    assert info["requestIds"][0] == attack[0].id
    signals = " | ".join(info["signals"])
    assert "reconnaissance tool AzureHound" in signals
    assert "never before (applications, devices, directoryRoles, domains, organization, " \
           "servicePrincipals); 3 next-page requests" in signals  # as of the last change of level


def test_flagged_hours_form_one_episode_and_are_not_learned():
    later = [call(HOUR + timedelta(hours=1, seconds=2 * i)) for i in range(600)]
    found = detect([*routine(), *burst(600), *later])
    (d,) = found.values()
    info = {e.key: e.value for e in d.additional_info}
    assert d.activity_date_time == HOUR + timedelta(seconds=2 * 99)  # the 100th request
    hours = {s.split(" ")[0] for s in info["signals"]}
    assert len(hours) == 2
    assert info["hours"][0].endswith("600 requests, 0 refused (403), 12,000,000 bytes")


def test_a_new_episode_after_the_gap():
    found = detect([*routine(), *burst(600),
                    *(call(HOUR + timedelta(hours=5, seconds=i)) for i in range(600))])
    assert len(found) == 2


@pytest.mark.parametrize(("report", "expected"), [(True, ["low"]), (False, [])])
def test_learning_reports_only_recon_tools_below_the_enumeration_floor(report, expected):
    """No privileged listing among the five collections: the learning floor does not hold."""
    young = routine(days=2)
    attack = [call(T0 + timedelta(days=2, hours=1, seconds=i), p, ua="azurehound/v2.2.1")
              for i, p in enumerate(ENUM[:5] * 50)]
    found = detect([*young, *attack], Params(report_learning=report))
    assert [d.risk_level.value for d in found.values()] == expected
    for d in found.values():
        info = {e.key: e.value for e in d.additional_info}
        assert info["learning"].startswith("learning: ")
        assert [s.split(" ")[1] for s in info["signals"]] == ["recon:"]
    spike = [call(T0 + timedelta(days=2, hours=3, seconds=i)) for i in range(600)]
    assert detect([*young, *spike], Params(report_learning=report)) == {}


@pytest.mark.parametrize("size", [1, 13, 5000])
def test_batches_do_not_change_results(size):
    records = sorted([*routine(days=9), *enumeration(paged=True), *burst(500)],
                     key=lambda g: g.time)  # one principal's records arrive in time order
    assert detect(records, size=size) == detect(records, size=100_000)


@pytest.mark.parametrize(
    ("uri", "template", "lists", "sensitive"),
    [
        ("https://graph.microsoft.com/v1.0/users?$top=999", "/users", "users", False),
        (f"{GRAPH}/users/{USER}/memberOf?$select=id", "/users/{id}/memberOf", "users", False),
        (f"{GRAPH}/users/{USER}", "/users/{id}", None, False),
        (f"{GRAPH}/users/a@contoso.com/messages/AbCdEfGhIjKlMnOpQrStUv/attachments",
         "/users/{id}/messages/{id}/attachments", "users", False),
        (f"{GRAPH}/oauth2PermissionGrants", "/oauth2PermissionGrants", "oauth2PermissionGrants",
         True),
        ("https://graph.microsoft.com/beta/policies/authorizationPolicy",
         "/policies/authorizationPolicy", "policies", True),
        (f"{GRAPH}/reports/getOffice365ActiveUserDetail(period='D7')",
         "/reports/getOffice365ActiveUserDetail()", None, False),
        (f"{GRAPH}/sites/contoso.sharepoint.com,1234/drive/root/children",
         "/sites/{id}/drive/root/children", None, False),
    ],
)
def test_endpoint_templates(uri, template, lists, sensitive):
    ep = endpoint(uri)
    assert (ep.template, ep.lists, ep.sensitive) == (template, lists, sensitive)


@pytest.mark.parametrize(
    ("ua", "tool"),
    [("azurehound/v2.2.1", "AzureHound"), ("ROADtools roadrecon/1.4.1", "ROADtools"),
     ("GraphRunner/1.0 PowerShell/7.4.3", "GraphRunner"), ("python-requests/2.32.3", None),
     (None, None), ("Mozilla/5.0 AADInternals", "AADInternals")],
)
def test_recon_tools(ua, tool):
    assert recon_tool(ua) == tool


def test_refusals_after_many_successful_requests_are_flagged():
    """The 10th 403 of the hour is under 5 % of its requests (10 of 210); the 40th is 17 %."""
    usual = [call(T0 + timedelta(hours=h, seconds=60 * i)) for h in range(8 * 24) for i in range(50)]
    at = T0 + timedelta(days=8, hours=2)
    hour = [*(call(at + timedelta(seconds=i)) for i in range(200)),
            *(call(at + timedelta(seconds=600 + i), status=403) for i in range(40))]
    (d,) = detect([*usual, *hour], size=5000).values()
    signals = {e.key: e.value for e in d.additional_info}["signals"]
    assert d.risk_level.value == "low"
    assert signals == ["2026-03-09T02:00Z forbidden: 11 of the hour's first 211 requests refused "
                       "with 403; usually fewer than 1"]  # when it fired: the hour had 240, 40


def test_a_request_in_the_last_microsecond_a_timestamp_holds_does_not_crash():
    """9999-12-31T23:59:59.999999: its float timestamp rounds up to year 10000."""
    last = T0.replace(year=9999, month=12, day=31, hour=23, minute=59, second=59,
                      microsecond=999_999)
    (d,) = detect([*routine(), call(last, ua="azurehound/v2.2.1")]).values()
    assert d.risk_level.value == "medium"
    assert {e.key: e.value for e in d.additional_info}["signals"][0].startswith(
        "9999-12-31T23:00Z recon")


@pytest.mark.parametrize("size", [7, 400, 10_000])
def test_a_long_episode_explains_its_first_hours_and_counts_the_rest(size):
    """Ten days of hourly AzureHound calls are one episode: its signals and hours lists (kept in
    the principal's state and re-sent with every update) grew by one entry an hour, 240 each."""
    recon = [call(HOUR + timedelta(hours=h, minutes=1), ua="azurehound/v2.2.1")
             for h in range(240)]
    (d,) = detect([*routine(), *recon], size=size).values()
    info = {e.key: e.value for e in d.additional_info}
    assert len(info["signals"]) == len(info["hours"]) == 24
    assert info["signals"][0].startswith("2026-03-15T02:00Z recon: ")
    assert info["flaggedHoursNotListed"] == 240 - 24


# -- while learning: absolute-floor enumeration (red-team "new app enumerates the directory") ----

COLLECTIONS = ["users", "groups", "servicePrincipals", "applications", "devices",
               "administrativeUnits", "oauth2PermissionGrants", "domains", "organization",
               "contacts", "subscribedSkus", "directoryRoleTemplates", "directoryRoles",
               "roleManagement/directory/roleAssignments"]
DAY2 = T0 + timedelta(days=1, hours=1)


def new_app_enumerates(collections: list[str], refused: int = 5, pages: int = 30,
                       ua: str = "python-requests/2.31.0") -> list[GraphActivity]:
    """A principal first seen the day before lists each collection 3 minutes after the last,
    ``pages`` pages each, the last ``refused`` of them refused (403)."""
    out = [call(T0 + timedelta(hours=h)) for h in range(0, 24, 4)]  # its first, quiet day
    for i, c in enumerate(collections):
        at = DAY2 + timedelta(minutes=3 * i)
        out += [call(at + timedelta(seconds=5 * p),
                     f"/{c}?$top=999" + (f"&$skiptoken=Q{p}W" if p else ""), ua=ua,
                     status=200 if p < pages - refused else 403, size=300_000)
                for p in range(pages)]
    return out


@pytest.mark.parametrize(("refused", "expected"), [(5, "high"), (0, "medium")])
def test_a_learning_principal_enumerating_the_directory_is_flagged(refused, expected):
    """14 collections in 42 minutes incl. directoryRoles and roleManagement on its second day:
    the absolute floor holds while learning (refusals: 70 of 420 requests, high)."""
    records = new_app_enumerates(COLLECTIONS, refused=refused)
    for report in (True, False):
        (d,) = detect(records, Params(report_learning=report)).values()
        info = {e.key: e.value for e in d.additional_info}
        assert d.risk_level.value == expected
        assert info["reason"] == "suspicious Microsoft Graph traffic (learning)"
        assert info["learning"].startswith("learning: ")
        signals = " | ".join(info["signals"])
        assert "enumeration: while learning, listed " in signals
        assert ("privileged: /oauth2PermissionGrants, /directoryRoles, "
                "/roleManagement/directory/roleAssignments") in signals
        assert ("forbidden:" in signals) == bool(refused)


@pytest.mark.parametrize(
    "collections",
    [
        ["users", "groups"],  # a first-day HR sync, paging
        ["users", "groups", "organization"],
        ["users", "groups", "directoryRoles"],  # fewer than 5 collections
        ["users", "groups", "devices", "applications", "servicePrincipals", "domains"],  # none
    ],
)
def test_a_learning_principals_first_sync_is_not_medium(collections):
    found = detect(new_app_enumerates(collections, refused=0, pages=60))
    assert found == {}


@pytest.mark.parametrize("size", [1, 13, 5000])
def test_batches_do_not_change_the_learning_enumeration(size):
    records = new_app_enumerates(COLLECTIONS)
    assert detect(records, size=size) == detect(records, size=100_000)


@pytest.mark.parametrize("state", [RiskState.dismissed, RiskState.remediated])
def test_a_flagged_hour_after_a_verdict_is_a_new_detection(state):
    """An admin's verdict ends the episode: an hour flagged after it, inside the 3-hour gap, is a
    new detection (it used to grow the closed one, unseen)."""
    ctx = MemoryContext()
    first = detect([*routine(), *burst(600)], ctx=ctx)
    (d,) = first.values()
    assert {e.key: e.value for e in d.additional_info}["lastRequest"] == (
        HOUR + timedelta(seconds=2 * 399)).isoformat()  # the 400th (4 × the floor) raised it last
    ctx.stored[d.id] = replace(d, risk_state=state)
    later = [call(HOUR + timedelta(hours=1, seconds=2 * i)) for i in range(600)]
    found = detect(later, ctx=ctx)  # closing the first hour re-sends d with its totals
    (new,) = (x for x in found.values() if x.id != d.id)
    assert new.activity_date_time > HOUR + timedelta(hours=1)


SLOW = ["devices", "servicePrincipals", "applications", "domains", "contacts"]  # none sensitive


def one_an_hour(start, collections: list[str], every_hours: int = 1) -> list[GraphActivity]:
    """Each collection listed once, ``every_hours`` after the last: no hour lists more than one."""
    return [call(start + timedelta(hours=every_hours * i, minutes=10), f"/{c}?$top=999")
            for i, c in enumerate(collections)]


def test_enumeration_spread_over_hours_is_medium():
    """One new collection an hour stays under the hour's rule (3 new in one hour); the fifth
    first listed within 24 hours is medium, and the signal names them all."""
    found = detect([*routine(), *one_an_hour(HOUR, SLOW)])
    (d,) = found.values()
    assert d.risk_level.value == "medium"
    assert d.activity_date_time == HOUR + timedelta(hours=4, minutes=10)
    (signal,) = {e.key: e.value for e in d.additional_info}["signals"]
    assert signal.endswith("enumeration: listed 1 directory collections never listed before "
                           "(contacts), after 4 first listed in the 4 hours before "
                           "(applications, devices, domains, servicePrincipals)")


def test_enumeration_slower_than_the_span_is_not_flagged():
    assert detect([*routine(), *one_an_hour(HOUR, SLOW, every_hours=7)]) == {}


def test_collections_first_listed_while_learning_do_not_count():
    """A principal that listed four collections in its last learning hours, then one more once
    past learning: the four were part of learning what it does, not an enumeration."""
    learning = [*routine(days=6), *one_an_hour(T0 + timedelta(days=6, hours=19), SLOW[:4])]
    later = [*(r for r in routine(days=8) if r.time >= T0 + timedelta(days=6)),
             call(T0 + timedelta(days=7, hours=2, minutes=30), f"/{SLOW[4]}?$top=999")]
    assert detect(sorted([*learning, *later], key=lambda g: g.time)) == {}
    assert detect(sorted([*routine(days=8), *one_an_hour(T0 + timedelta(days=7, hours=1), SLOW)],
                         key=lambda g: g.time)) != {}  # the same listings past learning


@pytest.mark.parametrize("size", [1, 7, 5000])
def test_batches_do_not_change_the_slow_enumeration(size):
    records = [*routine(), *one_an_hour(HOUR, SLOW)]
    assert detect(records, size=size) == detect(records, size=100_000)


def _week_later(state: RiskState | None) -> dict[str, Any]:
    """An export app's flagged hour (enumeration with paging), the admin's verdict on it, and the
    same export a week later: what the week-later run finds."""
    ctx = MemoryContext()
    (d,) = detect([*routine(), *enumeration(paged=True)], ctx=ctx).values()
    if state is not None:
        ctx.stored[d.id] = replace(d, risk_state=state, last_updated_date_time=(
            HOUR + timedelta(minutes=30)))
    week = timedelta(days=7)
    again = [call(HOUR + week + timedelta(seconds=i), p) for i, p in enumerate(ENUM)]
    again += [call(HOUR + week + timedelta(seconds=60 + i), f"/users?$top=999&$skiptoken=Z{i}")
              for i in range(4)]
    return {k: v for k, v in detect([*routine_between(HOUR + timedelta(hours=1), HOUR + week),
                                      *again], ctx=ctx).items() if k != d.id}


def routine_between(start, end) -> list[GraphActivity]:
    hours = int((end - start).total_seconds() // 3600)
    return [call(start + timedelta(hours=h, minutes=5)) for h in range(hours)]


def test_a_dismissed_flagged_hour_is_learned_so_the_same_export_is_not_flagged_again():
    assert _week_later(RiskState.dismissed) == {}


@pytest.mark.parametrize("state", [None, RiskState.remediated])
def test_an_unanswered_or_remediated_flagged_hour_is_never_learned(state):
    (d,) = _week_later(state).values()
    assert d.risk_level.value in ("medium", "high")


def test_enumeration_over_days_is_medium_at_the_eighth_collection_in_a_week():
    """Four new collections a day (one every 6 hours) stays under 5 in 24 hours; the eighth
    first listed within a week is medium."""
    eight = [*SLOW, "organization", "administrativeUnits", "subscribedSkus"]
    found = detect([*routine(), *one_an_hour(HOUR, eight, every_hours=6)])
    (d,) = found.values()
    assert d.risk_level.value == "medium"
    assert d.activity_date_time == HOUR + timedelta(hours=42, minutes=10)
    (signal,) = {e.key: e.value for e in d.additional_info}["signals"]
    assert "after 7 first listed in the 42 hours before" in signal
    assert detect([*routine(), *one_an_hour(HOUR, eight, every_hours=25)]) == {}  # 8 in 7+ days


def test_collections_of_the_hour_in_which_learning_ends_do_not_count():
    """Learning ends 5 minutes into an hour (7 days after the first request, at 00:05); the two
    collections listed in its first minutes were listed while learning, so with one new an hour
    after them the fifth is not slow enumeration (they counted once an hour was judged by its
    end); the same listings an hour later, all past learning, are."""
    end = T0 + timedelta(days=7)
    listings = [call(end + timedelta(minutes=1 + i), f"/{c}?$top=999")
                for i, c in enumerate(SLOW[:2])]
    listings += [call(end + timedelta(hours=h, minutes=10), f"/{c}?$top=999")
                 for h, c in zip((1, 2, 3), SLOW[2:], strict=True)]
    assert detect(sorted([*routine(days=8), *listings], key=lambda g: g.time)) == {}
    later = [call(g.time + timedelta(hours=1), g.request_uri.removeprefix(GRAPH))
             for g in listings]
    assert detect(sorted([*routine(days=8), *later], key=lambda g: g.time)) != {}
